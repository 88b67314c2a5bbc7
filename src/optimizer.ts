import { restore, type StateDict, snapshot, toBase64, toBytes, writeState } from './checkpoint.js'
import { clipByNorm, clipByValue, firstNonFinite } from './gradients.js'
import { CALLS, type KernelBuffers, type KernelScalars, type StepKernel } from './kernels.js'
import { addStep, Pass } from './parallel.js'
import {
  checkKeys,
  checkPolicy,
  layOut,
  type NonFinitePolicy,
  type OptimizerOptions,
  oneOf,
  type ParamGroup,
  type Params,
  type SubnormalMode,
  toGroups,
  unknownOption,
} from './params.js'
import { poolFor, runtime, view } from './runtime.js'
import { collect, NORMS_ONLY, type OptimizerStats, type StatsOptions, type StatsScalars } from './stats.js'
import type { Pool } from './threads.js'
import { Checker, describe } from './validate.js'
import { checkSlot, READ_G, READ_P, type Slot, Walker, WRITE_P } from './walk.js'

export type {
  GroupSpec,
  NonFinitePolicy,
  OptimizerOptions,
  ParamGroup,
  ParamSpec,
  Params,
  SubnormalMode,
} from './params.js'

/**
 * How a step runs a class's kernel on n elements: θ at p, g at g, each state buffer at its
 * address plus 4·off bytes, with this step's scalars, flushing subnormals or not. A class whose
 * kernel is in the library's module names it (the base class binds it); one in another module on
 * the same memory (the TF.js flavours of wasm-optim/tfjs) passes a function.
 */
export type KernelCall<S> = (
  p: number,
  g: number,
  state: Readonly<Record<string, number>>,
  n: number,
  off: number,
  c: S,
  flush: boolean,
) => void

/**
 * With subnormals: 'flush', every state buffer of a parameter is flushed to zero where subnormal
 * after its steps t = 16, 32, 48, … (docs/algorithms.md §4): a value stays subnormal for at most
 * 15 steps. Flushing inside the kernels at every step cost 20–40% of an Adam step; this pass,
 * once in 16 steps, about 3% (it reads each state buffer, and writes only what it changes).
 */
export const FLUSH_EVERY = 16

/**
 * The kernel of a method that steps each parameter whole (Muon: matrix products need all of
 * it), in its `stepWhole`: the base class never calls it.
 */
// biome-ignore lint/suspicious/noExplicitAny: it stands for any method's kernel
export const WHOLE: KernelCall<any> = () => {
  throw new Error('wasm-optim: a method that steps whole parameters must define stepWhole()')
}

/** Binds a kernel of the library's module; the build (SIMD or scalar) is looked up at every call, as init() may switch it. */
function ownKernel<K extends StepKernel>(kernel: K): KernelCall<KernelScalars[K]> {
  const call = CALLS[kernel] as unknown as (
    k: ReturnType<typeof runtime>['kernels'],
    ...rest: Parameters<KernelCall<KernelScalars[K]>>
  ) => void
  return (p, g, state, n, off, c, flush) => call(runtime().kernels, p, g, state, n, off, c, flush)
}

/** Elements of the parameter() buffers a step (of the `active` parameters, if given) walks: what helpers can share. */
function residentElements(slots: Slot[][], active: ReadonlySet<Slot> | undefined): number {
  let n = 0
  for (const group of slots) {
    for (const s of group) if (!s.param.user && !s.grad.user && (!active || active.has(s))) n += s.n
  }
  return n
}

/** Flushes a parameter's state buffers to zero where subnormal. */
function flushState(s: Slot): void {
  const k = runtime().kernels
  for (const address of Object.values(s.state)) k.flush(address, s.n)
}

/**
 * The part every optimizer shares. It checks and holds the parameter groups, keeps the state in
 * the WebAssembly memory, and steps in three moves: check everything (so that a step that throws
 * has changed nothing), plan (each group's kernel scalars, once per group and step count), run
 * (one kernel call per parameter, or per chunk of a plain array). A subclass says which options
 * it has (`defaults`, `check`), which state buffers it keeps (`buffers`), and which scalars its
 * kernel gets (`scalars`, named as in assembly/); the kernel is named in its constructor.
 */
export abstract class Optimizer<
  O extends object,
  K extends StepKernel = StepKernel,
  S extends object = KernelScalars[K],
> {
  /** The parameter groups; their options can be changed between steps. */
  readonly paramGroups: ParamGroup<O>[]
  /** The options a group gets where it does not set them. */
  readonly defaults: Readonly<O>
  /** The non-finite gradient policy; can be changed between steps. */
  nonFinite: NonFinitePolicy
  /** Whether the kernels flush subnormal values to zero (see SubnormalMode); can be changed between steps. */
  subnormals: SubnormalMode
  /** Number of steps skipped because a gradient was not finite (policy 'skip'). */
  skippedSteps = 0
  readonly #name: string
  /** Runs the kernel on n elements with this step's scalars (see KernelCall); typed loosely so that any optimizer is an Optimizer<object>. */
  readonly #call: KernelCall<object>
  /** The kernel's name where it is the library's own: such a step can split over helper threads. */
  readonly #kernel: StepKernel | undefined
  readonly #slots: Slot[][]
  /** State buffers allocated for each group, fixed at construction. */
  readonly #allocated: ReadonlySet<string>[]
  readonly #walker: Walker
  /** Each group's name in the messages of step() and stats(), made once: those run every step. */
  readonly #where: { step: string[]; stats: string[] }
  /** The one allocator block that holds all this optimizer's state and its staging area. */
  #block: number | undefined

  protected constructor(
    name: string,
    kernel: K | KernelCall<S>,
    params: Params<O>,
    defaults: O,
    options: Partial<O & OptimizerOptions> | undefined,
  ) {
    this.#name = name
    this.#call = (typeof kernel === 'function' ? kernel : ownKernel(kernel)) as unknown as KernelCall<object>
    this.#kernel = typeof kernel === 'function' ? undefined : kernel
    runtime()
    const all = { ...defaults, nonFinite: 0, subnormals: 0 }
    const modes = this.subnormalModes()
    const {
      nonFinite = 'propagate',
      subnormals = modes[0],
      ...groupOptions
    } = checkKeys<O & OptimizerOptions>(`${name}: options`, options ?? {}, all)
    this.nonFinite = checkPolicy(name, ': options', nonFinite)
    this.subnormals = this.#checkSubnormals(`${name}: options`, subnormals)
    this.defaults = { ...defaults, ...(groupOptions as Partial<O>) }
    this.paramGroups = toGroups(name, params).map((spec, i) => {
      const { params: list, ...own } = spec
      const group = { ...this.defaults, ...checkKeys(`${name}: paramGroups[${i}]`, own, defaults), params: [...list] }
      this.check(group as ParamGroup<O>, new Checker(`${name}: paramGroups[${i}]`, group))
      return group as ParamGroup<O>
    })
    const buffers = this.paramGroups.map((g) => this.buffers(g))
    const layout = layOut(name, this.paramGroups, buffers, (i, b) => this.initialState(this.paramGroups[i], b))
    this.#block = layout.block
    this.#slots = layout.slots
    this.#walker = new Walker(layout.stage)
    this.#allocated = buffers.map((b) => new Set(b))
    this.#where = {
      step: this.paramGroups.map((_, i) => `${name}.step(): paramGroups[${i}]`),
      stats: this.paramGroups.map((_, i) => `${name}.stats(): paramGroups[${i}]`),
    }
  }

  /** Checks one group's options; throws through `c` with the option, the value and the range. */
  protected abstract check(group: O, c: Checker): void
  /** Names of the state buffers a group with these options needs, e.g. ['m', 'v'], as the kernel names them. */
  protected abstract buffers(group: O): readonly ([K] extends [never] ? string : KernelBuffers[K])[]
  /** The kernel's scalars for group `index` at step count t, by the names assembly/ gives them. */
  protected abstract scalars(group: O, t: number, index: number): S
  /** What the diagnostics pass can measure for this method, with the scalars of step t (t ≥ 1). */
  protected statsScalars(_group: O, _t: number): StatsScalars {
    return NORMS_ONLY
  }
  /** Initial value of a state buffer (0 unless a subclass says otherwise). */
  protected initialState(_group: O, _buffer: string): number {
    return 0
  }
  /**
   * The subnormal modes its kernel offers, the default first. Every kernel of the library's
   * module offers both; TF.js's rules (wasm-optim/tfjs) keep IEEE behaviour alone, as TF.js does.
   */
  protected subnormalModes(): readonly SubnormalMode[] {
    return ['flush', 'keep']
  }
  /**
   * Steps parameter `s` of group `index` whole, with this step's scalars, for a method whose
   * kernel is WHOLE (Muon); the element-wise methods leave it undefined and are walked in chunks.
   */
  protected stepWhole?(s: Slot, c: S, index: number): void
  /** Called once per group and step, after every check passed and before its kernels run. */
  protected plan(_index: number): void {}
  /** Values a method keeps per group besides its buffers (Schedule-Free's weight sum), for checkpoints. */
  protected groupState(_index: number): Record<string, unknown> | undefined {
    return undefined
  }
  /** Checks a checkpoint's group state (see groupState) and returns what restores it, run once all is checked. */
  protected loadGroupState(_index: number, _saved: unknown, _where: string): () => void {
    return () => {}
  }

  /**
   * Updates every parameter in place, one fused kernel pass each. Options and parameters are
   * checked first: a step that throws has changed nothing. Returns false if the step was skipped
   * for a non-finite gradient (policy 'skip'), else true. Given `only`, the names of some
   * parameters, it steps those alone (as PyTorch skips a parameter without a gradient): the others
   * keep their values, their state and their step count.
   */
  step(only?: Iterable<string>): boolean {
    const slots = this.#checkedForStep()
    const active = only === undefined ? undefined : this.#named(only)
    if (this.nonFinite !== 'propagate') {
      const bad = firstNonFinite(slots, this.#walker, active)
      if (bad) {
        if (this.nonFinite === 'skip') {
          this.skippedSteps++
          return false
        }
        throw new RangeError(
          `${this.#name}.step(): paramGroups[${bad.i}].params[${bad.j}]` +
            `${bad.name ? ` ('${bad.name}')` : ''}.grad[${bad.index}] is ${bad.value}; nothing was changed (nonFinite: 'throw')`,
        )
      }
    }
    const flush = this.subnormals === 'flush'
    const pool = this.#kernel !== undefined && runtime().pool ? poolFor(residentElements(slots, active)) : undefined
    if (pool) {
      this.#stepOn(pool, slots, active, flush)
      return true
    }
    const call = this.#call
    const w = this.#walker
    this.#advance(slots, active, (s, c, i) => {
      // A parameter() in one call; a plain array a chunk at a time, through the staging area.
      if (this.stepWhole) this.stepWhole(s, c, i)
      else if (!s.param.user && !s.grad.user) call(s.p, s.g, s.state, s.n, 0, c, flush)
      else for (w.begin(s, READ_P | READ_G | WRITE_P); w.next(); ) call(w.p, w.g, s.state, w.n, w.off, c, flush)
      if (flush && s.t % FLUSH_EVERY === 0) flushState(s)
    })
    return true
  }

  /**
   * What both step loops share, in their order: each group's plan(), then each active parameter's
   * step count advanced and handed to `visit` with the scalars of its group and count (computed
   * once per run of equal counts).
   */
  #advance(slots: Slot[][], active: Set<Slot> | undefined, visit: (s: Slot, c: S, i: number) => void): void {
    for (let i = 0; i < slots.length; i++) {
      let t = -1
      let c!: S
      if (active && !slots[i].some((s) => active.has(s))) continue
      this.plan(i)
      for (const s of slots[i]) {
        if (active && !active.has(s)) continue
        s.t++
        if (s.t !== t) {
          t = s.t
          c = this.scalars(this.paramGroups[i], t, i)
        }
        visit(s, c, i)
      }
    }
  }

  /**
   * A step with the helpers: the parameter() buffers' kernel calls become one pass of tasks over
   * every thread; plain arrays are then staged and stepped on the calling thread. The same
   * groups, scalars and step counts as the loop of step(), in the same order.
   */
  #stepOn(pool: Pool, slots: Slot[][], active: Set<Slot> | undefined, flush: boolean): void {
    const kernel = this.#kernel!
    const pass = new Pass(pool, residentElements(slots, active), slots.flat().length, 0)
    const staged: [Slot, S][] = []
    this.#advance(slots, active, (s, c) => {
      if (s.param.user || s.grad.user) staged.push([s, c])
      else addStep(pass, kernel, s, c, flush, flush && s.t % FLUSH_EVERY === 0)
    })
    pass.run()
    const call = this.#call
    const w = this.#walker
    for (const [s, c] of staged) {
      for (w.begin(s, READ_P | READ_G | WRITE_P); w.next(); ) call(w.p, w.g, s.state, w.n, w.off, c, flush)
      if (flush && s.t % FLUSH_EVERY === 0) flushState(s)
    }
  }

  /**
   * Scales all gradients together so that their global L2 norm is at most `maxNorm`, by
   * maxNorm/(norm + 1e-6) where that is below 1 (PyTorch's `clip_grad_norm_`). Returns the norm
   * before clipping. A non-finite norm leaves the gradients as they are and is returned, unless
   * `errorIfNonfinite` is set, which throws instead. Two wasm passes: Σg² in f64, then the scaling.
   */
  clipGradNorm(maxNorm: number, options: { errorIfNonfinite?: boolean } = {}): number {
    const slots = this.#checkedParams('clipGradNorm')
    const where = `${this.#name}.clipGradNorm()`
    new Checker(where, { maxNorm }).nonNegative('maxNorm')
    return clipByNorm(where, slots, this.#walker, maxNorm, options.errorIfNonfinite === true)
  }

  /** Clamps every gradient element to [−clipValue, clipValue] (PyTorch's `clip_grad_value_`); NaN stays NaN. */
  clipGradValue(clipValue: number): void {
    const slots = this.#checkedParams('clipGradValue')
    new Checker(`${this.#name}.clipGradValue()`, { clipValue }).range('clipValue', 0, Infinity, true)
    clipByValue(slots, this.#walker, clipValue)
  }

  /**
   * Everything needed to resume: each group's options, each parameter's step count and state
   * buffers (bit-exact, in base64), the non-finite policy. Survives JSON.stringify. Parameter
   * values are not included: save them with the model.
   */
  stateDict(): StateDict {
    return snapshot(this.#name, this.#live('stateDict'), this.paramGroups, this, toBase64, (i) => this.groupState(i))
  }

  /** The same as {@link Optimizer.stateDict}, as one compact binary buffer (a small header, then raw float32). */
  stateBytes(): Uint8Array {
    return toBytes(
      snapshot(
        this.#name,
        this.#live('stateBytes'),
        this.paramGroups,
        this,
        (a) => a,
        (i) => this.groupState(i),
      ),
    )
  }

  /**
   * Restores a state from {@link Optimizer.stateDict} (or its JSON round trip) or
   * {@link Optimizer.stateBytes}. It checks the format version, the optimizer, the number of
   * groups and of parameters, every length and buffer, and throws a clear error on any mismatch
   * without changing anything. When every parameter (here and in the state) has a name, state is
   * matched by name: the parameters may be reordered, and a parameter the state does not name
   * starts fresh; a name in the state that matches no parameter is an error. Otherwise it is
   * matched by position.
   */
  loadStateDict(src: StateDict | Uint8Array | ArrayBuffer): void {
    const slots = this.#live('loadStateDict')
    const where = `${this.#name}.loadStateDict()`
    const merge = (options: object, i: number, at: string) => {
      const merged = { ...this.paramGroups[i], ...checkKeys<O>(at, options, this.defaults) }
      this.#checkGroup(merged, i, at)
      return merged
    }
    const own = (saved: unknown, i: number, at: string) => this.loadGroupState(i, saved, at)
    const loaded = restore(where, this.#name, src, slots, this.paramGroups.length, merge, own)
    checkPolicy(where, ': nonFinite', loaded.nonFinite)
    if (loaded.subnormals !== undefined) this.#checkSubnormals(where, loaded.subnormals)
    // Everything checked: now write.
    loaded.options.forEach((o, i) => {
      Object.assign(this.paramGroups[i], o)
    })
    writeState(loaded.pairs, (s, k) => this.initialState(this.paramGroups[s.group], k))
    for (const restoreGroup of loaded.groupState) restoreGroup()
    this.nonFinite = loaded.nonFinite as NonFinitePolicy
    if (loaded.subnormals !== undefined) this.subnormals = loaded.subnormals as SubnormalMode
    this.skippedSteps = loaded.skippedSteps
  }

  /**
   * Diagnostics through the paper's lens, per group and in total: gradient and parameter norms;
   * for methods with a moving average m, the update norm and the fraction of coordinates where
   * sign(g) agrees with sign(m); for methods that also keep v (SVAG, M-SVAG, Adam, AdamW, and
   * M-SGD or M-SSD made with trackVariance: true), the mean and a histogram of the variance-
   * adaptation factor γ (Adam's |m̂|/(√v̂ + ε)), a log-scale histogram of the estimated relative
   * variance η̂², and the mean estimated probability that the gradient's sign is right. Call it
   * after step() and before the gradients change. One read-only wasm SIMD pass; a run that never
   * calls it pays nothing. The norms cover every coordinate; the rest, which needs divisions,
   * covers every `sampleEvery`-th group of four coordinates of each parameter (by default one
   * coordinate in 32, sparser in groups of 2¹⁹ elements or more, so that the pass costs less than
   * a step; 1 measures all); `sampled` says how many.
   */
  stats(options?: StatsOptions): OptimizerStats {
    const slots = this.#live('stats')
    for (let i = 0; i < slots.length; i++) {
      for (let j = 0; j < slots[i].length; j++) checkSlot(slots[i][j], this.#where.stats[i], j)
    }
    return collect(
      `${this.#name}.stats()`,
      slots,
      this.#walker,
      (i, t) => this.statsScalars(this.paramGroups[i], t),
      options,
    )
  }

  /**
   * A method's own pass over θ (Schedule-Free's switch between y and x): every parameter is
   * checked, then `fn` runs on each parameter of the given groups that has taken a step, chunk by
   * chunk, with θ's address (a plain array staged and written back), the state's addresses, the
   * chunk's first element and length, and the group.
   */
  protected passOverParams(
    method: string,
    groups: readonly number[],
    fn: (p: number, state: Readonly<Record<string, number>>, off: number, n: number, group: number) => void,
  ): void {
    const w = this.#walker
    for (const s of this.#checkedParams(method)) {
      if (!groups.includes(s.group) || s.t === 0) continue
      for (w.begin(s, READ_P | WRITE_P); w.next(); ) fn(w.p, s.state, w.off, w.n, s.group)
    }
  }

  /** Sets every gradient to zero. */
  zeroGrad(): void {
    for (const s of this.#checkedParams('zeroGrad')) (s.grad.user ?? view(s.g, s.n)).fill(0)
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

  /** The parameters named in `only`, for step(): every name must be a parameter's. */
  #named(only: Iterable<string>): Set<Slot> {
    const byName = new Map(this.#slots.flat().map((s) => [s.name, s]))
    const out = new Set<Slot>()
    for (const name of only) {
      const s = byName.get(name)
      if (s === undefined || name === undefined) {
        throw new TypeError(
          `${this.#name}.step(only): no parameter is named ${describe(name)}; name parameters ({ param, grad, name }) to step some of them`,
        )
      }
      out.add(s)
    }
    return out
  }

  #live(method: string): Slot[][] {
    if (this.#block === undefined) throw new TypeError(`${this.#name}.${method}(): the optimizer was disposed`)
    return this.#slots
  }

  /** Every option of every group and every parameter checked, for step(). */
  #checkedForStep(): Slot[][] {
    const slots = this.#live('step')
    checkPolicy(this.#name, '.step()', this.nonFinite)
    this.#checkSubnormals(`${this.#name}.step()`, this.subnormals)
    for (let i = 0; i < slots.length; i++) {
      const where = this.#where.step[i]
      this.#checkGroup(this.paramGroups[i], i, where)
      for (let j = 0; j < slots[i].length; j++) checkSlot(slots[i][j], where, j)
    }
    return slots
  }

  /** Checks a subnormal mode against the ones this optimizer's kernel offers. */
  #checkSubnormals(where: string, mode: unknown): SubnormalMode {
    const modes = this.subnormalModes()
    const why = modes.length === 1 ? ` (${this.#name} computes TF.js's bits, which keep subnormals)` : ''
    return oneOf(`${where}: subnormals`, mode, modes, why)
  }

  /** Every parameter checked, in one list, for the passes over gradients. */
  #checkedParams(method: string): Slot[] {
    const slots = this.#live(method).flat()
    const where = `${this.#name}.${method}()`
    for (let j = 0; j < slots.length; j++) checkSlot(slots[j], where, j)
    return slots
  }

  /** Checks a group's options, that it has no unknown one, and that the state buffers they need were allocated. */
  #checkGroup(group: O, i: number, where: string): void {
    for (const key in group) if (key !== 'params' && !(key in this.defaults)) unknownOption(where, key, this.defaults)
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
}
