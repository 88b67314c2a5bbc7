// TensorFlow.js's own rules for its seven optimizers, as wasm-optim optimizers: the kernels of
// assembly/tfjs/ compute what tf.train's optimizers compute, float32 operation for float32
// operation in TF.js's order, so the results are the same bits (docs/tfjs.md). What TF.js keeps
// in float32 besides the buffers (β1ᵗ and β2ᵗ as running products, Adamax's iteration count) is
// recomputed here from the step count in the same float32 operations, so that a run resumed from
// a checkpoint goes on exactly: TF.js's own setWeights recomputes them with a float32 pow, and
// does not.
import { internals, Optimizer, type OptimizerOptions, type Params } from '../index.js'
import type { KernelCall, SubnormalMode } from '../optimizer.js'
import type { Checker } from '../validate.js'
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

/** `tf.train.sgd` (momentum 0) and `tf.train.momentum`: lr, momentum μ, Nesterov. */
export interface TFMomentumOptions {
  /** Learning rate, ≥ 0. */
  lr: number
  /** Momentum μ, ≥ 0. Default 0. */
  momentum: number
  /** Nesterov momentum. Default false. */
  nesterov: boolean
}

/** tf.train.momentum's rule (a momentum buffer, even at μ = 0): see assembly/tfjs/sgd.ts. */
export class TFMomentum extends TFRule<TFMomentumOptions, KernelScalars['tfsgd']> {
  /** The options a group gets where it does not set them. */
  static readonly defaults: TFMomentumOptions = { lr: 0.01, momentum: 0, nesterov: false }

  /** @param params the parameters @param options the options */
  constructor(params: Params<TFMomentumOptions>, options?: Partial<TFMomentumOptions & OptimizerOptions>) {
    super(new.target === TFSGD ? 'TFSGD' : 'TFMomentum', bind('tfsgd'), params, TFMomentum.defaults, options)
  }

  protected override check(_o: TFMomentumOptions, c: Checker): void {
    c.nonNegative('lr')
    c.nonNegative('momentum')
    c.flag('nesterov')
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

/** `tf.train.rmsprop`'s options. */
export interface TFRMSPropOptions {
  /** Learning rate, ≥ 0. */
  lr: number
  /** Decay ρ of the mean square, in [0, 1]. Default 0.9. */
  decay: number
  /** Momentum μ, ≥ 0. Default 0. */
  momentum: number
  /** ε inside the square root, ≥ 0. Default: the TF.js backend's. */
  eps: number
  /** Divide by the centered mean square. Default false. */
  centered: boolean
}

/** tf.train.rmsprop's rule: see assembly/tfjs/rmsprop.ts. */
export class TFRMSProp extends TFRule<TFRMSPropOptions, KernelScalars['tfrmsprop']> {
  /** The options a group gets where it does not set them. */
  static readonly defaults: TFRMSPropOptions = { lr: 0.001, decay: 0.9, momentum: 0, eps: 1e-7, centered: false }

  /** @param params the parameters @param options the options */
  constructor(params: Params<TFRMSPropOptions>, options?: Partial<TFRMSPropOptions & OptimizerOptions>) {
    super('TFRMSProp', bind('tfrmsprop'), params, TFRMSProp.defaults, options)
  }

  protected override check(_o: TFRMSPropOptions, c: Checker): void {
    c.nonNegative('lr')
    c.range('decay', 0, 1, true)
    c.nonNegative('momentum')
    c.nonNegative('eps')
    c.flag('centered')
  }

  protected override buffers(o: TFRMSPropOptions) {
    return o.centered ? ['ms', 'mom', 'mg'] : ['ms', 'mom']
  }

  protected override scalars(o: TFRMSPropOptions): KernelScalars['tfrmsprop'] {
    return { rho: o.decay, omr: 1 - o.decay, lr: o.lr, mu: o.momentum, eps: o.eps, centered: o.centered }
  }
}

/** `tf.train.adagrad`'s options. */
export interface TFAdagradOptions {
  /** Learning rate, ≥ 0. */
  lr: number
  /** The accumulator's starting value, ≥ 0. Default 0.1. */
  initialAccumulatorValue: number
  /** ε inside the square root, ≥ 0: the TF.js backend's. */
  eps: number
}

/** tf.train.adagrad's rule: see assembly/tfjs/adagrad.ts. */
export class TFAdagrad extends TFRule<TFAdagradOptions, KernelScalars['tfadagrad']> {
  /** The options a group gets where it does not set them. */
  static readonly defaults: TFAdagradOptions = { lr: 0.01, initialAccumulatorValue: 0.1, eps: 1e-7 }

  /** @param params the parameters @param options the options */
  constructor(params: Params<TFAdagradOptions>, options?: Partial<TFAdagradOptions & OptimizerOptions>) {
    super('TFAdagrad', bind('tfadagrad'), params, TFAdagrad.defaults, options)
  }

  protected override check(_o: TFAdagradOptions, c: Checker): void {
    c.nonNegative('lr')
    c.nonNegative('initialAccumulatorValue')
    c.nonNegative('eps')
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

/** `tf.train.adadelta`'s options. */
export interface TFAdadeltaOptions {
  /** Learning rate, ≥ 0. */
  lr: number
  /** Decay ρ of both accumulators, in [0, 1]. Default 0.95. */
  rho: number
  /** ε inside the square roots, ≥ 0. Default: the TF.js backend's. */
  eps: number
}

/** tf.train.adadelta's rule: see assembly/tfjs/adagrad.ts. */
export class TFAdadelta extends TFRule<TFAdadeltaOptions, KernelScalars['tfadadelta']> {
  /** The options a group gets where it does not set them. */
  static readonly defaults: TFAdadeltaOptions = { lr: 0.001, rho: 0.95, eps: 1e-7 }

  /** @param params the parameters @param options the options */
  constructor(params: Params<TFAdadeltaOptions>, options?: Partial<TFAdadeltaOptions & OptimizerOptions>) {
    super('TFAdadelta', bind('tfadadelta'), params, TFAdadelta.defaults, options)
  }

  protected override check(_o: TFAdadeltaOptions, c: Checker): void {
    c.nonNegative('lr')
    c.range('rho', 0, 1, true)
    c.nonNegative('eps')
  }

  protected override buffers() {
    return ['ag', 'au']
  }

  protected override scalars(o: TFAdadeltaOptions): KernelScalars['tfadadelta'] {
    return { rho: o.rho, omr: 1 - o.rho, eps: o.eps, c: -o.lr }
  }
}

/** `tf.train.adam`'s and `tf.train.adamax`'s options. */
export interface TFAdamOptions {
  /** Learning rate, ≥ 0. */
  lr: number
  /** Decay β1 of the first moment, in [0, 1]. Default 0.9. */
  beta1: number
  /** Decay β2 of the second moment (Adamax: of the infinity norm), in [0, 1]. Default 0.999. */
  beta2: number
  /** ε in the denominator, ≥ 0. Default: the TF.js backend's. */
  eps: number
  /** Adamax only: the learning rate is lr/(1 + (t − 1)·decay). Default 0. */
  decay: number
}

/** tf.train.adam's rule: see assembly/tfjs/adam.ts. */
export class TFAdam extends TFRule<TFAdamOptions, KernelScalars['tfadam']> {
  /** The options a group gets where it does not set them. */
  static readonly defaults: TFAdamOptions = { lr: 0.001, beta1: 0.9, beta2: 0.999, eps: 1e-7, decay: 0 }
  readonly #p1 = new Power()
  readonly #p2 = new Power()

  /** @param params the parameters @param options the options */
  constructor(params: Params<TFAdamOptions>, options?: Partial<TFAdamOptions & OptimizerOptions>) {
    super('TFAdam', bind('tfadam'), params, TFAdam.defaults, options)
  }

  protected override check(_o: TFAdamOptions, c: Checker): void {
    checkAdam(c)
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
  /** The options a group gets where it does not set them. */
  static readonly defaults: TFAdamOptions = { lr: 0.002, beta1: 0.9, beta2: 0.999, eps: 1e-7, decay: 0 }
  readonly #p1 = new Power()

  /** @param params the parameters @param options the options */
  constructor(params: Params<TFAdamOptions>, options?: Partial<TFAdamOptions & OptimizerOptions>) {
    super('TFAdamax', bind('tfadamax'), params, TFAdamax.defaults, options)
  }

  protected override check(_o: TFAdamOptions, c: Checker): void {
    checkAdam(c)
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

function checkAdam(c: Checker): void {
  c.nonNegative('lr')
  c.range('beta1', 0, 1, true)
  c.range('beta2', 0, 1, true)
  c.nonNegative('eps')
  c.nonNegative('decay')
}
