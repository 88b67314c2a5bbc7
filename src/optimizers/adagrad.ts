import type { KernelScalars } from '../kernels.js'
import { Optimizer, type OptimizerOptions, type Params } from '../optimizer.js'
import { defaultsOf, L2, lr, MAXIMIZE, nonNegative, type OptionsOf, STATE_DTYPE } from '../options.js'

/** The options of {@link Adagrad}, per parameter group: one table (src/options.ts). */
export const ADAGRAD_OPTIONS = {
  /** Learning rate. */
  lr: lr(1e-2),
  /** Learning-rate decay: the step t uses lr/(1 + (t − 1)·lrDecay). */
  lrDecay: nonNegative(0),
  /** Starting value of the sum of squares s. */
  initialAccumulatorValue: nonNegative(0),
  /** Added to the denominator √s. */
  eps: nonNegative(1e-10),
  ...L2,
  ...MAXIMIZE,
  ...STATE_DTYPE,
}

/** Options of {@link Adagrad}. */
export type AdagradOptions = OptionsOf<typeof ADAGRAD_OPTIONS>

/**
 * Adagrad (Duchi, Hazan & Singer, JMLR 2011), as PyTorch's `torch.optim.Adagrad` defines it:
 *
 *     g ← −g if maximize;   g ← g + wd·θ
 *     s ← s + g²                          (s starts at initialAccumulatorValue)
 *     θ ← θ − lr/(1 + (t − 1)·lrDecay) · g/(√s + ε)
 *
 * Options: docs/options.md.
 *
 * @example
 * const opt = new Adagrad([{ param, grad }], { lr: 0.05 })
 */
export class Adagrad extends Optimizer<AdagradOptions, 'adagrad'> {
  /** Its options table. */
  static readonly options = ADAGRAD_OPTIONS
  /** The options a group gets where it does not set them. */
  static readonly defaults: AdagradOptions = defaultsOf(ADAGRAD_OPTIONS)

  /**
   * @param params the parameters (`{ param, grad }` pairs or `parameter()`s), or groups of them with their own options
   * @param options the options of every group that does not set its own, and the non-finite policy
   */
  constructor(params: Params<AdagradOptions>, options?: Partial<AdagradOptions & OptimizerOptions>) {
    super('Adagrad', 'adagrad', params, Adagrad.options, options)
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
