import { Optimizer, type OptimizerOptions, type Params, type Span } from '../optimizer.js'
import type { Kernels } from '../runtime.js'
import type { Checker } from '../validate.js'

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
}

/**
 * RMSprop (Hinton, Lecture 6e of "Neural Networks for Machine Learning", 2012), as PyTorch's
 * `torch.optim.RMSprop` defines it (ε outside the square root):
 *
 *     g ← g + wd·θ
 *     v ← α·v + (1 − α)·g²
 *     d = √(v − a²) + ε with a ← α·a + (1 − α)·g if centered, else d = √v + ε
 *     b ← μ·b + g/d and θ ← θ − lr·b if μ > 0, else θ ← θ − lr·g/d
 *
 * Defaults: lr 1e-2, alpha 0.99, eps 1e-8, momentum 0, centered false, weightDecay 0.
 *
 * @example
 * const opt = new RMSprop([{ param, grad }], { lr: 1e-3, centered: true })
 */
/** The rmsprop kernel's scalars for one step. */
interface RMSpropScalars {
  alpha: number
  oma: number
  eps: number
  lr: number
  mu: number
  wd: number
  centered: boolean
}

export class RMSprop extends Optimizer<RMSpropOptions, RMSpropScalars> {
  static readonly defaults: RMSpropOptions = {
    lr: 1e-2,
    alpha: 0.99,
    eps: 1e-8,
    momentum: 0,
    centered: false,
    weightDecay: 0,
  }

  constructor(params: Params<RMSpropOptions>, options?: Partial<RMSpropOptions & OptimizerOptions>) {
    super('RMSprop', params, RMSprop.defaults, options)
  }

  protected check(_o: RMSpropOptions, c: Checker): void {
    c.nonNegative('lr')
    c.unit('alpha')
    c.nonNegative('eps')
    c.unit('momentum')
    c.flag('centered')
    c.nonNegative('weightDecay')
  }

  protected buffers(o: RMSpropOptions): readonly string[] {
    return ['v', ...(o.centered ? ['a'] : []), ...(o.momentum > 0 ? ['b'] : [])]
  }

  protected scalars(o: RMSpropOptions): RMSpropScalars {
    const { alpha, eps, lr, momentum: mu, weightDecay: wd, centered } = o
    return { alpha, oma: 1 - alpha, eps, lr, mu, wd, centered }
  }

  protected update(k: Kernels, s: Span, c: RMSpropScalars): void {
    k.rmsprop(
      s.p,
      s.g,
      s.state.v,
      s.state.a ?? 0,
      s.state.b ?? 0,
      s.n,
      c.alpha,
      c.oma,
      c.eps,
      c.lr,
      c.mu,
      c.wd,
      c.centered,
    )
  }
}
