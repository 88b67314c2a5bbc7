import { restore, type StateDict, snapshot, toBase64, toBytes, writeState } from './checkpoint.js'
import { clipByNorm, clipByValue, gradientsFinite } from './gradients.js'
import { checkGroup, checkSlots, checkSubnormals, groupNames, makeGroups, namedSlots, ownOptions } from './groups.js'
import { advance, type Hooks, type KernelCall, ownKernel, runStep } from './kernel-call.js'
import type { KernelBuffers, KernelScalars, StepKernel } from './kernels.js'
import { defaultsOf, optionsCheck, type Schema } from './options.js'
import {
  checkKeys,
  checkPolicy,
  layOut,
  type NonFinitePolicy,
  type OptimizerOptions,
  type ParamGroup,
  type Params,
  type SubnormalMode,
} from './params.js'
import { runtime, view } from './runtime.js'
import { collect, NORMS_ONLY, type OptimizerStats, type StatsOptions, type StatsScalars } from './stats.js'
import { Checker } from './validate.js'
import { checkSlot, READ_P, type Slot, Walker, WRITE_P } from './walk.js'

export { FLUSH_EVERY, type KernelCall, WHOLE } from './kernel-call.js'
export type { OptimizerOptions, Params, SubnormalMode } from './params.js'

/**
 * The part every optimizer shares. It checks and holds the parameter groups, keeps the state in
 * the WebAssembly memory, and steps in three moves: check everything (so that a step that throws
 * has changed nothing), plan (each group's kernel scalars, once per group and step count), run
 * (one kernel call per parameter, or per chunk of a plain array). A subclass gives its options
 * table (src/options.ts; `check` adds rules between options), its state buffers (`buffers`) and
 * its kernel's scalars (`scalars`, named as in assembly/); the kernel is named in its constructor.
 */
export abstract class Optimizer<
  O extends object,
  K extends StepKernel = StepKernel,
  S extends object = KernelScalars[K],
> {
  /** Whether the class steps weight matrices whole (Muon): each parameter needs a shape. */
  static readonly matrices: boolean = false
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
  /** Each group's state buffers and their format, fixed at construction. */
  readonly #allocated: ReturnType<typeof layOut>['allocated']
  readonly #walker: Walker
  /** Each group's name in the messages of step() and stats(), made once: those run every step. */
  readonly #where: { step: string[]; stats: string[] }
  /** The one allocator block that holds all this optimizer's state and its staging area. */
  #block: number | undefined
  /** A step's parameters and their scalars (see advance), reused. */
  readonly #list: Slot[] = []
  readonly #scalarsOf: object[] = []
  /** The subclass's hooks as a step calls them, bound once (a step allocates no closure); typed loosely (see #call). */
  readonly #hooks: Hooks

  protected constructor(
    name: string,
    kernel: K | KernelCall<S>,
    params: Params<O>,
    schema: Schema,
    options: Partial<O & OptimizerOptions> | undefined,
  ) {
    this.#name = name
    this.#call = (typeof kernel === 'function' ? kernel : ownKernel(kernel)) as unknown as KernelCall<object>
    this.#kernel = typeof kernel === 'function' ? undefined : kernel
    runtime()
    this.#hooks = {
      plan: (i) => this.plan(i),
      scalars: (i, t) => this.scalars(this.paramGroups[i], t, i),
      whole: this.stepWhole && ((s, c) => this.stepWhole!(s, c as S, s.group)),
      check: optionsCheck(schema, (g, c) => this.check(g as O, c)),
    }
    const made = makeGroups<O>(name, params, defaultsOf(schema) as O, options, {
      ...this.#hooks,
      modes: this.subnormalModes(),
    })
    this.nonFinite = made.nonFinite
    this.subnormals = made.subnormals
    this.defaults = made.defaults
    this.paramGroups = made.groups
    const buffers = this.paramGroups.map((g) => this.buffers(g))
    const layout = layOut(name, this.paramGroups, buffers, (i, b) => this.initialState(this.paramGroups[i], b))
    this.#block = layout.block
    this.#slots = layout.slots
    this.#walker = new Walker(layout.stage)
    this.#allocated = layout.allocated
    this.#where = { step: groupNames(name, 'step', made.groups), stats: groupNames(name, 'stats', made.groups) }
  }

  /** Checks what ties a group's options together (each one's range is checked from the class's table); throws through `c`. */
  protected check(_group: O, _c: Checker): void {}
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
  /** The subnormal modes its kernel offers, the default first (TF.js's rules in wasm-optim/tfjs: 'keep' alone). */
  protected subnormalModes(): readonly SubnormalMode[] {
    return ['flush', 'keep']
  }
  /** Steps parameter `s` of group `index` whole (Muon, whose kernel is WHOLE); element-wise methods leave it undefined. */
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
    const active = only === undefined ? undefined : namedSlots(this.#name, this.#slots, only)
    if (
      this.nonFinite !== 'propagate' &&
      !gradientsFinite(`${this.#name}.step()`, this.nonFinite, slots, this.#walker, active)
    ) {
      this.skippedSteps++
      return false
    }
    const [h, list, c] = [this.#hooks, this.#list, this.#scalarsOf]
    const n = advance(slots, active, list, c, h.plan, h.scalars)
    runStep(list, n, c, this.#call, this.#kernel, this.#walker, this.subnormals === 'flush', h.whole)
    return true
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
    return this.#snapshot('stateDict', toBase64)
  }

  /** The same as {@link Optimizer.stateDict}, as one compact binary buffer (a small header, then raw float32). */
  stateBytes(): Uint8Array {
    return toBytes(this.#snapshot('stateBytes', (a) => a))
  }

  #snapshot<B>(method: string, encode: (a: Float32Array) => B) {
    return snapshot(this.#name, this.#live(method), this.paramGroups, this, encode, (i) => this.groupState(i))
  }

  /**
   * Restores a state from {@link Optimizer.stateDict} (or its JSON round trip) or
   * {@link Optimizer.stateBytes}: everything is checked first (format, optimizer, groups, lengths,
   * buffers, values), and a mismatch throws a clear error with nothing changed. State is matched by
   * name where every parameter has one (a parameter the state does not name starts fresh), else by
   * position (docs/checkpoints.md). A state saved with another stateDtype loads into this
   * optimizer's: into 'f32' exactly; into 'bf16' or 'q8' only with `{ convert: true }` (it rounds).
   */
  loadStateDict(src: StateDict | Uint8Array | ArrayBuffer, options: { convert?: boolean } = {}): void {
    const slots = this.#live('loadStateDict')
    const where = `${this.#name}.loadStateDict()`
    const merge = (options: object, i: number, at: string) => {
      const merged = ownOptions({ ...this.paramGroups[i], ...checkKeys<O>(at, options, this.defaults) })
      this.#checkGroup(merged, i, at)
      return merged
    }
    const own = (saved: unknown, i: number, at: string) => this.loadGroupState(i, saved, at)
    const loaded = restore(where, this.#name, src, slots, this.paramGroups.length, merge, own, options.convert === true)
    checkPolicy(where, ': nonFinite', loaded.nonFinite)
    if (loaded.subnormals !== undefined) checkSubnormals(this.#name, where, loaded.subnormals, this.subnormalModes())
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
   * Diagnostics through the paper's lens, per group and in total ({@link OptimizerStats}). Call it
   * after step(), before the gradients change: one read-only pass, sampled (docs/diagnostics.md).
   */
  stats(options?: StatsOptions): OptimizerStats {
    const slots = this.#live('stats')
    checkSlots(slots, this.#where.stats)
    const scalars = (i: number, t: number) => this.statsScalars(this.paramGroups[i], t)
    return collect(`${this.#name}.stats()`, slots, this.#walker, scalars, options)
  }

  /**
   * A method's own pass over θ (Schedule-Free's switch between y and x): after every parameter is
   * checked, `fn` runs on each chunk of each parameter of `groups` that has stepped (θ staged and
   * written back for a plain array), with its record (state addresses, format), the chunk's offset and length.
   */
  protected passOverParams(
    method: string,
    groups: readonly number[],
    fn: (p: number, s: Slot, off: number, n: number) => void,
  ): void {
    const w = this.#walker
    for (const s of this.#checkedParams(method)) {
      if (!groups.includes(s.group) || s.t === 0) continue
      for (w.begin(s, READ_P | WRITE_P); w.next(); ) fn(w.p, s, w.off, w.n)
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

  #live(method: string): Slot[][] {
    if (this.#block === undefined) throw new TypeError(`${this.#name}.${method}(): the optimizer was disposed`)
    return this.#slots
  }

  /** Every option of every group and every parameter checked, for step(). */
  #checkedForStep(): Slot[][] {
    const slots = this.#live('step')
    checkPolicy(this.#name, '.step()', this.nonFinite)
    checkSubnormals(this.#name, `${this.#name}.step()`, this.subnormals, this.subnormalModes())
    for (let i = 0; i < slots.length; i++) this.#checkGroup(this.paramGroups[i], i, this.#where.step[i])
    checkSlots(slots, this.#where.step)
    return slots
  }

  /** Every parameter checked, in one list, for the passes over gradients. */
  #checkedParams(method: string): Slot[] {
    const slots = this.#live(method).flat()
    const where = `${this.#name}.${method}()`
    for (let j = 0; j < slots.length; j++) checkSlot(slots[j], where, j)
    return slots
  }

  #checkGroup(group: O, i: number, where: string): void {
    checkGroup(where, group, this.defaults, this.#hooks.check, this.buffers(group), this.#allocated[i])
  }
}
