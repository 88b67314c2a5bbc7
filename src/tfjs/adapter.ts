// The class every wasm-optim/tfjs optimizer is an instance of: a tf.Optimizer (of the caller's
// TF.js) whose applyGradients runs a wasm-optim optimizer over parameters that mirror, or are, the
// variables' storage. One wasm-optim optimizer over every variable seen, each parameter named
// after its variable, so state is kept per variable (alternating variable lists just work), and
// global clipping, diagnostics and checkpoints cover them all.
import type * as tfc from '@tensorflow/tfjs-core'
import { type Optimizer, type OptimizerStats, type Parameter, parameter, type StatsOptions } from '../index.js'
import { type AdapterConfig, type AdapterSettings, checkConfig } from './config.js'
import { choosePath, type Path, readGradient, writeVariable } from './data.js'
import { flavourKernels } from './flavours.js'
import { checkRate, type LearningRate, rateAt, rateScale, savedRate } from './rate.js'
import { bindWeights, layout, type Pending, readWeights, slotWeights } from './weights.js'

type TF = typeof tfc
/** A tensor with its name, as TF.js's optimizers pass gradients and weights. */
export interface NamedTensor {
  /** The variable's (or the weight's) name. */
  name: string
  /** Its values. */
  tensor: tfc.Tensor
}

/** How one kind of optimizer is made: the wasm-optim class, its options, and its slots' names in getWeights(). */
export interface Kind {
  /** The class's name for TF.js's serialization: unique, never a TF.js name. */
  className: string
  /** Makes the wasm-optim optimizer over these parameters with the rule's options (lr excluded). */
  make(params: Parameter[], options: object): Optimizer<object>
  /** A group's state buffers in getWeights() order, with TF.js's slot name for each (e.g. ['ms', 'rms']). */
  slots(opt: Optimizer<object>, group: number): [buffer: string, slot: string][]
  /** Schedule-Free: its parameters switch between the training point y and the average x (train(), eval()). */
  modes?: boolean
}

/** What eval() and train() take: a model, whose trainable variables they bind restored state to. */
export interface HasTrainableWeights {
  /** The model's trainable weights, in the order model.fit hands their gradients over. */
  trainableWeights: { read(): tfc.Tensor }[]
}

/** The main entry's Schedule-Free AdamW, as the adapter drives it. */
type Modal = Optimizer<object> & { eval(): void; train(): void; readonly training: boolean[] }

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
  /** The learning rate: a number, a function of the iteration count or a wasm-optim scheduler (one epoch per step); can be changed between steps. */
  learningRate: LearningRate
  /** The same as assigning `learningRate` (TF.js's SGD has it). */
  setLearningRate(lr: number): void
  /** Diagnostics of the last step (wasm-optim's opt.stats()); call it right after a step. */
  stats(options?: StatsOptions): OptimizerStats
  /**
   * Schedule-Free AdamW: puts the variables at x, the average, to evaluate and to save. After a
   * load, before the first step, pass the model (its state is bound to its variables).
   */
  eval(model?: HasTrainableWeights): void
  /** Schedule-Free AdamW: puts the variables back at y, where training takes its gradients (see eval()). */
  train(model?: HasTrainableWeights): void
  /** Updates every variable that has a gradient, in one wasm-optim step. */
  applyGradients(variableGradients: tfc.NamedTensorMap | NamedTensor[]): void
  /** The rule's options, the learning rate (a number or a scheduler; a function cannot be saved) and the adapter's options. */
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
    readonly #adapter: AdapterSettings
    #lr: LearningRate
    readonly #entries = new Map<string, Entry>()
    #opt: Optimizer<object> | undefined
    /** Weights from setWeights(), bound to variables by position at the next applyGradients(), with the count before it. */
    #pending: (Pending & { before: number }) | undefined
    #disposed = false
    /** Tensors handed out by getWeights(): the optimizer's until its next getWeights() or dispose(). */
    #handed: tfc.Tensor[] = []
    #calls = 0
    #scratch: Parameter | undefined
    /** Each group's learning rate as its options give it, before a schedule moves it. */
    #groupLrs: number[] = []

    constructor(kind: Kind, config: AdapterConfig) {
      super()
      const { rate, adapter, options } = checkConfig(kind.className, config)
      this.#kind = kind
      this.#lr = rate
      this.#options = options
      this.#adapter = adapter
      this.paramGroups = [
        { lr: typeof rate === 'number' ? rate : typeof rate === 'function' ? rate(0) : rate.getLastLr()[0] },
      ]
      // Check the rule's options now, on a throwaway parameter: a bad option fails here, not at the first step.
      // A 1 × 1 matrix, so that a rule for matrices only (Muon) can be checked the same way.
      const probe = parameter(1, { shape: [1, 1] })
      try {
        kind.make([probe], { ...options, lr: this.paramGroups[0].lr, nonFinite: adapter.nonFinite }).dispose()
      } finally {
        probe.dispose()
      }
    }

    /** The learning rate: a number, a function of the iteration count or a wasm-optim scheduler; can be changed between steps. */
    get learningRate(): LearningRate {
      return this.#lr
    }

    set learningRate(lr: LearningRate) {
      this.#lr = checkRate(this.#kind.className, lr)
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
      if (this.#kind.modes && (opt as Modal).training.includes(false))
        throw new Error(
          `${this.#kind.className}.applyGradients(): the variables hold the average x (eval mode); call opt.train() first`,
        )
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
        this.paramGroups[0].lr = rateAt(this.#lr, this.iterations, this.#calls / k - 1, this.paramGroups[0].lr)
        // Group 0 takes the learning rate; another (Muon's AdamW) its own, moved by a schedule in proportion.
        const groups = opt.paramGroups as unknown as { lr: number }[]
        const scale = rateScale(this.#lr, this.paramGroups[0].lr)
        for (let i = 0; i < groups.length; i++)
          groups[i].lr = i === 0 ? this.paramGroups[0].lr : this.#groupLrs[i] * scale
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

    /** Schedule-Free AdamW: puts the variables at x, the average, to evaluate and to save. */
    eval(model?: HasTrainableWeights): void {
      this.#mode(false, model)
    }

    /** Schedule-Free AdamW: puts the variables back at y, where training takes its gradients. */
    train(model?: HasTrainableWeights): void {
      this.#mode(true, model)
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
      const sizes = this.#opt && layout(this.#opt, this.#kind).map((l) => l.s.n)
      const { iter, values, groups } = await readWeights(where, weightValues, sizes)
      this.#pending = values.length > 0 ? { values, groups, before: this.iterations } : undefined
      this.iterations_ = iter
      this.#calls = iter * this.#adapter.accumulate
    }

    /** The rule's options, the learning rate (a number or a scheduler; a function cannot be saved) and the adapter's options. */
    override getConfig(): tfc.serialization.ConfigDict {
      const { clipNorm, clipValue, ...adapter } = this.#adapter
      return JSON.parse(
        JSON.stringify({
          ...this.#options,
          ...adapter,
          ...(clipNorm !== undefined && { clipNorm }),
          ...(clipValue !== undefined && { clipValue }),
          learningRate: savedRate(`${this.#kind.className}.getConfig()`, this.#lr, this.paramGroups[0].lr),
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

    /** Switches Schedule-Free's parameters between y and x and writes them into the variables. */
    #mode(train: boolean, model: HasTrainableWeights | undefined): void {
      const where = `${this.#kind.className}.${train ? 'train' : 'eval'}()`
      if (!this.#kind.modes)
        throw new TypeError(`${where}: only Schedule-Free AdamW switches between training and evaluation`)
      if (this.#pending) {
        if (!model?.trainableWeights)
          throw new TypeError(
            `${where}: the state setWeights() restored is bound to the model's variables at the next step; pass the model to switch before that`,
          )
        const vars = model.trainableWeights.map((w) => w.read() as tfc.Variable)
        this.#bind(this.#cover(vars), vars)
      }
      const opt = this.#opt as Modal | undefined
      if (!opt) return // nothing has stepped: y and x are the same point
      for (const e of this.#entries.values()) this.#sync(e)
      if (train) opt.train()
      else opt.eval()
      for (const e of this.#entries.values()) this.#write(e)
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
        this.#groupLrs = opt.paramGroups.map((g) => (g as unknown as { lr: number }).lr)
      } catch (e) {
        // Refused: the optimizer it had stays as it was.
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
      const { before, ...pending } = this.#pending!
      this.#pending = undefined
      const step = Math.floor(this.iterations / this.#adapter.accumulate)
      try {
        bindWeights(`${this.#kind.className}.setWeights()`, opt, this.#kind, pending, vars, step)
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
