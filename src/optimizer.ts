import { Checker, describe } from './validate.js'
import { accumulators, runtime, view, type Kernels } from './runtime.js'
import {
  STATE_FORMAT,
  STATE_VERSION,
  decodeDict,
  fromBytes,
  pairState,
  toBase64,
  toBytes,
  type StateDict,
} from './checkpoint.js'
import { checkKeys, checkNames, checkOverlaps, checkSpec, toGroups, wasmBlock } from './params.js'
import {
  NORMS_ONLY,
  SLOTS,
  checkStatsOptions,
  sampleEvery,
  summarise,
  type GroupStats,
  type OptimizerStats,
  type StatsOptions,
  type StatsScalars,
} from './stats.js'

/** One parameter: its values and its gradient, Float32Arrays of equal length. */
export interface ParamSpec {
  param: Float32Array
  grad: Float32Array
  /** Optional name, used to match state; unique within an optimizer. */
  name?: string
}

/** A parameter group: parameters with their own options, PyTorch style. */
export type GroupSpec<O> = Partial<O> & { params: readonly ParamSpec[] }

/**
 * What a step does with a gradient that holds NaN or ±Infinity: 'propagate' (PyTorch's
 * behaviour: no check, NaN reaches the parameters), 'skip' (the step changes nothing and
 * `step()` returns false, like an AMP grad scaler), or 'throw' (a RangeError before anything
 * changes). The check is one wasm pass over the gradients, run only when the policy is not
 * 'propagate'.
 */
export type NonFinitePolicy = 'propagate' | 'skip' | 'throw'

/** Options that belong to the optimizer as a whole, not to a group. */
export interface OptimizerOptions {
  nonFinite: NonFinitePolicy
}

const NON_FINITE: readonly NonFinitePolicy[] = ['propagate', 'skip', 'throw']

/** What an optimizer takes: a list of parameters, or a list of parameter groups. */
export type Params<O> = readonly ParamSpec[] | readonly GroupSpec<O>[]

/** A group as the optimizer holds it: every option filled in, writable between steps. */
export type ParamGroup<O> = O & { readonly params: readonly ParamSpec[] }

/** What one kernel call works on: the addresses of n elements of θ, g and each state buffer. */
export interface Span {
  n: number
  p: number
  g: number
  /** Addresses of the state buffers (m, v, …) by name; a buffer the options do not need is absent. */
  readonly state: Record<string, number>
}

/** A parameter's values or gradient: a plain array that is copied, or a view used in place. */
interface Source {
  /** A plain array outside the wasm memory: staged through the wasm memory chunk by chunk. */
  user?: Float32Array
  /** A view of the wasm memory: the allocator block it lives in, checked at every step. */
  block?: { start: number; serial: number }
}

/** Everything the optimizer keeps for one parameter. */
export interface Slot extends Span {
  /** Step count after this step's increment: the first step has t = 1. */
  t: number
  /** Index of the parameter group. */
  readonly group: number
  readonly name: string | undefined
  readonly param: Source
  readonly grad: Source
}

/**
 * Elements staged per kernel call for plain (copied) arrays: copy a chunk of θ and g in, update
 * it, copy θ out, while the chunk is still in cache. 8192 floats (32 KiB per array) measured
 * fastest on the reference machine (bench/RESULTS.md).
 */
export const CHUNK = 8192

const SIZE_ALIGN = 16
const bytesOf = (n: number) => Math.ceil((4 * n) / SIZE_ALIGN) * SIZE_ALIGN

/**
 * The part every optimizer shares: it checks and holds parameter groups, owns the state in the
 * WebAssembly memory, and runs one kernel call per parameter per step. A subclass says which
 * options it has (`defaults`, `check`), which state buffers it keeps (`buffers`), what depends
 * only on the options and the step count (`scalars`: bias corrections, ρ, lr/c, computed once
 * per group and step) and which kernel runs with them (`update`).
 */
export abstract class Optimizer<O extends object, C = unknown> {
  /** The parameter groups; their options can be changed between steps. */
  readonly paramGroups: ParamGroup<O>[]
  /** The options a group gets where it does not set them. */
  readonly defaults: Readonly<O>
  /** The non-finite gradient policy; can be changed between steps. */
  nonFinite: NonFinitePolicy
  /** Number of steps skipped because a gradient was not finite (policy 'skip'). */
  skippedSteps = 0
  readonly #name: string
  readonly #slots: Slot[][]
  /** State buffers allocated for each group, fixed at construction. */
  readonly #allocated: ReadonlySet<string>[]
  /** The one allocator block that holds all this optimizer's state and its staging area. */
  #block: number | undefined
  /** Staging area for plain arrays: CHUNK floats of θ, then CHUNK of g; views renewed on detach. */
  #stage: { ptr: number; p: Float32Array; g: Float32Array } | undefined
  /** The diagnostics' sums over groups; reused, since a fresh Float64Array costs more than a small pass. */
  readonly #statsTotal = new Float64Array(SLOTS)
  /** Reused for staged kernel calls, so that step() allocates nothing. */
  readonly #span: Span = { n: 0, p: 0, g: 0, state: {} }

  protected constructor(
    name: string,
    params: Params<O>,
    defaults: O,
    options: Partial<O & OptimizerOptions> | undefined,
  ) {
    this.#name = name
    const r = runtime()
    const { nonFinite = 'propagate', ...groupOptions } = checkKeys<O & OptimizerOptions>(
      `${name}: options`,
      options ?? {},
      { ...defaults, nonFinite: 0 },
    )
    this.nonFinite = checkPolicy(`${name}: options`, nonFinite)
    this.defaults = { ...defaults, ...(groupOptions as Partial<O>) }
    this.paramGroups = toGroups(name, params).map((spec, i) => {
      const { params: list, ...own } = spec
      const group = { ...this.defaults, ...checkKeys(`${name}: paramGroups[${i}]`, own, defaults), params: [...list] }
      this.check(group as ParamGroup<O>, new Checker(`${name}: paramGroups[${i}]`, group))
      return group as ParamGroup<O>
    })
    const specs = this.paramGroups.flatMap((g, i) => g.params.map((s, j) => checkSpec(name, s, i, j)))
    if (specs.length === 0) throw new TypeError(`${name}: got an empty parameter list`)
    checkNames(name, specs)
    checkOverlaps(name, specs)
    const source = (a: Float32Array, where: string): Source => {
      const block = wasmBlock(name, a, where)
      return block ? { block } : { user: a }
    }
    const sources = specs.map((s) => ({ param: source(s.param, s.where), grad: source(s.grad, s.where) }))
    const staged = sources.some((s) => s.param.user || s.grad.user)
    // Read lengths and addresses now: allocating may grow an unshared memory and detach views.
    const layout = specs.map((s) => ({ n: s.param.length, p: s.param.byteOffset, g: s.grad.byteOffset }))

    // One block holds all state and the staging area: a constructor that throws has allocated nothing.
    const buffers = this.paramGroups.map((g) => this.buffers(g))
    const perGroup = buffers.flatMap((b, i) => this.paramGroups[i].params.map(() => b.length))
    const bytes = layout.reduce((sum, l, k) => sum + perGroup[k] * bytesOf(l.n), staged ? 2 * bytesOf(CHUNK) : 0)
    let at = r.arena.alloc(bytes)
    this.#block = at
    const take = (n: number) => (at += bytesOf(n)) - bytesOf(n)
    if (staged) {
      const ptr = take(2 * CHUNK)
      this.#stage = { ptr, p: view(ptr, CHUNK), g: view(ptr + 4 * CHUNK, CHUNK) }
    }
    let k = 0
    this.#slots = this.paramGroups.map((group, i) =>
      group.params.map(() => {
        const { n, p, g } = layout[k]
        const { name: pname } = specs[k]
        const src = sources[k++]
        const state: Record<string, number> = {}
        for (const b of buffers[i]) {
          state[b] = take(n)
          const init = this.initialState(group, b)
          if (init !== 0) view(state[b], n).fill(init)
        }
        return { t: 0, group: i, n, p, g, state, name: pname, ...src }
      }),
    )
    this.#allocated = buffers.map((b) => new Set(b))
  }

  /** Checks one group's options; throws through `c` with the option, the value and the range. */
  protected abstract check(group: O, c: Checker): void
  /** Names of the state buffers a group with these options needs, e.g. ['m', 'v']. */
  protected abstract buffers(group: O): readonly string[]
  /** The kernel's scalars for a group at step count t: computed once per group and step. */
  protected abstract scalars(group: O, t: number): C
  /** Runs the kernel over one span of a parameter with this step's scalars. */
  protected abstract update(k: Kernels, s: Span, c: C): void
  /** What the diagnostics pass can measure for this method, with the scalars of step t (t ≥ 1). */
  protected statsScalars(_group: O, _t: number): StatsScalars {
    return NORMS_ONLY
  }
  /** Initial value of a state buffer (0 unless a subclass says otherwise). */
  protected initialState(_group: O, _buffer: string): number {
    return 0
  }

  /**
   * Updates every parameter in place, one fused kernel pass each. Options and parameters are
   * checked first: a step that throws has changed nothing. Returns false if the step was skipped
   * for a non-finite gradient (policy 'skip'), else true.
   */
  step(): boolean {
    const slots = this.#live('step')
    checkPolicy(`${this.#name}.step()`, this.nonFinite)
    this.paramGroups.forEach((group, i) => {
      const where = `${this.#name}.step(): paramGroups[${i}]`
      this.#checkGroup(group, i, where)
      slots[i].forEach((s, j) => this.#checkSlot(s, where, j))
    })
    const kernels = runtime().kernels
    if (this.nonFinite !== 'propagate') {
      const bad = this.#findNonFinite(kernels)
      if (bad) {
        if (this.nonFinite === 'throw') {
          throw new RangeError(
            `${this.#name}.step(): paramGroups[${bad.i}].params[${bad.j}]` +
              `${bad.s.name ? ` ('${bad.s.name}')` : ''}.grad[${bad.index}] is ${bad.value}; nothing was changed ` +
              `(nonFinite: 'throw')`,
          )
        }
        this.skippedSteps++
        return false
      }
    }
    this.paramGroups.forEach((group, i) => {
      let t = -1
      let c!: C
      for (const s of slots[i]) {
        s.t++
        if (s.t !== t) c = this.scalars(group, (t = s.t))
        if (s.param.user || s.grad.user) this.#staged(kernels, s, c)
        else this.update(kernels, s, c)
      }
    })
    return true
  }

  /**
   * Scales all gradients together so that their global L2 norm is at most `maxNorm`, by
   * maxNorm/(norm + 1e-6) where that is below 1 (PyTorch's `clip_grad_norm_`). Returns the norm
   * before clipping. A non-finite norm leaves the gradients as they are and is returned, unless
   * `errorIfNonfinite` is set, which throws instead. Two wasm passes: Σg² in f64, then the scaling.
   */
  clipGradNorm(maxNorm: number, options: { errorIfNonfinite?: boolean } = {}): number {
    const slots = this.#live('clipGradNorm').flat()
    new Checker(`${this.#name}.clipGradNorm()`, { maxNorm }).nonNegative('maxNorm')
    slots.forEach((s, j) => this.#checkSlot(s, `${this.#name}.clipGradNorm()`, j))
    const k = runtime().kernels
    let sum = 0
    for (const s of slots) this.#chunks(s, {}, (_, g, n) => void (sum += k.sumsq(g, n)))
    const norm = Math.sqrt(sum)
    if (!Number.isFinite(norm)) {
      if (options.errorIfNonfinite) {
        throw new RangeError(
          `${this.#name}.clipGradNorm(): the total gradient norm is ${norm}; gradients were not changed`,
        )
      }
      return norm
    }
    const coef = maxNorm / (norm + 1e-6)
    if (coef < 1) for (const s of slots) this.#chunks(s, { writeGrad: true }, (_, g, n) => k.scale(g, n, coef))
    return norm
  }

  /** Clamps every gradient element to [−clipValue, clipValue] (PyTorch's `clip_grad_value_`); NaN stays NaN. */
  clipGradValue(clipValue: number): void {
    const slots = this.#live('clipGradValue').flat()
    new Checker(`${this.#name}.clipGradValue()`, { clipValue }).range('clipValue', 0, Infinity, true)
    slots.forEach((s, j) => this.#checkSlot(s, `${this.#name}.clipGradValue()`, j))
    const k = runtime().kernels
    for (const s of slots) this.#chunks(s, { writeGrad: true }, (_, g, n) => k.clamp(g, n, -clipValue, clipValue))
  }

  /** The first non-finite gradient element, by group, parameter and index; undefined if none. */
  #findNonFinite(k: Kernels) {
    for (const [i, group] of this.#slots.entries()) {
      for (const [j, s] of group.entries()) {
        let found = -1
        this.#chunks(s, {}, (_, g, n, off) => {
          const at = k.nonfinite(g, n)
          if (at >= 0) found = off + at
          return at < 0
        })
        if (found >= 0) {
          const value = s.grad.user ? s.grad.user[found] : view(s.g, s.n)[found]
          return { i, j, s, index: found, value }
        }
      }
    }
    return undefined
  }

  /**
   * Everything needed to resume: each group's options, each parameter's step count and state
   * buffers (bit-exact, in base64), the non-finite policy. Survives JSON.stringify. Parameter
   * values are not included: save them with the model.
   */
  stateDict(): StateDict {
    return this.#snapshot(toBase64)
  }

  /** The same as {@link stateDict}, as one compact binary buffer (a small header, then raw float32). */
  stateBytes(): Uint8Array {
    return toBytes(this.#snapshot((a) => a))
  }

  /**
   * Restores a state from {@link stateDict} (or its JSON round trip) or {@link stateBytes}. It
   * checks the format version, the optimizer, the number of groups and of parameters, every
   * length and buffer, and throws a clear error on any mismatch without changing anything.
   * When every parameter (here and in the state) has a name, state is matched by name: the
   * parameters may be reordered, and a parameter the state does not name starts fresh; a name
   * in the state that matches no parameter is an error. Otherwise it is matched by position.
   */
  loadStateDict(src: StateDict | Uint8Array | ArrayBuffer): void {
    const slots = this.#live('loadStateDict')
    const where = `${this.#name}.loadStateDict()`
    const dict =
      src instanceof Uint8Array || src instanceof ArrayBuffer
        ? fromBytes(new Uint8Array(src), where)
        : decodeDict(src, where)
    if (dict.optimizer !== this.#name) {
      throw new TypeError(`${where}: the state is for ${describe(dict.optimizer)}, this optimizer is ${this.#name}`)
    }
    if (dict.groups.length !== slots.length) {
      throw new RangeError(
        `${where}: the state has ${dict.groups.length} parameter groups, this optimizer ${slots.length}`,
      )
    }
    const nonFinite = checkPolicy(`${where}: nonFinite`, dict.nonFinite)
    const options = dict.groups.map((g, i) => {
      const at = `${where}: groups[${i}].options`
      const merged = { ...this.paramGroups[i], ...checkKeys<O>(at, g.options, this.defaults) }
      this.#checkGroup(merged, i, at)
      return merged
    })
    if (!Number.isInteger(dict.skippedSteps) || dict.skippedSteps < 0) {
      throw new RangeError(`${where}: skippedSteps must be an integer ≥ 0, got ${describe(dict.skippedSteps)}`)
    }
    const pairs = pairState(slots, dict, where)
    for (const [s, entry, at] of pairs) {
      if (!entry) continue
      if (entry.length !== s.n)
        throw new RangeError(`${at}: the state has length ${entry.length}, the parameter ${s.n}`)
      const want = Object.keys(s.state).sort().join(', ')
      const got = Object.keys(entry.state).sort().join(', ')
      if (want !== got) throw new RangeError(`${at}: the state has buffers [${got}], this optimizer keeps [${want}]`)
      for (const [k, b] of Object.entries(entry.state)) {
        if (b.length !== s.n) throw new RangeError(`${at}.state.${k} has length ${b.length}, expected ${s.n}`)
      }
    }
    // Everything checked: now write.
    options.forEach((o, i) => Object.assign(this.paramGroups[i], o))
    for (const [s, entry] of pairs) {
      s.t = entry ? entry.step : 0
      for (const [k, ptr] of Object.entries(s.state)) {
        if (entry) view(ptr, s.n).set(entry.state[k])
        else view(ptr, s.n).fill(this.initialState(this.paramGroups[s.group], k))
      }
    }
    this.nonFinite = nonFinite
    this.skippedSteps = dict.skippedSteps
  }

  #snapshot<B>(encode: (a: Float32Array) => B): StateDict<B> {
    const slots = this.#live('stateDict')
    return {
      format: STATE_FORMAT,
      version: STATE_VERSION,
      optimizer: this.#name,
      nonFinite: this.nonFinite,
      skippedSteps: this.skippedSteps,
      groups: this.paramGroups.map(({ params: _, ...options }, i) => ({
        options: JSON.parse(JSON.stringify(options)),
        params: slots[i].map((s) => ({
          ...(s.name !== undefined && { name: s.name }),
          length: s.n,
          step: s.t,
          state: Object.fromEntries(Object.entries(s.state).map(([k, ptr]) => [k, encode(view(ptr, s.n))])),
        })),
      })),
    }
  }

  /**
   * Diagnostics through the paper's lens, per group and in total: gradient and parameter norms; for
   * methods with a moving average m, the update norm and the fraction of coordinates where sign(g)
   * agrees with sign(m); for methods that also keep v (SVAG, M-SVAG, Adam, AdamW, and M-SGD or M-SSD
   * made with trackVariance: true), the mean and a histogram of the variance-adaptation factor γ
   * (Adam's |m̂|/(√v̂ + ε)), a log-scale histogram of the estimated relative variance η̂², and the
   * mean estimated probability that the gradient's sign is right. Call it after step() and before
   * the gradients change. One read-only wasm SIMD pass; a run that never calls it pays nothing. The
   * norms cover every coordinate; the rest, which needs divisions, covers every `sampleEvery`-th
   * group of four coordinates of each parameter (by default one coordinate in 32, sparser in groups
   * of 2¹⁹ elements or more, so that the pass costs less than a step; 1 measures all); `sampled`
   * says how many.
   */
  stats(options?: StatsOptions): OptimizerStats {
    const where = `${this.#name}.stats()`
    const slots = this.#live('stats')
    const chosen = checkStatsOptions(where, options)
    for (let i = 0; i < slots.length; i++)
      for (let j = 0; j < slots[i].length; j++) this.#checkSlot(slots[i][j], () => `${where}: paramGroups[${i}]`, j)
    const r = runtime()
    const k = r.kernels
    const { ptr: out, f64: acc } = accumulators(SLOTS)
    const total = this.#statsTotal.fill(0)
    let totalMode = 0
    let totalVariance = false
    let totalElements = 0
    const groups: GroupStats[] = []
    for (let i = 0; i < slots.length; i++) {
      acc.fill(0)
      let mode = 0
      let variance = false
      let elements = 0
      for (const s of slots[i]) elements += s.n
      const every = chosen ?? sampleEvery(elements)
      let t = -1
      let c = NORMS_ONLY
      for (const s of slots[i]) {
        if (s.t !== t) c = (t = s.t) > 0 ? this.statsScalars(this.paramGroups[i], t) : NORMS_ONLY
        const m = c.mode > 0 ? s.state.m : 0
        const v = c.mode > 0 ? (s.state.v ?? 0) : 0
        mode = Math.max(mode, c.mode)
        variance ||= v !== 0
        if (s.param.user || s.grad.user) {
          this.#chunks(s, { param: true }, (p, g, n, off) =>
            k.stats(
              p,
              g,
              m && m + 4 * off,
              v && v + 4 * off,
              n,
              c.mode,
              every,
              c.ic1,
              c.ic2,
              c.k1,
              c.kappa,
              c.lr,
              c.rc2,
              c.eps,
              out,
            ),
          )
        } else {
          // The same CHUNK-element calls as #chunks makes (the kernel sums in f32 within a call),
          // without its closure: this is the path a training loop asking every step takes.
          for (let off = 0; off < s.n; off += CHUNK) {
            k.stats(
              s.p + 4 * off,
              s.g + 4 * off,
              m && m + 4 * off,
              v && v + 4 * off,
              Math.min(CHUNK, s.n - off),
              c.mode,
              every,
              c.ic1,
              c.ic2,
              c.k1,
              c.kappa,
              c.lr,
              c.rc2,
              c.eps,
              out,
            )
          }
        }
      }
      for (let j = 0; j < SLOTS; j++) total[j] += acc[j]
      totalMode = Math.max(totalMode, mode)
      totalVariance ||= variance
      totalElements += elements
      groups.push(summarise(acc, elements, mode, variance))
    }
    return { groups, total: summarise(total, totalElements, totalMode, totalVariance) }
  }

  /** Sets every gradient to zero. */
  zeroGrad(): void {
    const slots = this.#live('zeroGrad').flat()
    slots.forEach((s, j) => this.#checkSlot(s, `${this.#name}.zeroGrad()`, j))
    for (const s of slots) (s.grad.user ?? view(s.g, s.n)).fill(0)
  }

  /** Gives the optimizer's WebAssembly memory back; the optimizer cannot be used afterwards. */
  dispose(): void {
    if (this.#block === undefined) return
    runtime().arena.free(this.#block)
    this.#block = undefined
  }

  /** @internal The per-parameter records, for the library's own tests and tools. */
  get slots(): readonly (readonly Slot[])[] {
    return this.#slots
  }

  #live(method: string): Slot[][] {
    if (this.#block === undefined) throw new TypeError(`${this.#name}.${method}(): the optimizer was disposed`)
    return this.#slots
  }

  /** Checks a group's options, and that the state buffers they need were allocated. */
  #checkGroup(group: O, i: number, where: string): void {
    this.check(group, new Checker(where, group as Record<string, unknown>))
    for (const b of this.buffers(group)) {
      if (!this.#allocated[i].has(b)) {
        throw new RangeError(
          `${where}: these options need the state buffer '${b}', which was not ` +
            `allocated at construction; set the option that needs it (e.g. amsgrad, centered, momentum > 0) ` +
            `when creating the optimizer`,
        )
      }
    }
  }

  /**
   * Runs `fn` over a parameter CHUNK elements at a time, with addresses where the kernels can read
   * its gradient (and its values, if `use.param`): in place for a parameter(), else through the
   * staging area; a staged gradient is copied back if `use.writeGrad`. The chunks are the same
   * either way, so sums run in the same order. `fn` returning false stops the pass.
   */
  #chunks(
    s: Slot,
    use: { param?: boolean; writeGrad?: boolean },
    fn: (p: number, g: number, n: number, offset: number) => boolean | void,
  ): void {
    const pu = use.param ? s.param.user : undefined
    const gu = s.grad.user
    const stage = pu || gu ? this.#stageViews() : undefined
    for (let off = 0; off < s.n; off += CHUNK) {
      const n = Math.min(CHUNK, s.n - off)
      let p = s.p + 4 * off
      let g = s.g + 4 * off
      if (stage && pu) {
        stage.p.set(pu.subarray(off, off + n))
        p = stage.ptr
      }
      if (stage && gu) {
        stage.g.set(gu.subarray(off, off + n))
        g = stage.ptr + 4 * CHUNK
      }
      const go = fn(p, g, n, off)
      if (stage && gu && use.writeGrad) gu.set(n === CHUNK ? stage.g : stage.g.subarray(0, n), off)
      if (go === false) return
    }
  }

  /**
   * Throws if a parameter's arrays changed length (detached) or its parameter() was disposed.
   * `where` is called only to write the message: the check runs on every call of step() and stats().
   */
  #checkSlot(s: Slot, where: string | (() => string), j: number): void {
    for (const what of SOURCES) {
      const src = s[what]
      const bad = badSource(src, s.n)
      if (bad === undefined) continue
      const at = `${typeof where === 'string' ? where : where()}.params[${j}].${what}`
      throw bad === 'disposed'
        ? new TypeError(`${at} lives in a parameter() that was disposed`)
        : new RangeError(
            `${at} now has length ${src.user!.length}, expected ${s.n} (was its ArrayBuffer transferred or detached?)`,
          )
    }
  }

  /**
   * Updates a parameter whose θ or g is a plain array, CHUNK elements at a time: copy the chunk
   * into the staging area, run the kernel on it and on the matching span of the state, copy θ
   * back. The chunk is still in cache when it is copied back.
   */
  #staged(kernels: Kernels, s: Slot, c: C): void {
    const stage = this.#stageViews()
    const span = this.#span
    const { user: p } = s.param
    const { user: g } = s.grad
    for (let off = 0; off < s.n; off += CHUNK) {
      const n = Math.min(CHUNK, s.n - off)
      span.n = n
      if (p) stage.p.set(p.subarray(off, off + n))
      if (g) stage.g.set(g.subarray(off, off + n))
      span.p = p ? stage.ptr : s.p + 4 * off
      span.g = g ? stage.ptr + 4 * CHUNK : s.g + 4 * off
      for (const key in s.state) span.state[key] = s.state[key] + 4 * off
      this.update(kernels, span, c)
      if (p) p.set(n === CHUNK ? stage.p : stage.p.subarray(0, n), off)
    }
  }

  /** The staging views, renewed if the memory grew and detached them (unshared memory only). */
  #stageViews(): { ptr: number; p: Float32Array; g: Float32Array } {
    const stage = this.#stage!
    if (stage.p.buffer !== runtime().memory.buffer) {
      stage.p = view(stage.ptr, CHUNK)
      stage.g = view(stage.ptr + 4 * CHUNK, CHUNK)
    }
    return stage
  }
}

const SOURCES = ['param', 'grad'] as const

/** What is wrong with a parameter's values or gradient, if anything. */
function badSource(src: Source, n: number): 'length' | 'disposed' | undefined {
  if (src.user && src.user.length !== n) return 'length'
  if (src.block && runtime().arena.serial(src.block.start) !== src.block.serial) return 'disposed'
  return undefined
}

function checkPolicy(where: string, policy: unknown): NonFinitePolicy {
  if (!NON_FINITE.includes(policy as NonFinitePolicy)) {
    throw new TypeError(`${where}: nonFinite must be 'propagate', 'skip' or 'throw', got ${describe(policy)}`)
  }
  return policy as NonFinitePolicy
}
