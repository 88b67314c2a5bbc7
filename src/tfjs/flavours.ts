// TensorFlow.js's own rules for its seven optimizers, as wasm-optim optimizers: the kernels of
// assembly/tfjs/ compute what tf.train's optimizers compute, float32 operation for float32
// operation in TF.js's order, so the results are the same bits (docs/tfjs.md). What TF.js keeps
// in float32 besides the buffers (β1ᵗ and β2ᵗ as running products, Adamax's iteration count) is
// recomputed here from the step count in the same float32 operations, so that a run resumed from
// a checkpoint goes on exactly: TF.js's own setWeights recomputes them with a float32 pow, and
// does not.
import { internals, Optimizer, type OptimizerOptions, type OptionsOf, option, type Params } from '../index.js'
import type { KernelCall, SubnormalMode } from '../optimizer.js'
import { CALLS, type KernelScalars, type Kernels, type StepKernel } from './kernels.js'
import * as wasm from './wasm.js'

let kernels: (() => Kernels) | undefined

/** Instantiates the TF.js flavours' kernels on the library's memory (once; after init()). */
export async function loadFlavours(): Promise<() => Kernels> {
  kernels ??= await internals.extension<Kernels>(wasm)
  return kernels
}

/** The flavour kernels' module, once loaded. */
export function flavourKernels(): Kernels {
  if (!kernels) throw new Error('wasm-optim/tfjs: call `await tfjsOptimizers(tf)` first')
  return kernels()
}

/** Binds a flavour kernel. They compute strict IEEE float32, as TF.js does: `flush` is always false (see TFRule). */
function bind<K extends StepKernel>(kernel: K): KernelCall<KernelScalars[K]> {
  const call = CALLS[kernel]
  return (p, g, state, n, off, c) => call(flavourKernels(), p, g, state, n, off, c, false)
}

/** What the seven rules share: TF.js's bits, so subnormal values are kept (TF.js's kernels do not flush them). */
abstract class TFRule<O extends object, S extends object> extends Optimizer<O, never, S> {
  protected override subnormalModes(): readonly SubnormalMode[] {
    return ['keep']
  }
}

const f32 = Math.fround

/**
 * βᵗ as TF.js keeps it: a float32 variable starting at β and multiplied by β after every step.
 * The last one computed is kept, so consecutive steps cost one multiplication; any other t is
 * recomputed from β in the same order, so the same t always gives the same bits.
 */
class Power {
  #beta = Number.NaN
  #t = 0
  #value = 1
  at(beta: number, t: number): number {
    if (beta !== this.#beta || t < this.#t) {
      this.#beta = beta
      this.#t = 0
      this.#value = 1
    }
    const b = f32(beta)
    while (this.#t < t) {
      this.#value = this.#t === 0 ? b : f32(this.#value * b)
      this.#t++
    }
    return this.#value
  }
}

/** The options of {@link TFMomentum}, per parameter group: one table (src/options.ts). */
export const TF_MOMENTUM_OPTIONS = {
  /** Learning rate. */
  lr: option.lr(0.01),
  /** Momentum μ. */
  momentum: option.nonNegative(0, 0.99),
  /** Nesterov momentum. */
  nesterov: option.flag(false),
}

/** Options of {@link TFMomentum}. */
export type TFMomentumOptions = OptionsOf<typeof TF_MOMENTUM_OPTIONS>

/** tf.train.momentum's rule (a momentum buffer, even at μ = 0): see assembly/tfjs/sgd.ts. */
export class TFMomentum extends TFRule<TFMomentumOptions, KernelScalars['tfsgd']> {
  /** Its options table. */
  static readonly options = TF_MOMENTUM_OPTIONS
  /** The options a group gets where it does not set them. */
  static readonly defaults: TFMomentumOptions = option.defaultsOf(TF_MOMENTUM_OPTIONS)

  /** @param params the parameters @param options the options */
  constructor(params: Params<TFMomentumOptions>, options?: Partial<TFMomentumOptions & OptimizerOptions>) {
    super(new.target === TFSGD ? 'TFSGD' : 'TFMomentum', bind('tfsgd'), params, TFMomentum.options, options)
  }

  protected override buffers(): readonly string[] {
    return ['acc']
  }

  protected override scalars(o: TFMomentumOptions): KernelScalars['tfsgd'] {
    return { c: -o.lr, mu: o.momentum, nesterov: o.nesterov }
  }
}

/** tf.train.sgd's rule: no buffer, θ ← −lr·g + θ. */
export class TFSGD extends TFMomentum {
  protected override buffers(): readonly string[] {
    return []
  }
}

/** The options of {@link TFRMSProp}, per parameter group: one table (src/options.ts). */
export const TF_RMSPROP_OPTIONS = {
  /** Learning rate. */
  lr: option.lr(0.001),
  /** Decay ρ of the mean square. */
  decay: option.number(0.9, 0, { hi: 1, closed: true, test: [0, 0.999] }),
  /** Momentum μ. */
  momentum: option.nonNegative(0, 0.99),
  /** ε inside the square root (wasm-optim/tfjs passes the TF.js backend's). */
  eps: option.nonNegative(1e-7),
  /** Divide by the centered mean square. */
  centered: option.flag(false),
}

/** Options of {@link TFRMSProp}. */
export type TFRMSPropOptions = OptionsOf<typeof TF_RMSPROP_OPTIONS>

/** tf.train.rmsprop's rule: see assembly/tfjs/rmsprop.ts. */
export class TFRMSProp extends TFRule<TFRMSPropOptions, KernelScalars['tfrmsprop']> {
  /** Its options table. */
  static readonly options = TF_RMSPROP_OPTIONS
  /** The options a group gets where it does not set them. */
  static readonly defaults: TFRMSPropOptions = option.defaultsOf(TF_RMSPROP_OPTIONS)

  /** @param params the parameters @param options the options */
  constructor(params: Params<TFRMSPropOptions>, options?: Partial<TFRMSPropOptions & OptimizerOptions>) {
    super('TFRMSProp', bind('tfrmsprop'), params, TFRMSProp.options, options)
  }

  protected override buffers(o: TFRMSPropOptions) {
    return o.centered ? ['ms', 'mom', 'mg'] : ['ms', 'mom']
  }

  protected override scalars(o: TFRMSPropOptions): KernelScalars['tfrmsprop'] {
    return { rho: o.decay, omr: 1 - o.decay, lr: o.lr, mu: o.momentum, eps: o.eps, centered: o.centered }
  }
}

/** The options of {@link TFAdagrad}, per parameter group: one table (src/options.ts). */
export const TF_ADAGRAD_OPTIONS = {
  /** Learning rate. */
  lr: option.lr(0.01),
  /** The accumulator's starting value. */
  initialAccumulatorValue: option.nonNegative(0.1),
  /** ε inside the square root (wasm-optim/tfjs passes the TF.js backend's). */
  eps: option.nonNegative(1e-7),
}

/** Options of {@link TFAdagrad}. */
export type TFAdagradOptions = OptionsOf<typeof TF_ADAGRAD_OPTIONS>

/** tf.train.adagrad's rule: see assembly/tfjs/adagrad.ts. */
export class TFAdagrad extends TFRule<TFAdagradOptions, KernelScalars['tfadagrad']> {
  /** Its options table. */
  static readonly options = TF_ADAGRAD_OPTIONS
  /** The options a group gets where it does not set them. */
  static readonly defaults: TFAdagradOptions = option.defaultsOf(TF_ADAGRAD_OPTIONS)

  /** @param params the parameters @param options the options */
  constructor(params: Params<TFAdagradOptions>, options?: Partial<TFAdagradOptions & OptimizerOptions>) {
    super('TFAdagrad', bind('tfadagrad'), params, TFAdagrad.options, options)
  }

  protected override buffers() {
    return ['acc']
  }

  protected override initialState(o: TFAdagradOptions): number {
    return o.initialAccumulatorValue
  }

  protected override scalars(o: TFAdagradOptions): KernelScalars['tfadagrad'] {
    return { eps: o.eps, c: -o.lr }
  }
}

/** The options of {@link TFAdadelta}, per parameter group: one table (src/options.ts). */
export const TF_ADADELTA_OPTIONS = {
  /** Learning rate. */
  lr: option.lr(0.001),
  /** Decay ρ of both accumulators. */
  rho: option.number(0.95, 0, { hi: 1, closed: true, test: [0, 0.999] }),
  /** ε inside the square roots (wasm-optim/tfjs passes the TF.js backend's). */
  eps: option.nonNegative(1e-7),
}

/** Options of {@link TFAdadelta}. */
export type TFAdadeltaOptions = OptionsOf<typeof TF_ADADELTA_OPTIONS>

/** tf.train.adadelta's rule: see assembly/tfjs/adagrad.ts. */
export class TFAdadelta extends TFRule<TFAdadeltaOptions, KernelScalars['tfadadelta']> {
  /** Its options table. */
  static readonly options = TF_ADADELTA_OPTIONS
  /** The options a group gets where it does not set them. */
  static readonly defaults: TFAdadeltaOptions = option.defaultsOf(TF_ADADELTA_OPTIONS)

  /** @param params the parameters @param options the options */
  constructor(params: Params<TFAdadeltaOptions>, options?: Partial<TFAdadeltaOptions & OptimizerOptions>) {
    super('TFAdadelta', bind('tfadadelta'), params, TFAdadelta.options, options)
  }

  protected override buffers() {
    return ['ag', 'au']
  }

  protected override scalars(o: TFAdadeltaOptions): KernelScalars['tfadadelta'] {
    return { rho: o.rho, omr: 1 - o.rho, eps: o.eps, c: -o.lr }
  }
}

/** The options of {@link TFAdam}, per parameter group: one table (src/options.ts). */
export const TF_ADAM_OPTIONS = {
  /** Learning rate. */
  lr: option.lr(0.001),
  /** Decay β1 of the first moment. */
  beta1: option.number(0.9, 0, { hi: 1, closed: true, test: [0, 0.999] }),
  /** Decay β2 of the second moment (Adamax: of the infinity norm). */
  beta2: option.number(0.999, 0, {
    hi: 1,
    closed: true,
    test: [0, 0.999],
  }),
  /** ε in the denominator (wasm-optim/tfjs passes the TF.js backend's). */
  eps: option.nonNegative(1e-7),
  /** Adamax only: the learning rate is lr/(1 + (t − 1)·decay). */
  decay: option.nonNegative(0),
}

/** tf.train.adamax's options: Adam's, with lr 0.002. */
export const TF_ADAMAX_OPTIONS = { ...TF_ADAM_OPTIONS, lr: option.lr(0.002) }

/** Options of {@link TFAdam} and {@link TFAdamax}. */
export type TFAdamOptions = OptionsOf<typeof TF_ADAM_OPTIONS>

/** tf.train.adam's rule: see assembly/tfjs/adam.ts. */
export class TFAdam extends TFRule<TFAdamOptions, KernelScalars['tfadam']> {
  /** Its options table. */
  static readonly options = TF_ADAM_OPTIONS
  /** The options a group gets where it does not set them. */
  static readonly defaults: TFAdamOptions = option.defaultsOf(TF_ADAM_OPTIONS)
  readonly #p1 = new Power()
  readonly #p2 = new Power()

  /** @param params the parameters @param options the options */
  constructor(params: Params<TFAdamOptions>, options?: Partial<TFAdamOptions & OptimizerOptions>) {
    super('TFAdam', bind('tfadam'), params, TFAdam.options, options)
  }

  protected override buffers() {
    return ['m', 'v']
  }

  protected override scalars(o: TFAdamOptions, t: number): KernelScalars['tfadam'] {
    const { beta1: b1, beta2: b2 } = o
    return {
      b1,
      omb1: 1 - b1,
      b2,
      omb2: 1 - b2,
      c1: f32(1 - this.#p1.at(b1, t)),
      c2: f32(1 - this.#p2.at(b2, t)),
      eps: o.eps,
      c: -o.lr,
    }
  }
}

/** tf.train.adamax's rule: see assembly/tfjs/adam.ts. */
export class TFAdamax extends TFRule<TFAdamOptions, KernelScalars['tfadamax']> {
  /** Its options table. */
  static readonly options = TF_ADAMAX_OPTIONS
  /** The options a group gets where it does not set them. */
  static readonly defaults: TFAdamOptions = option.defaultsOf(TF_ADAMAX_OPTIONS)
  readonly #p1 = new Power()

  /** @param params the parameters @param options the options */
  constructor(params: Params<TFAdamOptions>, options?: Partial<TFAdamOptions & OptimizerOptions>) {
    super('TFAdamax', bind('tfadamax'), params, TFAdamax.options, options)
  }

  protected override buffers() {
    return ['m', 'u']
  }

  protected override scalars(o: TFAdamOptions, t: number): KernelScalars['tfadamax'] {
    const { beta1: b1, beta2: b2 } = o
    // TF.js: lr = −lr/(iteration·decay + 1), iteration = t − 1, then lr/(1 − β1ᵗ), all float32.
    const lr = f32(f32(-o.lr) / f32(f32((t - 1) * f32(o.decay)) + 1))
    return { b1, omb1: 1 - b1, b2, lrc: f32(lr / f32(1 - this.#p1.at(b1, t))), eps: o.eps }
  }
}
