import { Optimizer, type OptimizerOptions, type Params, type Span } from '../optimizer.js'
import type { Kernels } from '../runtime.js'
import type { Checker } from '../validate.js'

export interface AdagradOptions {
  /** Learning rate, ≥ 0. Default 1e-2. */
  lr: number
  /** Learning-rate decay, ≥ 0: the step t uses lr/(1 + (t − 1)·lrDecay). Default 0. */
  lrDecay: number
  /** Starting value of the sum of squares s, ≥ 0. Default 0. */
  initialAccumulatorValue: number
  /** Added to the denominator √s, ≥ 0. Default 1e-10. */
  eps: number
  /** Coupled (L2) weight decay, ≥ 0: g ← g + wd·θ. Default 0. */
  weightDecay: number
}

/**
 * Adagrad (Duchi, Hazan & Singer, JMLR 2011), as PyTorch's `torch.optim.Adagrad` defines it:
 *
 *     g ← g + wd·θ
 *     s ← s + g²                          (s starts at initialAccumulatorValue)
 *     θ ← θ − lr/(1 + (t − 1)·lrDecay) · g/(√s + ε)
 *
 * Defaults: lr 1e-2, lrDecay 0, initialAccumulatorValue 0, eps 1e-10, weightDecay 0.
 *
 * @example
 * const opt = new Adagrad([{ param, grad }], { lr: 0.05 })
 */
/** The adagrad kernel's scalars for one step. */
interface AdagradScalars {
  /** lr/(1 + (t − 1)·lrDecay) */
  clr: number
  eps: number
  wd: number
}

export class Adagrad extends Optimizer<AdagradOptions, AdagradScalars> {
  static readonly defaults: AdagradOptions = {
    lr: 1e-2,
    lrDecay: 0,
    initialAccumulatorValue: 0,
    eps: 1e-10,
    weightDecay: 0,
  }

  constructor(params: Params<AdagradOptions>, options?: Partial<AdagradOptions & OptimizerOptions>) {
    super('Adagrad', params, Adagrad.defaults, options)
  }

  protected check(_o: AdagradOptions, c: Checker): void {
    c.nonNegative('lr')
    c.nonNegative('lrDecay')
    c.nonNegative('initialAccumulatorValue')
    c.nonNegative('eps')
    c.nonNegative('weightDecay')
  }

  protected buffers(): readonly string[] {
    return ['s']
  }

  protected initialState(o: AdagradOptions): number {
    return o.initialAccumulatorValue
  }

  protected scalars(o: AdagradOptions, t: number): AdagradScalars {
    return { clr: o.lr / (1 + (t - 1) * o.lrDecay), eps: o.eps, wd: o.weightDecay }
  }

  protected update(k: Kernels, s: Span, c: AdagradScalars): void {
    k.adagrad(s.p, s.g, s.state.s, s.n, c.clr, c.eps, c.wd)
  }
}
