import type { KernelScalars } from '../kernels.js'
import { Optimizer, type OptimizerOptions, type Params } from '../optimizer.js'
import type { Checker } from '../validate.js'

/** Options of {@link SGD}: per parameter group. */
export interface SGDOptions {
  /** Learning rate, ≥ 0. Default 1e-3. */
  lr: number
  /** Heavy-ball momentum μ in [0, 1). Default 0 (plain SGD). */
  momentum: number
  /** Dampening of the gradient's share of the momentum buffer, in [0, 1]. Default 0. */
  dampening: number
  /** Nesterov momentum (needs momentum > 0 and dampening 0). Default false. */
  nesterov: boolean
  /** Coupled (L2) weight decay, ≥ 0: g ← g + wd·θ. Default 0. */
  weightDecay: number
  /** Ascend instead of descend: g ← −g. Default false. */
  maximize: boolean
}

/**
 * Stochastic gradient descent with optional heavy-ball or Nesterov momentum, as PyTorch's
 * `torch.optim.SGD` defines it (Polyak 1964; Sutskever et al. 2013):
 *
 *     g ← −g if maximize;   g ← g + wd·θ
 *     b ← g at t = 1, else b ← μ·b + (1 − dampening)·g        (only if μ > 0)
 *     g ← g + μ·b if nesterov, else g ← b                      (only if μ > 0)
 *     θ ← θ − lr·g
 *
 * Heavy-ball momentum at step lr equals the paper's EMA momentum ({@link MSGD}) at step
 * lr/(1 − μ), bias correction aside. Defaults: lr 1e-3, momentum 0, dampening 0, nesterov false,
 * weightDecay 0, maximize false.
 *
 * @example
 * const opt = new SGD([{ param, grad }], { lr: 0.01, momentum: 0.9, nesterov: true })
 */
export class SGD extends Optimizer<SGDOptions, 'sgd'> {
  /** The options a group gets where it does not set them. */
  static readonly defaults: SGDOptions = {
    lr: 1e-3,
    momentum: 0,
    dampening: 0,
    nesterov: false,
    weightDecay: 0,
    maximize: false,
  }

  /**
   * @param params the parameters (`{ param, grad }` pairs or `parameter()`s), or groups of them with their own options
   * @param options the options of every group that does not set its own, and the non-finite policy
   */
  constructor(params: Params<SGDOptions>, options?: Partial<SGDOptions & OptimizerOptions>) {
    super('SGD', 'sgd', params, SGD.defaults, options)
  }

  protected override check(o: SGDOptions, c: Checker): void {
    c.nonNegative('lr')
    c.unit('momentum')
    c.range('dampening', 0, 1, true)
    c.nonNegative('weightDecay')
    c.flag('maximize')
    if (c.flag('nesterov') && (o.momentum <= 0 || o.dampening !== 0)) {
      c.fail(`nesterov needs momentum > 0 and dampening = 0, got momentum ${o.momentum} and dampening ${o.dampening}`)
    }
  }

  protected override buffers(o: SGDOptions) {
    return o.momentum > 0 ? (['b'] as const) : []
  }

  protected override scalars(o: SGDOptions, t: number): KernelScalars['sgd'] {
    const { lr, weightDecay: wd, momentum: mu, maximize, nesterov } = o
    return { lr, wd, mu, damp1: 1 - o.dampening, maximize, first: t === 1, nesterov }
  }
}
