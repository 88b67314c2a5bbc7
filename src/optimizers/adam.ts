import type { KernelScalars } from '../kernels.js'
import { MODE_ADAM } from '../kernels.js'
import { Optimizer, type OptimizerOptions, type Params } from '../optimizer.js'
import { betas, defaultsOf, flag, lr, MAXIMIZE, nonNegative, type OptionsOf, STATE_DTYPE } from '../options.js'
import { StatsScalars } from '../stats.js'

/** The options of {@link Adam}, per parameter group. */
export const ADAM_OPTIONS = {
  /** Learning rate. */
  lr: lr(1e-3),
  /** Decay rates [β1, β2] of the first and second moment. */
  betas: betas([0.9, 0.999]),
  /** Added to the denominator √v̂. */
  eps: nonNegative(1e-8),
  /** Weight decay: coupled (L2, g ← g + wd·θ) for Adam, decoupled for AdamW. */
  weightDecay: nonNegative(0),
  /** AMSGrad: divide by the running maximum of v instead of v. */
  amsgrad: flag(false),
  ...MAXIMIZE,
  ...STATE_DTYPE,
}

/** The options of {@link AdamW}: Adam's, with decoupled weight decay 1e-2 by default. */
export const ADAMW_OPTIONS = {
  ...ADAM_OPTIONS,
  /** Decoupled weight decay: θ ← θ·(1 − lr·wd) before the update. */
  weightDecay: nonNegative(1e-2),
}

/** Options of {@link Adam} and {@link AdamW} (docs/options.md). */
export type AdamOptions = OptionsOf<typeof ADAM_OPTIONS>

/**
 * Adam (Kingma & Ba, ICLR 2015), as PyTorch's `torch.optim.Adam` defines it, with AMSGrad
 * (Reddi et al., ICLR 2018):
 *
 *     g ← −g if maximize;   g ← g + wd·θ
 *     m ← β1·m + (1 − β1)·g;   v ← β2·v + (1 − β2)·g²
 *     vmax ← max(vmax, v) if amsgrad (then used for v below)
 *     θ ← θ − lr/(1 − β1ᵗ) · m / (√v/√(1 − β2ᵗ) + ε)
 *
 * Read through the paper's lens, m̂/√v̂ = sign(m̂)·(1 + η̂²)^(−1/2): a sign times a variance-based
 * magnitude. Options: docs/options.md.
 *
 * @example
 * const opt = new Adam([{ param, grad }], { lr: 1e-3 })
 */
export class Adam extends Optimizer<AdamOptions, 'adam'> {
  /** Its options table. */
  static readonly options = ADAM_OPTIONS
  /** The options a group gets where it does not set them. */
  static readonly defaults: AdamOptions = defaultsOf(ADAM_OPTIONS)

  /** The name in messages and checkpoints. */
  static readonly label: string = 'Adam'
  /** AdamW applies weight decay to θ (decoupled) instead of adding it to g. */
  static readonly decoupled: boolean = false
  readonly #decoupled: boolean

  /**
   * @param params the parameters (`{ param, grad }` pairs or `parameter()`s), or groups of them with their own options
   * @param options the options of every group that does not set its own, and the non-finite policy
   */
  constructor(params: Params<AdamOptions>, options?: Partial<AdamOptions & OptimizerOptions>) {
    const cls = new.target as typeof Adam
    super(cls.label, 'adam', params, cls.options, options)
    this.#decoupled = cls.decoupled
  }

  protected override buffers(o: AdamOptions) {
    return o.amsgrad ? (['m', 'v', 'vmax'] as const) : (['m', 'v'] as const)
  }

  protected override scalars(o: AdamOptions, t: number): KernelScalars['adam'] {
    const [b1, b2] = o.betas
    return {
      b1,
      omb1: 1 - b1,
      b2,
      omb2: 1 - b2,
      lrc1: o.lr / (1 - b1 ** t),
      rc2: 1 / Math.sqrt(1 - b2 ** t),
      eps: o.eps,
      wd: this.#decoupled ? 0 : o.weightDecay,
      decay: this.#decoupled ? 1 - o.lr * o.weightDecay : 1,
      maximize: o.maximize,
      amsgrad: o.amsgrad,
    }
  }

  /**
   * Adam read the same way: η̂² = (v̂ − m̂²)/m̂² from its own two moments; γ = |m̂|/(√v̂ + ε), the
   * factor its step lr·m̂/(√v̂ + ε) applies to sign(m̂), which is (1 + η̂²)^(−1/2) when ε is negligible.
   */
  protected override statsScalars(o: AdamOptions, t: number): StatsScalars {
    return adamStats(o, t, true)
  }
}

/**
 * AdamW: Adam with decoupled weight decay (Loshchilov & Hutter, ICLR 2019), as PyTorch's
 * `torch.optim.AdamW`: θ ← θ·(1 − lr·wd) before the Adam update, which then has no L2 term.
 * Options and defaults: `AdamW.options` (Adam's, but weightDecay 1e-2).
 *
 * @example
 * const opt = new AdamW([{ param, grad }], { lr: 1e-3, weightDecay: 0.01 })
 */
export class AdamW extends Adam {
  /** Its options table. */
  static override readonly options = ADAMW_OPTIONS
  /** The options a group gets where it does not set them. */
  static override readonly defaults: AdamOptions = defaultsOf(ADAMW_OPTIONS)
  /** The name in messages and checkpoints. */
  static override readonly label: string = 'AdamW'
  /** AdamW applies weight decay to θ (decoupled) instead of adding it to g. */
  static override readonly decoupled: boolean = true
}

/**
 * The diagnostics of an Adam-like method from its m and v: η̂² = (v̂ − m̂²)/m̂², and γ = |m̂|/(√v̂ + ε),
 * the factor Adam's step lr·m̂/(√v̂ + ε) applies to sign(m̂), which is (1 + η̂²)^(−1/2) when ε is
 * negligible. `update`: whether Adam's update is the method's own (not for NAdam and RAdam).
 */
export function adamStats(
  o: { betas: [number, number]; lr: number; eps: number },
  t: number,
  update: boolean,
): StatsScalars {
  const [b1, b2] = o.betas
  const rc2 = 1 / Math.sqrt(1 - b2 ** t)
  return new StatsScalars({
    mode: MODE_ADAM,
    ic1: 1 / (1 - b1 ** t),
    ic2: 1 / (1 - b2 ** t),
    k1: 1,
    kappa: 0,
    lr: o.lr,
    rc2,
    eps: o.eps,
    update,
  })
}
