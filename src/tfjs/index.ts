// wasm-optim/tfjs: TensorFlow.js optimizers whose step runs in wasm-optim. `tfjsOptimizers(tf)`
// takes the caller's own TF.js (the classes extend its tf.Optimizer and register with its
// serialization map, so models it loads find them) and returns factories: TF.js's seven with
// tf.train's signatures and TF.js's own rules, to the bit, and every wasm-optim optimizer with an
// options object. This entry imports no TF.js at run time.
import type * as tfc from '@tensorflow/tfjs-core'
import {
  init,
  internals,
  type Optimizer,
  type OptimizerClass,
  type OptimizerName,
  optimizers,
  type SubnormalMode,
} from '../index.js'
import { defineBase, type Kind, type WasmOptimizer, type WasmOptimizerBase } from './adapter.js'
import type { AdapterConfig, AdapterOptions } from './config.js'
import { loadFlavours, TFAdadelta, TFAdagrad, TFAdam, TFAdamax, TFMomentum, TFRMSProp, TFSGD } from './flavours.js'
import { type MuonModelOptions, muonKind } from './muon.js'
import type { LearningRate } from './rate.js'

export type { HasTrainableWeights, NamedTensor, WasmOptimizer } from './adapter.js'
export type { AdapterConfig, AdapterOptions } from './config.js'
export type { MuonAdamW, MuonModelOptions } from './muon.js'
export type { LearningRate } from './rate.js'
export { registerTrainingKernels, type TrainingKernels, type TrainingKernelsOptions } from './training.js'

type TF = typeof tfc

/**
 * The options of a wasm-optim optimizer through wasm-optim/tfjs: its own (lr as `learningRate`),
 * its subnormal mode (see wasm-optim's SubnormalMode; default 'flush') and the adapter's.
 */
export type LibraryOptions<O> = Partial<Omit<O, 'lr'>> & {
  learningRate?: LearningRate
  subnormals?: SubnormalMode
} & AdapterOptions

/** The options of the optimizer named N (its class's `defaults` type). */
export type OptionsOf<N extends OptimizerName> = (typeof optimizers)[N] extends { defaults: infer O } ? O : object

/** What `tfjsOptimizers(tf)` returns: factories for every optimizer, each made on the given TF.js. */
export interface TfjsOptimizers {
  /** tf.train.sgd's rule: θ ← θ − lr·g. */
  sgd(learningRate: LearningRate, options?: AdapterOptions): WasmOptimizer
  /** tf.train.momentum's rule, with Nesterov momentum if asked. */
  momentum(learningRate: LearningRate, momentum: number, useNesterov?: boolean, options?: AdapterOptions): WasmOptimizer
  /** tf.train.rmsprop's rule (ε inside the root; centered subtracts (mean² + ε)). */
  rmsprop(
    learningRate: LearningRate,
    decay?: number,
    momentum?: number,
    epsilon?: number,
    centered?: boolean,
    options?: AdapterOptions,
  ): WasmOptimizer
  /** tf.train.adagrad's rule (the accumulator starts at 0.1). */
  adagrad(learningRate: LearningRate, initialAccumulatorValue?: number, options?: AdapterOptions): WasmOptimizer
  /** tf.train.adadelta's rule. */
  adadelta(learningRate?: LearningRate, rho?: number, epsilon?: number, options?: AdapterOptions): WasmOptimizer
  /** tf.train.adamax's rule (and, unlike TF.js's, getWeights and setWeights). */
  adamax(
    learningRate?: LearningRate,
    beta1?: number,
    beta2?: number,
    epsilon?: number,
    decay?: number,
    options?: AdapterOptions,
  ): WasmOptimizer
  /** tf.train.adam's rule, resuming exactly from getWeights()/setWeights() (TF.js's own does not). */
  adam(
    learningRate?: LearningRate,
    beta1?: number,
    beta2?: number,
    epsilon?: number,
    options?: AdapterOptions,
  ): WasmOptimizer
  /**
   * Any wasm-optim optimizer by its name in `optimizers` (PyTorch's rules: `create('Adam')` is
   * torch.optim.Adam's), with that optimizer's options (typed by name).
   */
  create<N extends OptimizerName>(name: N, options?: LibraryOptions<OptionsOf<N>>): WasmOptimizer
  /** wasm-optim's AdamW: Adam with decoupled weight decay, which TF.js lacks. */
  adamw(options?: LibraryOptions<import('../index.js').AdamOptions>): WasmOptimizer
  /** wasm-optim's Lion. */
  lion(options?: LibraryOptions<import('../index.js').LionOptions>): WasmOptimizer
  /** wasm-optim's M-SGD (the paper's momentum SGD). */
  msgd(options?: LibraryOptions<import('../index.js').MomentumOptions>): WasmOptimizer
  /** wasm-optim's SSD (sign descent). */
  ssd(options?: LibraryOptions<import('../index.js').SSDOptions>): WasmOptimizer
  /** wasm-optim's M-SSD (Signum). */
  mssd(options?: LibraryOptions<import('../index.js').MomentumOptions>): WasmOptimizer
  /** wasm-optim's SVAG. */
  svag(options?: LibraryOptions<import('../index.js').FamilyOptions>): WasmOptimizer
  /** wasm-optim's M-SVAG. */
  msvag(options?: LibraryOptions<import('../index.js').FamilyOptions>): WasmOptimizer
  /** wasm-optim's NAdam (PyTorch 2.x). */
  nadam(options?: LibraryOptions<import('../index.js').NAdamOptions>): WasmOptimizer
  /** wasm-optim's RAdam (PyTorch 2.x). */
  radam(options?: LibraryOptions<import('../index.js').RAdamOptions>): WasmOptimizer
  /**
   * wasm-optim's Muon (torch.optim.Muon's rule) over a whole model, as Keras's Muon: the weight
   * matrices (variables of rank 2, embedding tables aside) step with Muon; every other variable
   * (biases, gains, embeddings, and convolution kernels unless `convolutions: true`) with the
   * AdamW of `options.adamw`. For `model.compile({ optimizer })` and custom loops alike.
   */
  muon(options?: LibraryOptions<import('../index.js').MuonOptions> & MuonModelOptions): WasmOptimizer
  /**
   * wasm-optim's Schedule-Free AdamW (the authors' AdamWScheduleFree): no schedule to choose. Call
   * `opt.eval()` before evaluating or saving (the variables then hold the average x) and
   * `opt.train()` before training again; saved in either mode, a model resumes to the bit.
   */
  scheduleFreeAdamW(options?: LibraryOptions<import('../index.js').ScheduleFreeAdamWOptions>): WasmOptimizer
  /** The class every optimizer here is an instance of; a subclass of this TF.js's tf.Optimizer. */
  readonly Base: WasmOptimizerBase
}

/** The TF.js pieces this entry uses: a check that `tf` is TF.js 4.x before anything is defined on it. */
function checkTf(tf: unknown): asserts tf is TF {
  const t = tf as Partial<TF> | null
  const missing = [
    'Optimizer',
    'serialization',
    'engine',
    'tensor',
    'scalar',
    'dispose',
    'getBackend',
    'backend',
    'util',
  ].filter((k) => t == null || (t as Record<string, unknown>)[k] === undefined)
  if (missing.length > 0) {
    throw new TypeError(
      `wasm-optim/tfjs: tfjsOptimizers(tf) takes TensorFlow.js 4.x (import * as tf from '@tensorflow/tfjs'), ` +
        `got ${internals.describe(tf)} without ${missing.join(', ')}`,
    )
  }
}

const made = new WeakMap<object, TfjsOptimizers>()

/** TF.js's slot names of a flavour's buffers, in its getWeights() order. */
const tfSlots =
  (pairs: [string, string][]) =>
  (opt: Optimizer<object>, group: number): [string, string][] => {
    const kept = new Set(Object.keys(opt.slots[group]?.[0]?.state ?? {}))
    return pairs.filter(([buffer]) => kept.has(buffer))
  }
/** A wasm-optim optimizer's buffers, named as it names them. */
const ownSlots = (opt: Optimizer<object>, group: number): [string, string][] =>
  Object.keys(opt.slots[group]?.[0]?.state ?? {}).map((b) => [b, b])

const kind = (className: string, cls: OptimizerClass, slots: Kind['slots']): Kind => ({
  className,
  make: (params, options) => new cls(params, options),
  slots,
})

/**
 * The adapter's config from a library factory's argument: an options object, whose learning rate
 * is `learningRate` or the library's own name `lr` (not both), or a number, taken as the learning
 * rate; never dropped.
 */
function libraryConfig(name: OptimizerName, options: unknown): AdapterConfig {
  const where = `wasm-optim/tfjs: ${name}`
  if (typeof options === 'number') return { learningRate: options }
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(
      `${where}: options must be an object (or a number, the learning rate), got ${internals.describe(options)}`,
    )
  }
  const { lr, learningRate, ...rest } = options as { lr?: LearningRate; learningRate?: LearningRate }
  if (lr !== undefined && learningRate !== undefined) {
    throw new TypeError(
      `${where}: give the learning rate once, as learningRate or lr, got both (${internals.describe(learningRate)} and ${internals.describe(lr)})`,
    )
  }
  return { ...rest, learningRate: learningRate ?? lr ?? (optimizers[name].defaults as { lr: number }).lr }
}

/**
 * TensorFlow.js optimizers whose step runs in wasm-optim, made on the TF.js you pass (so that
 * `instanceof tf.Optimizer`, model.compile and loadLayersModel use your copy of TF.js). Initialises
 * wasm-optim if needed. Call it once, before loading a model saved with one of its optimizers.
 *
 * @example
 * import * as tf from '@tensorflow/tfjs'
 * import { tfjsOptimizers } from 'wasm-optim/tfjs'
 * const wo = await tfjsOptimizers(tf)
 * model.compile({ optimizer: wo.adam(1e-3), loss: 'categoricalCrossentropy' })
 */
export async function tfjsOptimizers(tf: TF): Promise<TfjsOptimizers> {
  checkTf(tf)
  const cached = made.get(tf)
  if (cached) return cached
  await init()
  await loadFlavours()
  const Base = defineBase(tf)
  const classes = new Map<string, new (config: AdapterConfig) => WasmOptimizer>()
  const define = (k: Kind) => {
    const cls = class extends Base {
      static readonly className = k.className
      constructor(config: AdapterConfig) {
        super(k, config)
      }
      /** Makes the optimizer again from getConfig() (TF.js's deserialization adds its customObjects, dropped here). */
      static fromConfig<T extends tfc.serialization.Serializable>(
        c: tfc.serialization.SerializableConstructor<T>,
        config: tfc.serialization.ConfigDict,
      ): T {
        const { customObjects: _, ...own } = config
        return new (c as unknown as new (config: object) => T)(own)
      }
    }
    tf.serialization.registerClass(cls as never)
    classes.set(k.className, cls)
    return (config: AdapterConfig) => new cls(config)
  }
  const eps = () => tf.backend().epsilon()
  const flavour = {
    sgd: define(kind('WasmOptimTFSGD', TFSGD, tfSlots([]))),
    momentum: define(kind('WasmOptimTFMomentum', TFMomentum, tfSlots([['acc', 'momentum']]))),
    rmsprop: define(
      kind(
        'WasmOptimTFRMSProp',
        TFRMSProp,
        tfSlots([
          ['ms', 'rms'],
          ['mom', 'momentum'],
          ['mg', 'mg'],
        ]),
      ),
    ),
    adagrad: define(kind('WasmOptimTFAdagrad', TFAdagrad, tfSlots([['acc', 'accumulator']]))),
    adadelta: define(
      kind(
        'WasmOptimTFAdadelta',
        TFAdadelta,
        tfSlots([
          ['ag', 'accum_grad'],
          ['au', 'accum_var'],
        ]),
      ),
    ),
    adamax: define(
      kind(
        'WasmOptimTFAdamax',
        TFAdamax,
        tfSlots([
          ['m', 'm'],
          ['u', 'v'],
        ]),
      ),
    ),
    adam: define(
      kind(
        'WasmOptimTFAdam',
        TFAdam,
        tfSlots([
          ['m', 'm'],
          ['v', 'v'],
        ]),
      ),
    ),
  }
  // Muon takes a whole model: the weight matrices with Muon, the rest with AdamW (muon.ts).
  // Schedule-Free's variables follow its mode: eval() puts x there, train() y (adapter.ts).
  const names = Object.keys(optimizers) as OptimizerName[]
  const special: Partial<Record<OptimizerName, Kind>> = {
    Muon: muonKind(ownSlots),
    ScheduleFreeAdamW: { ...kind('WasmOptimScheduleFreeAdamW', optimizers.ScheduleFreeAdamW, ownSlots), modes: true },
  }
  const library = Object.fromEntries(
    names.map((name) => [name, define(special[name] ?? kind(`WasmOptim${name}`, optimizers[name], ownSlots))]),
  ) as Partial<Record<OptimizerName, (config: AdapterConfig) => WasmOptimizer>>
  const create = (name: OptimizerName, options: object | number = {}) => {
    const make = library[name]
    if (!make) {
      throw new TypeError(
        `wasm-optim/tfjs: create(): no optimizer here is named ${internals.describe(name)}; the names are ${names.join(', ')}`,
      )
    }
    return make(libraryConfig(name, options))
  }
  const result: TfjsOptimizers = {
    sgd: (learningRate, options) => flavour.sgd({ ...options, learningRate }),
    momentum: (learningRate, momentum, useNesterov = false, options) =>
      flavour.momentum({ ...options, learningRate, momentum, nesterov: useNesterov }),
    rmsprop: (learningRate, decay = 0.9, momentum = 0, epsilon, centered = false, options) =>
      flavour.rmsprop({ ...options, learningRate, decay, momentum, eps: epsilon ?? eps(), centered }),
    adagrad: (learningRate, initialAccumulatorValue = 0.1, options) =>
      flavour.adagrad({ ...options, learningRate, initialAccumulatorValue, eps: eps() }),
    adadelta: (learningRate = 0.001, rho = 0.95, epsilon, options) =>
      flavour.adadelta({ ...options, learningRate, rho, eps: epsilon ?? eps() }),
    adamax: (learningRate = 0.002, beta1 = 0.9, beta2 = 0.999, epsilon, decay = 0, options) =>
      flavour.adamax({ ...options, learningRate, beta1, beta2, eps: epsilon ?? eps(), decay }),
    adam: (learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon, options) =>
      flavour.adam({ ...options, learningRate, beta1, beta2, eps: epsilon ?? eps() }),
    create,
    adamw: (options) => create('AdamW', options),
    lion: (options) => create('Lion', options),
    msgd: (options) => create('MSGD', options),
    ssd: (options) => create('SSD', options),
    mssd: (options) => create('MSSD', options),
    svag: (options) => create('SVAG', options),
    msvag: (options) => create('MSVAG', options),
    nadam: (options) => create('NAdam', options),
    radam: (options) => create('RAdam', options),
    muon: (options) => create('Muon', options),
    scheduleFreeAdamW: (options) => create('ScheduleFreeAdamW', options),
    Base,
  }
  made.set(tf, result)
  return result
}
