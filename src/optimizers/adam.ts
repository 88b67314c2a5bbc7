import type { KernelScalars } from '../kernels.js'
import { MODE_ADAM } from '../kernels.js'
import { Optimizer, type OptimizerOptions, type Params } from '../optimizer.js'
import { StatsScalars } from '../stats.js'
import type { Checker } from '../validate.js'

/** Options of {@link Adam}, and of {@link AdamW}: per parameter group. */
export interface AdamOptions {
  /** Learning rate, ≥ 0. Default 1e-3. */
  lr: number
  /** Decay rates [β1, β2] of the first and second moment, each in [0, 1). Default [0.9, 0.999]. */
  betas: [number, number]
  /** Added to the denominator √v̂, ≥ 0. Default 1e-8. */
  eps: number
  /** Weight decay, ≥ 0: coupled (L2, g ← g + wd·θ) for Adam, decoupled for AdamW. Default 0 (AdamW 1e-2). */
  weightDecay: number
  /** AMSGrad: divide by the running maximum of v instead of v. Default false. */
  amsgrad: boolean
  /** Ascend instead of descend: g ← −g. Default false. */
  maximize: boolean
}

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
 * magnitude. Defaults: lr 1e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 0, amsgrad false,
 * maximize false.
 *
 * @example
 * const opt = new Adam([{ param, grad }], { lr: 1e-3 })
 */
export class Adam extends Optimizer<AdamOptions, 'adam'> {
  /** The options a group gets where it does not set them. */
  static readonly defaults: AdamOptions = {
    lr: 1e-3,
    betas: [0.9, 0.999],
    eps: 1e-8,
    weightDecay: 0,
    amsgrad: false,
    maximize: false,
  }

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
    super(cls.label, 'adam', params, cls.defaults, options)
    this.#decoupled = cls.decoupled
  }

  protected override check(_o: AdamOptions, c: Checker): void {
    c.nonNegative('lr')
    c.betas('betas')
    c.nonNegative('eps')
    c.nonNegative('weightDecay')
    c.flag('amsgrad')
    c.flag('maximize')
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
 * Defaults as {@link Adam}, but weightDecay 1e-2.
 *
 * @example
 * const opt = new AdamW([{ param, grad }], { lr: 1e-3, weightDecay: 0.01 })
 */
export class AdamW extends Adam {
  /** The options a group gets where it does not set them. */
  static override readonly defaults: AdamOptions = { ...Adam.defaults, weightDecay: 1e-2 }
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
