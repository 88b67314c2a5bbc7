import type { KernelScalars } from '../kernels.js'
import { Optimizer, type OptimizerOptions, type Params } from '../optimizer.js'
import type { Checker } from '../validate.js'

/** Options of {@link Adagrad}: per parameter group. */
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
  /** Ascend instead of descend: g ← −g. Default false. */
  maximize: boolean
}

/**
 * Adagrad (Duchi, Hazan & Singer, JMLR 2011), as PyTorch's `torch.optim.Adagrad` defines it:
 *
 *     g ← −g if maximize;   g ← g + wd·θ
 *     s ← s + g²                          (s starts at initialAccumulatorValue)
 *     θ ← θ − lr/(1 + (t − 1)·lrDecay) · g/(√s + ε)
 *
 * Defaults: lr 1e-2, lrDecay 0, initialAccumulatorValue 0, eps 1e-10, weightDecay 0, maximize false.
 *
 * @example
 * const opt = new Adagrad([{ param, grad }], { lr: 0.05 })
 */
export class Adagrad extends Optimizer<AdagradOptions, 'adagrad'> {
  /** The options a group gets where it does not set them. */
  static readonly defaults: AdagradOptions = {
    lr: 1e-2,
    lrDecay: 0,
    initialAccumulatorValue: 0,
    eps: 1e-10,
    weightDecay: 0,
    maximize: false,
  }

  /**
   * @param params the parameters (`{ param, grad }` pairs or `parameter()`s), or groups of them with their own options
   * @param options the options of every group that does not set its own, and the non-finite policy
   */
  constructor(params: Params<AdagradOptions>, options?: Partial<AdagradOptions & OptimizerOptions>) {
    super('Adagrad', 'adagrad', params, Adagrad.defaults, options)
  }

  protected override check(_o: AdagradOptions, c: Checker): void {
    c.nonNegative('lr')
    c.nonNegative('lrDecay')
    c.nonNegative('initialAccumulatorValue')
    c.nonNegative('eps')
    c.nonNegative('weightDecay')
    c.flag('maximize')
  }

  protected override buffers() {
    return ['s'] as const
  }

  protected override initialState(o: AdagradOptions): number {
    return o.initialAccumulatorValue
  }

  protected override scalars(o: AdagradOptions, t: number): KernelScalars['adagrad'] {
    return { clr: o.lr / (1 + (t - 1) * o.lrDecay), eps: o.eps, wd: o.weightDecay, maximize: o.maximize }
  }
}
