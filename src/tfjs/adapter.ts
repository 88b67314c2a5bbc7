// The class every wasm-optim/tfjs optimizer is an instance of: a tf.Optimizer (of the caller's
// TF.js) whose applyGradients runs a wasm-optim optimizer over parameters that mirror, or are, the
// variables' storage. One wasm-optim optimizer over every variable seen, each parameter named
// after its variable, so state is kept per variable (alternating variable lists just work), and
// global clipping, diagnostics and checkpoints cover them all.
import type * as tfc from '@tensorflow/tfjs-core'
import type { ParamState } from '../checkpoint.js'
import {
  internals,
  memoryStats,
  type Optimizer,
  type OptimizerStats,
  type Parameter,
  parameter,
  type StatsOptions,
} from '../index.js'
import { alias, aliasIntact, choosePath, type Path, readGradient, writeVariable } from './data.js'
import { flavourKernels } from './flavours.js'

type TF = typeof tfc
/** A tensor with its name, as TF.js's optimizers pass gradients and weights. */
export interface NamedTensor {
  /** The variable's (or the weight's) name. */
  name: string
  /** Its values. */
  tensor: tfc.Tensor
}

/** A learning rate: a number, or a function of the iteration count (0 on the first call). */
export type LearningRate = number | ((iteration: number) => number)

/** What every wasm-optim/tfjs optimizer takes besides its rule's own options. */
export interface AdapterOptions {
  /** Scale every gradient so that their global L2 norm is at most this (PyTorch's clip_grad_norm_). */
  clipNorm?: number
  /** Clamp every gradient element to [−clipValue, clipValue]. */
  clipValue?: number
  /** Sum the gradients of this many applyGradients() calls in wasm memory and step on every k-th. Default 1. */
  accumulate?: number
  /** What a step does with a NaN or ±Infinity gradient (see wasm-optim's NonFinitePolicy). Default 'propagate'. */
  nonFinite?: 'propagate' | 'skip' | 'throw'
  /** 'auto': the fastest safe data path for the backend (see docs/tfjs.md); 'copy': always the public one. Default 'auto'. */
  dataPath?: 'auto' | 'copy'
}

/** How one kind of optimizer is made: the wasm-optim class, its options, and its slots' names in getWeights(). */
export interface Kind {
  /** The class's name for TF.js's serialization: unique, never a TF.js name. */
  className: string
  /** Makes the wasm-optim optimizer over these parameters with the rule's options (lr excluded). */
  make(params: Parameter[], options: object): Optimizer<object>
  /** The optimizer's state buffers in getWeights() order, with TF.js's slot name for each (e.g. ['ms', 'rms']). */
  slots(opt: Optimizer<object>): [buffer: string, slot: string][]
}

/** The saved form of an optimizer: its kind's options, the learning rate and the adapter's options. */
export interface AdapterConfig {
  [key: string]: unknown
  /** The learning rate: a number, or a function of the iteration count. */
  learningRate: LearningRate
}

interface Entry {
  variable: tfc.Variable
  p: Parameter
  /** The data the variable had after our last write: another means someone assigned it. */
  dataId: object | undefined
  path: Path
}

/**
 * A wasm-optim/tfjs optimizer: a tf.Optimizer (of the TF.js it was made with) that model.compile,
 * model.fit, minimize() and model.save take as any other, with wasm-optim's extras.
 */
export interface WasmOptimizer extends tfc.Optimizer {
  /** The groups, for wasm-optim's schedulers: set `paramGroups[0].lr` (or use `learningRate`). */
  readonly paramGroups: [{ lr: number }]
  /** The learning rate: a number, or a function of the iteration count; can be changed between steps. */
  learningRate: LearningRate
  /** The same as assigning `learningRate` (TF.js's SGD has it). */
  setLearningRate(lr: number): void
  /** Diagnostics of the last step (wasm-optim's opt.stats()); call it right after a step. */
  stats(options?: StatsOptions): OptimizerStats
  /** Updates every variable that has a gradient, in one wasm-optim step. */
  applyGradients(variableGradients: tfc.NamedTensorMap | NamedTensor[]): void
  /** The rule's options, the learning rate (its value now, if it is a function) and the adapter's options. */
  getConfig(): tfc.serialization.ConfigDict
}

/** The constructor every kind's class extends. */
export type WasmOptimizerBase = new (kind: Kind, config: AdapterConfig) => WasmOptimizer

/** Defines the base class on the caller's tf.Optimizer, so that instanceof and registerClass use the caller's TF.js. */
export function defineBase(tf: TF): WasmOptimizerBase {
  const notes = new Set<string>()
  const shared = memoryStats().shared

  class WasmOptimOptimizer extends tf.Optimizer {
    /** The groups, for wasm-optim's schedulers: set `paramGroups[0].lr` (or use `learningRate`). */
    readonly paramGroups: [{ lr: number }]
    readonly #kind: Kind
    readonly #options: object
    readonly #adapter: Required<Omit<AdapterOptions, 'clipNorm' | 'clipValue'>> &
      Pick<AdapterOptions, 'clipNorm' | 'clipValue'>
    #lr: LearningRate
    readonly #entries = new Map<string, Entry>()
    #opt: Optimizer<object> | undefined
    /** Weights from setWeights(), bound to variables by position at the next applyGradients(). */
    #pending: { data: Float32Array; shape: number[] }[] | undefined
    /** Tensors handed out by getWeights(): the optimizer's until its next getWeights() or dispose(). */
    #handed: tfc.Tensor[] = []
    #calls = 0
    #scratch: Parameter | undefined

    constructor(kind: Kind, config: AdapterConfig) {
      super()
      const {
        learningRate,
        clipNorm,
        clipValue,
        accumulate = 1,
        nonFinite = 'propagate',
        dataPath = 'auto',
        ...options
      } = config
      const where = kind.className
      if (typeof learningRate !== 'number' && typeof learningRate !== 'function') {
        throw new TypeError(
          `${where}: learningRate must be a number or a function of the iteration, got ${internals.describe(learningRate)}`,
        )
      }
      for (const [key, value] of [
        ['clipNorm', clipNorm],
        ['clipValue', clipValue],
      ] as const) {
        if (value !== undefined && !(typeof value === 'number' && value >= 0 && Number.isFinite(value))) {
          throw new RangeError(`${where}: ${key} must be a number in [0, ∞), got ${internals.describe(value)}`)
        }
      }
      if (!Number.isInteger(accumulate) || (accumulate as number) < 1) {
        throw new RangeError(`${where}: accumulate must be an integer ≥ 1, got ${internals.describe(accumulate)}`)
      }
      if (dataPath !== 'auto' && dataPath !== 'copy')
        throw new TypeError(`${where}: dataPath must be 'auto' or 'copy', got ${internals.describe(dataPath)}`)
      this.#kind = kind
      this.#lr = learningRate as LearningRate
      this.#options = options
      this.#adapter = { clipNorm, clipValue, accumulate, nonFinite, dataPath } as never
      this.paramGroups = [{ lr: typeof learningRate === 'number' ? learningRate : learningRate(0) }]
      // Check the rule's options now, on a throwaway parameter: a bad option fails here, not at the first step.
      // A 1 × 1 matrix, so that a rule for matrices only (Muon) can be checked the same way.
      const probe = parameter(1, { shape: [1, 1] })
      try {
        kind.make([probe], { ...options, lr: this.paramGroups[0].lr, nonFinite }).dispose()
      } finally {
        probe.dispose()
      }
    }

    /** The learning rate: a number, or a function of the iteration count; can be changed between steps. */
    get learningRate(): LearningRate {
      return this.#lr
    }

    set learningRate(lr: LearningRate) {
      if (typeof lr !== 'number' && typeof lr !== 'function') {
        throw new TypeError(
          `${this.#kind.className}: learningRate must be a number or a function, got ${internals.describe(lr)}`,
        )
      }
      this.#lr = lr
      if (typeof lr === 'number') this.paramGroups[0].lr = lr
    }

    /** TF.js's SGD has it: the same as assigning `learningRate`. */
    setLearningRate(lr: number): void {
      this.learningRate = lr
    }

    /** Updates every variable that has a gradient, in one wasm-optim step. */
    override applyGradients(variableGradients: tfc.NamedTensorMap | NamedTensor[]): void {
      const list = Array.isArray(variableGradients)
        ? variableGradients
        : Object.keys(variableGradients).map((name) => ({ name, tensor: variableGradients[name] }))
      const items = list.filter((x) => x.tensor != null)
      const vars = this.#check(items)
      const opt = this.#cover(vars)
      if (this.#pending) this.#bind(opt, vars)
      const k = this.#adapter.accumulate
      const first = this.#calls % k === 0
      for (const [i, { tensor }] of items.entries()) {
        const e = this.#entries.get(vars[i].name)!
        this.#sync(e)
        if (first || k === 1) readGradient(tf, e.path, tensor, e.p.grad)
        else this.#accumulate(tf, e, tensor)
      }
      this.#calls++
      if (this.#calls % k === 0) {
        // Every variable seen is in this call (model.fit): all step. Else only these, the others' gradients zeroed
        // so that a global clipping norm covers this call's gradients alone.
        const all = vars.length === this.#entries.size
        const active = all ? undefined : new Set(vars.map((v) => v.name))
        if (active) for (const [name, e] of this.#entries) if (!active.has(name)) e.p.grad.fill(0)
        const lr = this.#lr
        this.paramGroups[0].lr = typeof lr === 'number' ? this.paramGroups[0].lr : lr(this.iterations)
        ;(opt.paramGroups[0] as unknown as { lr: number }).lr = this.paramGroups[0].lr
        if (this.#adapter.clipNorm !== undefined) opt.clipGradNorm(this.#adapter.clipNorm)
        if (this.#adapter.clipValue !== undefined) opt.clipGradValue(this.#adapter.clipValue)
        if (opt.step(active)) for (const v of vars) this.#write(this.#entries.get(v.name)!)
      }
      this.incrementIterations()
    }

    /** Diagnostics of the last step (wasm-optim's opt.stats()); call it right after a step. */
    stats(options?: StatsOptions): OptimizerStats {
      if (!this.#opt) throw new Error(`${this.#kind.className}.stats(): no step has been taken yet`)
      return this.#opt.stats(options)
    }

    /** The iteration counter, then each state buffer of each variable, in TF.js's slot names and order. */
    override async getWeights(): Promise<NamedTensor[]> {
      tf.dispose(this.#handed)
      this.#handed = []
      const out: NamedTensor[] = [{ name: 'iter', tensor: tf.scalar(this.iterations, 'int32') }]
      const opt = this.#opt
      if (opt) {
        const slots = opt.slots[0]
        for (const [buffer, slot] of this.#kind.slots(opt)) {
          for (const s of slots) {
            const e = this.#entries.get(s.name!)!
            const values = internals.view(s.state[buffer], s.n).slice()
            out.push({ name: `${s.name}/${slot}`, tensor: tf.tensor(values, e.variable.shape, 'float32') })
          }
        }
      }
      this.#handed = out.map((w) => w.tensor)
      return out
    }

    /**
     * Restores what getWeights() saved (or what a TF.js optimizer of the same rule saved): the
     * iteration counter now, the state at the next applyGradients(), by position in its variable
     * list, as TF.js does (a reloaded model's variables have new names).
     */
    override async setWeights(weightValues: NamedTensor[]): Promise<void> {
      if (!Array.isArray(weightValues) || weightValues.length === 0 || weightValues[0].name !== 'iter') {
        throw new TypeError(
          `${this.#kind.className}.setWeights(): expected [iter, ...slots] as getWeights() returns them`,
        )
      }
      const values = await Promise.all(
        weightValues
          .slice(1)
          .map(async (w) => ({ data: Float32Array.from(await w.tensor.data()), shape: w.tensor.shape })),
      )
      const rest = await this.extractIterations(weightValues.slice(0, 1))
      void rest
      this.#calls = this.iterations_ * this.#adapter.accumulate
      this.#pending = values
    }

    /** The rule's options, the learning rate (its value now, if it is a function) and the adapter's options. */
    override getConfig(): tfc.serialization.ConfigDict {
      const { clipNorm, clipValue, ...adapter } = this.#adapter
      return JSON.parse(
        JSON.stringify({
          ...this.#options,
          ...adapter,
          ...(clipNorm !== undefined && { clipNorm }),
          ...(clipValue !== undefined && { clipValue }),
          learningRate: this.paramGroups[0].lr,
        }),
      )
    }

    /** Frees the wasm memory and every tensor the optimizer made; aliased variables get storage of their own first. */
    override dispose(): void {
      for (const e of this.#entries.values()) {
        if (e.path === 'alias' && !e.variable.isDisposed && e.variable.dataId === e.dataId)
          writeVariable(tf, 'copy', e.variable, e.p)
        e.p.dispose()
      }
      this.#entries.clear()
      this.#opt?.dispose()
      this.#opt = undefined
      this.#scratch?.dispose()
      this.#scratch = undefined
      tf.dispose(this.#handed)
      this.#handed = []
      super.dispose()
    }

    /** Every gradient names a variable and has its shape: checked before anything changes. */
    #check(items: { name: string; tensor: tfc.Tensor }[]): tfc.Variable[] {
      const registered = tf.engine().registeredVariables
      return items.map(({ name, tensor }) => {
        const v = registered[name]
        const where = `${this.#kind.className}.applyGradients()`
        if (!v) throw new TypeError(`${where}: no variable is named '${name}'`)
        if (!tf.util.arraysEqual(tensor.shape, v.shape)) {
          throw new RangeError(
            `${where}: the gradient of '${name}' has shape [${tensor.shape}], the variable [${v.shape}]`,
          )
        }
        if (v.dtype !== 'float32' || tensor.dtype !== 'float32') {
          throw new TypeError(`${where}: '${name}' is ${v.dtype}, its gradient ${tensor.dtype}; only float32 trains`)
        }
        return v
      })
    }

    /** The wasm-optim optimizer over every variable seen: made again, state carried by name, when new ones appear. */
    #cover(vars: tfc.Variable[]): Optimizer<object> {
      const fresh = vars.filter((v) => !this.#entries.has(v.name))
      if (this.#opt && fresh.length === 0) return this.#opt
      const path = choosePath(tf, this.#adapter.dataPath, shared)
      if (path === 'copy' && tf.getBackend() !== 'cpu' && tf.getBackend() !== 'wasm' && !notes.has(tf.getBackend())) {
        notes.add(tf.getBackend())
        console.info(
          `wasm-optim/tfjs: the ${tf.getBackend()} backend keeps tensors on its device: every step reads the ` +
            'gradients back and uploads the parameters. You gain the optimizers and features, not speed.',
        )
      }
      // Each parameter carries its variable's shape (Muon needs it; the element-wise rules ignore it).
      const added: Entry[] = fresh.map((v) => ({
        variable: v,
        p: parameter(v.size, { name: v.name, shape: [...v.shape] }),
        dataId: undefined,
        path,
      }))
      const params = [...this.#entries.values(), ...added].map((e) => e.p)
      let opt: Optimizer<object>
      try {
        opt = this.#kind.make(params, {
          ...this.#options,
          lr: this.paramGroups[0].lr,
          nonFinite: this.#adapter.nonFinite,
        })
      } catch (e) {
        // Refused (Muon, given a variable that is not a matrix): the optimizer it had stays as it was.
        for (const a of added) a.p.dispose()
        throw e
      }
      for (const a of added) this.#entries.set(a.variable.name, a)
      const saved = this.#opt?.stateDict()
      this.#opt?.dispose()
      if (saved) opt.loadStateDict(saved)
      this.#opt = opt
      return opt
    }

    /** Binds setWeights()'s values to this call's variables, by position: the counts and shapes must fit. */
    #bind(opt: Optimizer<object>, vars: tfc.Variable[]): void {
      const values = this.#pending!
      const slots = this.#kind.slots(opt)
      const where = `${this.#kind.className}.setWeights()`
      if (values.length !== slots.length * vars.length) {
        this.#pending = undefined
        throw new RangeError(
          `${where}: got ${values.length} weights besides iter for ${vars.length} variables; ` +
            `this optimizer keeps ${slots.length} per variable (${slots.map(([, s]) => s).join(', ')}), so ${slots.length * vars.length}`,
        )
      }
      const step = Math.floor(this.iterations / this.#adapter.accumulate)
      const params = vars.map(
        (v, j): ParamState<string> => ({
          name: v.name,
          length: v.size,
          step,
          state: Object.fromEntries(
            slots.map(([buffer], b) => {
              const w = values[b * vars.length + j]
              if (w.data.length !== v.size) {
                throw new RangeError(
                  `${where}: weight ${b * vars.length + j + 1} has ${w.data.length} values, variable '${v.name}' ${v.size}`,
                )
              }
              return [buffer, internals.toBase64(w.data)]
            }),
          ),
        }),
      )
      const dict = opt.stateDict()
      const named = new Map(params.map((p) => [p.name, p]))
      const bytes = {
        ...dict,
        groups: [{ ...dict.groups[0], params: dict.groups[0].params.map((p) => named.get(p.name!) ?? p) }],
      }
      opt.loadStateDict(bytes)
      this.#pending = undefined
    }

    /** Makes the parameter hold the variable's current values: at first, and whenever someone else assigned the variable. */
    #sync(e: Entry): void {
      if (e.path === 'alias' && e.dataId !== undefined && aliasIntact(tf, e.variable, e.dataId, e.p)) return
      if (e.path !== 'alias' && e.dataId === e.variable.dataId) return
      if (e.path === 'alias' && alias(tf, e.variable, e.p)) {
        e.dataId = e.variable.dataId
        return
      }
      if (e.path === 'alias') e.path = 'copy' // the backend copied: the public path for this variable from now on
      e.p.param.set(e.variable.dataSync() as Float32Array)
      e.dataId = e.variable.dataId
    }

    /** Writes the parameter back into the variable (nothing to do where the variable's storage is the parameter). */
    #write(e: Entry): void {
      if (e.path === 'alias') return
      writeVariable(tf, e.path, e.variable, e.p)
      e.dataId = e.variable.dataId
    }

    /** Adds this call's gradient to the sum in the parameter's gradient (accumulate > 1). */
    #accumulate(tfjs: TF, e: Entry, tensor: tfc.Tensor): void {
      const n = e.p.length
      if (!this.#scratch || this.#scratch.length < n) {
        this.#scratch?.dispose()
        this.#scratch = parameter(n)
      }
      const scratch = this.#scratch
      readGradient(tfjs, e.path, tensor, scratch.param.subarray(0, n))
      flavourKernels().accumulate(e.p.grad.byteOffset, scratch.param.byteOffset, n)
    }
  }
  return WasmOptimOptimizer
}
