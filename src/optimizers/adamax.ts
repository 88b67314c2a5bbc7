import type { KernelScalars } from '../kernels.js'
import { Optimizer, type OptimizerOptions, type Params } from '../optimizer.js'
import { betas, defaultsOf, L2, lr, MAXIMIZE, nonNegative, type OptionsOf, STATE_DTYPE } from '../options.js'

/** The options of {@link Adamax}, per parameter group: one table (src/options.ts). */
export const ADAMAX_OPTIONS = {
  /** Learning rate. */
  lr: lr(2e-3),
  /** Decay rates [β1, β2] of the first moment and of the infinity norm. */
  betas: betas([0.9, 0.999]),
  /** Added to |g| in the infinity norm. */
  eps: nonNegative(1e-8),
  ...L2,
  ...MAXIMIZE,
  ...STATE_DTYPE,
}

/** Options of {@link Adamax}. */
export type AdamaxOptions = OptionsOf<typeof ADAMAX_OPTIONS>

/**
 * Adamax (Kingma & Ba, ICLR 2015, §7.1), Adam with the infinity norm, as PyTorch's
 * `torch.optim.Adamax` defines it:
 *
 *     g ← −g if maximize;   g ← g + wd·θ
 *     m ← β1·m + (1 − β1)·g;   u ← max(β2·u, |g| + ε)
 *     θ ← θ − lr/(1 − β1ᵗ) · m/u
 *
 * Options: docs/options.md. The
 * diagnostics report norms only: u is not a second moment.
 *
 * @example
 * const opt = new Adamax([{ param, grad }], { lr: 2e-3 })
 */
export class Adamax extends Optimizer<AdamaxOptions, 'adamax'> {
  /** Its options table. */
  static readonly options = ADAMAX_OPTIONS
  /** The options a group gets where it does not set them. */
  static readonly defaults: AdamaxOptions = defaultsOf(ADAMAX_OPTIONS)

  /**
   * @param params the parameters (`{ param, grad }` pairs or `parameter()`s), or groups of them with their own options
   * @param options the options of every group that does not set its own, and the non-finite policy
   */
  constructor(params: Params<AdamaxOptions>, options?: Partial<AdamaxOptions & OptimizerOptions>) {
    super('Adamax', 'adamax', params, Adamax.options, options)
  }

  protected override buffers() {
    return ['m', 'u'] as const
  }

  protected override scalars(o: AdamaxOptions, t: number): KernelScalars['adamax'] {
    const [b1, b2] = o.betas
    return { b1, omb1: 1 - b1, b2, clr: o.lr / (1 - b1 ** t), eps: o.eps, wd: o.weightDecay, maximize: o.maximize }
  }
}
