import type { KernelScalars } from '../kernels.js'
import { Optimizer, type OptimizerOptions, type Params } from '../optimizer.js'
import { defaultsOf, flag, L2, lr, MAXIMIZE, nonNegative, type OptionsOf, STATE_DTYPE, unit } from '../options.js'

/** The options of {@link RMSprop}, per parameter group: one table (src/options.ts). */
export const RMSPROP_OPTIONS = {
  /** Learning rate. */
  lr: lr(1e-2),
  /** Decay rate α of the mean square. */
  alpha: unit(0.99),
  /** Added to the denominator √v. */
  eps: nonNegative(1e-8),
  /** Momentum μ. */
  momentum: unit(0),
  /** Divide by an estimate of the variance, v − a², instead of v. */
  centered: flag(false),
  ...L2,
  ...MAXIMIZE,
  ...STATE_DTYPE,
}

/** Options of {@link RMSprop}. */
export type RMSpropOptions = OptionsOf<typeof RMSPROP_OPTIONS>

/**
 * RMSprop (Hinton, Lecture 6e of "Neural Networks for Machine Learning", 2012), as PyTorch's
 * `torch.optim.RMSprop` defines it (ε outside the square root):
 *
 *     g ← −g if maximize;   g ← g + wd·θ
 *     v ← α·v + (1 − α)·g²
 *     d = √(v − a²) + ε with a ← α·a + (1 − α)·g if centered, else d = √v + ε
 *     b ← μ·b + g/d and θ ← θ − lr·b if μ > 0, else θ ← θ − lr·g/d
 *
 * Options: docs/options.md.
 *
 * @example
 * const opt = new RMSprop([{ param, grad }], { lr: 1e-3, centered: true })
 */
export class RMSprop extends Optimizer<RMSpropOptions, 'rmsprop'> {
  /** Its options table. */
  static readonly options = RMSPROP_OPTIONS
  /** The options a group gets where it does not set them. */
  static readonly defaults: RMSpropOptions = defaultsOf(RMSPROP_OPTIONS)

  /**
   * @param params the parameters (`{ param, grad }` pairs or `parameter()`s), or groups of them with their own options
   * @param options the options of every group that does not set its own, and the non-finite policy
   */
  constructor(params: Params<RMSpropOptions>, options?: Partial<RMSpropOptions & OptimizerOptions>) {
    super('RMSprop', 'rmsprop', params, RMSprop.options, options)
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
