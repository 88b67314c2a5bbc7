import type { KernelScalars } from '../kernels.js'
import { Optimizer, type OptimizerOptions, type Params } from '../optimizer.js'
import type { Checker } from '../validate.js'

/** Options of {@link Adamax}: per parameter group. */
export interface AdamaxOptions {
  /** Learning rate, ≥ 0. Default 2e-3. */
  lr: number
  /** Decay rates [β1, β2] of the first moment and of the infinity norm, each in [0, 1). Default [0.9, 0.999]. */
  betas: [number, number]
  /** Added to |g| in the infinity norm, ≥ 0. Default 1e-8. */
  eps: number
  /** Coupled (L2) weight decay, ≥ 0: g ← g + wd·θ. Default 0. */
  weightDecay: number
  /** Ascend instead of descend: g ← −g. Default false. */
  maximize: boolean
}

/**
 * Adamax (Kingma & Ba, ICLR 2015, §7.1), Adam with the infinity norm, as PyTorch's
 * `torch.optim.Adamax` defines it:
 *
 *     g ← −g if maximize;   g ← g + wd·θ
 *     m ← β1·m + (1 − β1)·g;   u ← max(β2·u, |g| + ε)
 *     θ ← θ − lr/(1 − β1ᵗ) · m/u
 *
 * Defaults: lr 2e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 0, maximize false. The
 * diagnostics report norms only: u is not a second moment.
 *
 * @example
 * const opt = new Adamax([{ param, grad }], { lr: 2e-3 })
 */
export class Adamax extends Optimizer<AdamaxOptions, 'adamax'> {
  /** The options a group gets where it does not set them. */
  static readonly defaults: AdamaxOptions = {
    lr: 2e-3,
    betas: [0.9, 0.999],
    eps: 1e-8,
    weightDecay: 0,
    maximize: false,
  }

  /**
   * @param params the parameters (`{ param, grad }` pairs or `parameter()`s), or groups of them with their own options
   * @param options the options of every group that does not set its own, and the non-finite policy
   */
  constructor(params: Params<AdamaxOptions>, options?: Partial<AdamaxOptions & OptimizerOptions>) {
    super('Adamax', 'adamax', params, Adamax.defaults, options)
  }

  protected override check(_o: AdamaxOptions, c: Checker): void {
    c.nonNegative('lr')
    c.betas('betas')
    c.nonNegative('eps')
    c.nonNegative('weightDecay')
    c.flag('maximize')
  }

  protected override buffers() {
    return ['m', 'u'] as const
  }

  protected override scalars(o: AdamaxOptions, t: number): KernelScalars['adamax'] {
    const [b1, b2] = o.betas
    return { b1, omb1: 1 - b1, b2, clr: o.lr / (1 - b1 ** t), eps: o.eps, wd: o.weightDecay, maximize: o.maximize }
  }
}
