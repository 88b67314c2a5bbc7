import type { KernelScalars } from '../kernels.js'
import { Optimizer, type OptimizerOptions, type Params } from '../optimizer.js'
import { betas, defaultsOf, flag, lr, MAXIMIZE, nonNegative, type OptionsOf, STATE_DTYPE } from '../options.js'
import type { StatsScalars } from '../stats.js'
import { adamStats } from './adam.js'

/** The options of {@link NAdam}, per parameter group: one table (src/options.ts). */
export const NADAM_OPTIONS = {
  /** Learning rate. */
  lr: lr(2e-3),
  /** Decay rates [β1, β2] of the first and second moment. */
  betas: betas([0.9, 0.999]),
  /** Added to the denominator √v̂. */
  eps: nonNegative(1e-8),
  /** Weight decay: coupled (g ← g + wd·θ), or decoupled with decoupledWeightDecay. */
  weightDecay: nonNegative(0),
  /** ψ of the momentum schedule μₜ = β1·(1 − ½·0.96^(t·ψ)). */
  momentumDecay: nonNegative(4e-3),
  /** Decoupled weight decay, θ ← θ·(1 − lr·wd), as AdamW (NAdamW). */
  decoupledWeightDecay: flag(false),
  ...MAXIMIZE,
  ...STATE_DTYPE,
}

/** Options of {@link NAdam}. */
export type NAdamOptions = OptionsOf<typeof NADAM_OPTIONS>

/** μₜ = β1·(1 − ½·0.96^(t·ψ)), the momentum schedule of NAdam. */
const mu = (b1: number, psi: number, t: number) => b1 * (1 - 0.5 * 0.96 ** (t * psi))

/**
 * NAdam: Adam with Nesterov momentum (Dozat, "Incorporating Nesterov Momentum into Adam", ICLR
 * workshop 2016), as PyTorch 2's `torch.optim.NAdam` defines it (PyTorch 1.13's single-tensor
 * version multiplied the product of μ twice; this follows 2.x):
 *
 *     g ← −g if maximize;   g ← g + wd·θ, or θ ← θ·(1 − lr·wd) if decoupledWeightDecay
 *     μₜ = β1·(1 − ½·0.96^(t·ψ));   Πₜ = μ₁·…·μₜ
 *     m ← β1·m + (1 − β1)·g;   v ← β2·v + (1 − β2)·g²;   d = √(v/(1 − β2ᵗ)) + ε
 *     θ ← θ − lr·(1 − μₜ)/(1 − Πₜ)·g/d − lr·μₜ₊₁/(1 − Πₜ·μₜ₊₁)·m/d
 *
 * Πₜ is computed in float64 from t and the current β1 and ψ (PyTorch keeps a running product
 * instead, which differs only if β1 or ψ change during a run). Options: docs/options.md. The
 * diagnostics are Adam's, from its m and v, without the update norm.
 *
 * @example
 * const opt = new NAdam([{ param, grad }], { lr: 2e-3 })
 */
export class NAdam extends Optimizer<NAdamOptions, 'nadam'> {
  /** Its options table. */
  static readonly options = NADAM_OPTIONS
  /** The options a group gets where it does not set them. */
  static readonly defaults: NAdamOptions = defaultsOf(NADAM_OPTIONS)
  /** Per group, the last product of μ computed: consecutive steps cost one multiplication. */
  readonly #products: { b1: number; psi: number; t: number; value: number }[] = []

  /**
   * @param params the parameters (`{ param, grad }` pairs or `parameter()`s), or groups of them with their own options
   * @param options the options of every group that does not set its own, and the non-finite policy
   */
  constructor(params: Params<NAdamOptions>, options?: Partial<NAdamOptions & OptimizerOptions>) {
    super('NAdam', 'nadam', params, NAdam.options, options)
  }

  protected override buffers() {
    return ['m', 'v'] as const
  }

  protected override scalars(o: NAdamOptions, t: number, index: number): KernelScalars['nadam'] {
    const [b1, b2] = o.betas
    const psi = o.momentumDecay
    const product = this.#product(index, b1, psi, t)
    const next = mu(b1, psi, t + 1)
    const decoupled = o.decoupledWeightDecay
    return {
      b1,
      omb1: 1 - b1,
      b2,
      omb2: 1 - b2,
      cg: (o.lr * (1 - mu(b1, psi, t))) / (1 - product),
      cm: (o.lr * next) / (1 - product * next),
      rc2: 1 / Math.sqrt(1 - b2 ** t),
      eps: o.eps,
      wd: decoupled ? 0 : o.weightDecay,
      decay: decoupled ? 1 - o.lr * o.weightDecay : 1,
      maximize: o.maximize,
    }
  }

  protected override statsScalars(o: NAdamOptions, t: number): StatsScalars {
    return adamStats(o, t, false)
  }

  /** μ₁·…·μₜ in float64, always multiplied in that order, so the same t gives the same bits. */
  #product(index: number, b1: number, psi: number, t: number): number {
    let p = this.#products[index]
    if (!p || p.b1 !== b1 || p.psi !== psi || p.t > t) p = this.#products[index] = { b1, psi, t: 0, value: 1 }
    while (p.t < t) p.value *= mu(b1, psi, ++p.t)
    return p.value
  }
}
