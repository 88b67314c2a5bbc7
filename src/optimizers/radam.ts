import type { KernelScalars } from '../kernels.js'
import { Optimizer, type OptimizerOptions, type Params } from '../optimizer.js'
import { betas, defaultsOf, flag, lr, MAXIMIZE, nonNegative, type OptionsOf, STATE_DTYPE } from '../options.js'
import type { StatsScalars } from '../stats.js'
import { adamStats } from './adam.js'

/** The options of {@link RAdam}, per parameter group: one table (src/options.ts). */
export const RADAM_OPTIONS = {
  /** Learning rate. */
  lr: lr(1e-3),
  /** Decay rates [β1, β2] of the first and second moment. */
  betas: betas([0.9, 0.999]),
  /** Added to the denominator √v. */
  eps: nonNegative(1e-8),
  /** Weight decay: coupled (g ← g + wd·θ), or decoupled with decoupledWeightDecay. */
  weightDecay: nonNegative(0),
  /** Decoupled weight decay, θ ← θ·(1 − lr·wd), as AdamW (RAdamW). */
  decoupledWeightDecay: flag(false),
  ...MAXIMIZE,
  ...STATE_DTYPE,
}

/** Options of {@link RAdam}. */
export type RAdamOptions = OptionsOf<typeof RADAM_OPTIONS>

/**
 * RAdam, rectified Adam (Liu et al., "On the Variance of the Adaptive Learning Rate and Beyond",
 * ICLR 2020), as PyTorch 2's `torch.optim.RAdam` defines it:
 *
 *     g ← −g if maximize;   g ← g + wd·θ, or θ ← θ·(1 − lr·wd) if decoupledWeightDecay
 *     m ← β1·m + (1 − β1)·g;   v ← β2·v + (1 − β2)·g²
 *     ρ∞ = 2/(1 − β2) − 1;   ρₜ = ρ∞ − 2t·β2ᵗ/(1 − β2ᵗ)
 *     ρₜ > 5:  rₜ = √((ρₜ − 4)(ρₜ − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρₜ));   θ ← θ − lr·rₜ·√(1 − β2ᵗ)/(1 − β1ᵗ) · m/(√v + ε)
 *     else:    θ ← θ − lr/(1 − β1ᵗ) · m                 (momentum without adaptation)
 *
 * ρₜ and rₜ depend only on t, so they are computed once per group and step. Options: docs/options.md. The
 * diagnostics are Adam's, from its m and v, without the update norm.
 *
 * @example
 * const opt = new RAdam([{ param, grad }], { lr: 1e-3 })
 */
export class RAdam extends Optimizer<RAdamOptions, 'radam'> {
  /** Its options table. */
  static readonly options = RADAM_OPTIONS
  /** The options a group gets where it does not set them. */
  static readonly defaults: RAdamOptions = defaultsOf(RADAM_OPTIONS)

  /**
   * @param params the parameters (`{ param, grad }` pairs or `parameter()`s), or groups of them with their own options
   * @param options the options of every group that does not set its own, and the non-finite policy
   */
  constructor(params: Params<RAdamOptions>, options?: Partial<RAdamOptions & OptimizerOptions>) {
    super('RAdam', 'radam', params, RAdam.options, options)
  }

  protected override buffers() {
    return ['m', 'v'] as const
  }

  protected override scalars(o: RAdamOptions, t: number): KernelScalars['radam'] {
    const [b1, b2] = o.betas
    const bc1 = 1 - b1 ** t
    const bc2 = 1 - b2 ** t
    const rhoInf = 2 / (1 - b2) - 1
    const rhoT = rhoInf - (2 * t * b2 ** t) / bc2
    const adaptive = rhoT > 5
    const rect = Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT))
    const decoupled = o.decoupledWeightDecay
    return {
      b1,
      omb1: 1 - b1,
      b2,
      omb2: 1 - b2,
      step: adaptive ? (o.lr * rect * Math.sqrt(bc2)) / bc1 : o.lr / bc1,
      eps: o.eps,
      wd: decoupled ? 0 : o.weightDecay,
      decay: decoupled ? 1 - o.lr * o.weightDecay : 1,
      adaptive,
      maximize: o.maximize,
    }
  }

  protected override statsScalars(o: RAdamOptions, t: number): StatsScalars {
    return adamStats(o, t, false)
  }
}
