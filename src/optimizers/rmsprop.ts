import type { KernelScalars } from '../kernels.js'
import { Optimizer, type OptimizerOptions, type Params } from '../optimizer.js'
import type { Checker } from '../validate.js'

/** Options of {@link RMSprop}: per parameter group. */
export interface RMSpropOptions {
  /** Learning rate, ≥ 0. Default 1e-2. */
  lr: number
  /** Decay rate α of the mean square, in [0, 1). Default 0.99. */
  alpha: number
  /** Added to the denominator √v, ≥ 0. Default 1e-8. */
  eps: number
  /** Momentum μ in [0, 1). Default 0. */
  momentum: number
  /** Divide by an estimate of the variance, v − a², instead of v. Default false. */
  centered: boolean
  /** Coupled (L2) weight decay, ≥ 0: g ← g + wd·θ. Default 0. */
  weightDecay: number
  /** Ascend instead of descend: g ← −g. Default false. */
  maximize: boolean
}

/**
 * RMSprop (Hinton, Lecture 6e of "Neural Networks for Machine Learning", 2012), as PyTorch's
 * `torch.optim.RMSprop` defines it (ε outside the square root):
 *
 *     g ← −g if maximize;   g ← g + wd·θ
 *     v ← α·v + (1 − α)·g²
 *     d = √(v − a²) + ε with a ← α·a + (1 − α)·g if centered, else d = √v + ε
 *     b ← μ·b + g/d and θ ← θ − lr·b if μ > 0, else θ ← θ − lr·g/d
 *
 * Defaults: lr 1e-2, alpha 0.99, eps 1e-8, momentum 0, centered false, weightDecay 0, maximize false.
 *
 * @example
 * const opt = new RMSprop([{ param, grad }], { lr: 1e-3, centered: true })
 */
export class RMSprop extends Optimizer<RMSpropOptions, 'rmsprop'> {
  /** The options a group gets where it does not set them. */
  static readonly defaults: RMSpropOptions = {
    lr: 1e-2,
    alpha: 0.99,
    eps: 1e-8,
    momentum: 0,
    centered: false,
    weightDecay: 0,
    maximize: false,
  }

  /**
   * @param params the parameters (`{ param, grad }` pairs or `parameter()`s), or groups of them with their own options
   * @param options the options of every group that does not set its own, and the non-finite policy
   */
  constructor(params: Params<RMSpropOptions>, options?: Partial<RMSpropOptions & OptimizerOptions>) {
    super('RMSprop', 'rmsprop', params, RMSprop.defaults, options)
  }

  protected override check(_o: RMSpropOptions, c: Checker): void {
    c.nonNegative('lr')
    c.unit('alpha')
    c.nonNegative('eps')
    c.unit('momentum')
    c.flag('centered')
    c.nonNegative('weightDecay')
    c.flag('maximize')
  }

  protected override buffers(o: RMSpropOptions) {
    return ['v', ...(o.centered ? ['a'] : []), ...(o.momentum > 0 ? ['b'] : [])] as const as readonly (
      | 'v'
      | 'a'
      | 'b'
    )[]
  }

  protected override scalars(o: RMSpropOptions): KernelScalars['rmsprop'] {
    const { alpha, eps, lr, momentum: mu, weightDecay: wd, centered, maximize } = o
    return { alpha, oma: 1 - alpha, eps, lr, mu, wd, centered, maximize }
  }
}
