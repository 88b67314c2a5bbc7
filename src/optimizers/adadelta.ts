import type { KernelScalars } from '../kernels.js'
import { Optimizer, type OptimizerOptions, type Params } from '../optimizer.js'
import type { Checker } from '../validate.js'

/** Options of {@link Adadelta}: per parameter group. */
export interface AdadeltaOptions {
  /** Learning rate, a factor on the computed step, ≥ 0. Default 1. */
  lr: number
  /** Decay rate ρ of both running averages, in [0, 1). Default 0.9. */
  rho: number
  /** Added inside both square roots, ≥ 0. Default 1e-6. */
  eps: number
  /** Coupled (L2) weight decay, ≥ 0: g ← g + wd·θ. Default 0. */
  weightDecay: number
  /** Ascend instead of descend: g ← −g. Default false. */
  maximize: boolean
}

/**
 * Adadelta (Zeiler, "ADADELTA: An Adaptive Learning Rate Method", 2012), as PyTorch's
 * `torch.optim.Adadelta` defines it:
 *
 *     g ← −g if maximize;   g ← g + wd·θ
 *     v ← ρ·v + (1 − ρ)·g²
 *     Δ = √(u + ε)/√(v + ε)·g;   u ← ρ·u + (1 − ρ)·Δ²
 *     θ ← θ − lr·Δ
 *
 * Defaults: lr 1, rho 0.9, eps 1e-6, weightDecay 0, maximize false. The diagnostics report norms
 * only: it keeps no first moment.
 *
 * @example
 * const opt = new Adadelta([{ param, grad }])
 */
export class Adadelta extends Optimizer<AdadeltaOptions, 'adadelta'> {
  /** The options a group gets where it does not set them. */
  static readonly defaults: AdadeltaOptions = { lr: 1, rho: 0.9, eps: 1e-6, weightDecay: 0, maximize: false }

  /**
   * @param params the parameters (`{ param, grad }` pairs or `parameter()`s), or groups of them with their own options
   * @param options the options of every group that does not set its own, and the non-finite policy
   */
  constructor(params: Params<AdadeltaOptions>, options?: Partial<AdadeltaOptions & OptimizerOptions>) {
    super('Adadelta', 'adadelta', params, Adadelta.defaults, options)
  }

  protected override check(_o: AdadeltaOptions, c: Checker): void {
    c.nonNegative('lr')
    c.unit('rho')
    c.nonNegative('eps')
    c.nonNegative('weightDecay')
    c.flag('maximize')
  }

  protected override buffers() {
    return ['v', 'u'] as const
  }

  protected override scalars(o: AdadeltaOptions): KernelScalars['adadelta'] {
    return { rho: o.rho, omr: 1 - o.rho, eps: o.eps, lr: o.lr, wd: o.weightDecay, maximize: o.maximize }
  }
}
