// The class every wasm-optim/tfjs optimizer is an instance of: a tf.Optimizer (of the caller's
// TF.js) whose applyGradients runs a wasm-optim optimizer over parameters that mirror, or are, the
// variables' storage. One wasm-optim optimizer over every variable seen, each parameter named
// after its variable, so state is kept per variable (alternating variable lists just work), and
// global clipping, diagnostics and checkpoints cover them all.
import type * as tfc from '@tensorflow/tfjs-core'
import {
  internals,
  type Optimizer,
  type OptimizerStats,
  type Parameter,
  parameter,
  type StatsOptions,
} from '../index.js'
import { choosePath, type Path, readGradient, writeVariable } from './data.js'
import { flavourKernels } from './flavours.js'
import { bindWeights, type Pending, readWeights, slotWeights } from './weights.js'

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
  /** The accumulation cycle whose gradient the parameter's gradient holds (accumulate > 1). */
  cycle: number
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
    /** Weights from setWeights(), bound to variables by position at the next applyGradients(), with the count before it. */
    #pending: { values: Pending; before: number } | undefined
    #disposed = false
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
      if (this.#disposed) throw new TypeError(`${this.#kind.className}.applyGradients(): the optimizer was disposed`)
      const list = Array.isArray(variableGradients)
        ? variableGradients
        : Object.keys(variableGradients).map((name) => ({ name, tensor: variableGradients[name] }))
      const items = list.filter((x) => x.tensor != null)
      const vars = this.#check(items)
      const opt = this.#cover(vars)
      if (this.#pending) this.#bind(opt, vars)
      const k = this.#adapter.accumulate
      const cycle = Math.floor(this.#calls / k)
      for (const [i, { tensor }] of items.entries()) {
        const e = this.#entries.get(vars[i].name)!
        this.#sync(e)
        // The first gradient of a variable in a cycle replaces what its buffer held; later ones add to it.
        if (e.cycle !== cycle || k === 1) readGradient(tf, e.path, tensor, e.p.grad)
        else this.#accumulate(tf, e, tensor)
        e.cycle = cycle
      }
      this.#calls++
      if (this.#calls % k === 0) {
        // Every variable seen had a gradient in this cycle (model.fit): all step. Else only those, the
        // others' gradients zeroed so that a global clipping norm covers this cycle's gradients alone.
        const seen = [...this.#entries].filter(([, e]) => e.cycle === cycle).map(([name]) => name)
        const active = seen.length === this.#entries.size ? undefined : new Set(seen)
        if (active) for (const [name, e] of this.#entries) if (!active.has(name)) e.p.grad.fill(0)
        const lr = this.#lr
        this.paramGroups[0].lr = typeof lr === 'number' ? this.paramGroups[0].lr : lr(this.iterations)
        ;(opt.paramGroups[0] as unknown as { lr: number }).lr = this.paramGroups[0].lr
        if (this.#adapter.clipNorm !== undefined) opt.clipGradNorm(this.#adapter.clipNorm)
        if (this.#adapter.clipValue !== undefined) opt.clipGradValue(this.#adapter.clipValue)
        if (opt.step(active)) for (const [name, e] of this.#entries) if (!active || active.has(name)) this.#write(e)
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
      const out = slotWeights(tf, this.#opt, this.#kind, this.iterations)
      this.#handed = out.map((w) => w.tensor)
      return out
    }

    /**
     * Restores what getWeights() saved (or what a TF.js optimizer of the same rule saved): the
     * iteration counter now, the state at the next applyGradients(), by position in its variable
     * list, as TF.js does (a reloaded model's variables have new names). Everything that can be
     * checked now is (iter, finite values, and the counts and sizes where the variables are known):
     * a refused call changes nothing; so does a refused binding at the next applyGradients().
     */
    override async setWeights(weightValues: NamedTensor[]): Promise<void> {
      const where = `${this.#kind.className}.setWeights()`
      const known = this.#opt && {
        perVariable: this.#kind.slots(this.#opt).length,
        sizes: this.#opt.slots[0].map((s) => s.n),
      }
      const { iter, values } = await readWeights(where, weightValues, known)
      this.#pending = values.length > 0 ? { values, before: this.iterations } : undefined
      this.iterations_ = iter
      this.#calls = iter * this.#adapter.accumulate
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
      this.#disposed = true
      for (const e of this.#entries.values()) e.p.dispose()
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
      // Variables disposed since (a model that is gone): their state is dropped, their memory freed.
      const dead = [...this.#entries.values()].filter((e) => e.variable.isDisposed)
      if (this.#opt && fresh.length === 0 && dead.length === 0) return this.#opt
      const path = choosePath(tf, this.#adapter.dataPath)
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
        cycle: -1,
      }))
      const kept = [...this.#entries.values()].filter((e) => !e.variable.isDisposed)
      const params = [...kept, ...added].map((e) => e.p)
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
      for (const d of dead) this.#entries.delete(d.variable.name)
      const saved = this.#opt?.stateDict()
      this.#opt?.dispose()
      for (const d of dead) d.p.dispose()
      if (saved) {
        const alive = new Set(kept.map((e) => e.variable.name))
        const groups = saved.groups.map((g) => ({ ...g, params: g.params.filter((q) => alive.has(q.name!)) }))
        opt.loadStateDict({ ...saved, groups })
      }
      this.#opt = opt
      return opt
    }

    /** Binds setWeights()'s values to this call's variables, by position; refused, it puts the count back and drops them. */
    #bind(opt: Optimizer<object>, vars: tfc.Variable[]): void {
      const { values, before } = this.#pending!
      this.#pending = undefined
      const step = Math.floor(this.iterations / this.#adapter.accumulate)
      try {
        bindWeights(`${this.#kind.className}.setWeights()`, opt, this.#kind, values, vars, step)
      } catch (e) {
        this.iterations_ = before
        this.#calls = before * this.#adapter.accumulate
        throw e
      }
    }

    /** Makes the parameter hold the variable's current values: at first, and whenever someone else assigned the variable. */
    #sync(e: Entry): void {
      if (e.dataId === e.variable.dataId) return
      e.p.param.set(e.variable.dataSync() as Float32Array)
      e.dataId = e.variable.dataId
    }

    /** Writes the parameter back into the variable through a new tensor: arrays read from it before keep their values. */
    #write(e: Entry): void {
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
