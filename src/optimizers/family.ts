import { type KernelScalars, MODE_MSGD, MODE_MSSD, MODE_MSVAG, MODE_SVAG } from '../kernels.js'
import { Optimizer, type OptimizerOptions, type Params } from '../optimizer.js'
import { StatsScalars } from '../stats.js'
import type { Checker } from '../validate.js'

// The paper's family (Balles & Hennig, "Dissecting Adam: The Sign, Magnitude and Variance of
// Stochastic Gradients", ICML 2018): one β for both moving averages, EMA momentum, bias
// correction, decoupled weight decay. docs/algorithms.md §2 has the rules and test vectors.

/** Options of the paper's family: M-SGD, M-SSD, SVAG and M-SVAG. */
export interface FamilyOptions {
  /** Learning rate, ≥ 0. */
  lr: number
  /** Decay rate β of the moving averages m and v, in [0, 1). Default 0.9. */
  beta: number
  /** Decoupled weight decay, ≥ 0: θ ← θ·(1 − lr·wd) before the update. Default 0. */
  weightDecay: number
}

/** Options of SSD: the family's, without β (it keeps no moving average). */
export type SSDOptions = Omit<FamilyOptions, 'beta'>

/** Options of M-SGD and M-SSD: the family's, and whether to keep v for the diagnostics. */
export interface MomentumOptions extends FamilyOptions {
  /**
   * Also keep v ← β·v + (1 − β)·g², which the update does not use, so that opt.stats() can
   * report γ, η̂² and P(sign right) for this method too. Default false.
   */
  trackVariance: boolean
}

type FamilyKernel = 'msgd' | 'mssd' | 'ssd' | 'svag' | 'msvag'

/** The family's common checks; subclasses pick the kernel and its scalars. */
abstract class FamilyOptimizer<O extends SSDOptions, K extends FamilyKernel> extends Optimizer<O, K> {
  protected override check(o: O, c: Checker): void {
    c.nonNegative('lr')
    c.nonNegative('weightDecay')
    if ('beta' in o) c.unit('beta')
    if ('trackVariance' in o) c.flag('trackVariance')
  }
}

/**
 * M-SGD: momentum SGD with a bias-corrected exponential moving average (Balles & Hennig 2018).
 *
 *     m ← β·m + (1 − β)·g;     θ ← θ − lr·m / (1 − βᵗ)
 *
 * Defaults: lr 0.1, β 0.9, weightDecay 0, trackVariance false. At β = 0.9 its lr is 10×
 * PyTorch's heavy-ball lr.
 *
 * @example
 * const opt = new MSGD([{ param, grad }], { lr: 0.1, beta: 0.9 })
 */
export class MSGD extends FamilyOptimizer<MomentumOptions, 'msgd'> {
  /** The options a group gets where it does not set them. */
  static readonly defaults: MomentumOptions = { lr: 0.1, beta: 0.9, weightDecay: 0, trackVariance: false }

  /**
   * @param params the parameters (`{ param, grad }` pairs or `parameter()`s), or groups of them with their own options
   * @param options the options of every group that does not set its own, and the non-finite policy
   */
  constructor(params: Params<MomentumOptions>, options?: Partial<MomentumOptions & OptimizerOptions>) {
    super('MSGD', 'msgd', params, MSGD.defaults, options)
  }

  protected override buffers(o: MomentumOptions) {
    return o.trackVariance ? (['m', 'v'] as const) : (['m'] as const)
  }

  protected override scalars(o: MomentumOptions, t: number): KernelScalars['msgd'] {
    return { beta: o.beta, omb: 1 - o.beta, lrc: o.lr / (1 - o.beta ** t), decay: 1 - o.lr * o.weightDecay }
  }

  protected override statsScalars(o: MomentumOptions, t: number): StatsScalars {
    return momentumStats(MODE_MSGD, o, t)
  }
}

/**
 * SSD: stochastic sign descent, signSGD (Bernstein et al., ICML 2018).
 *
 *     θ ← θ − lr·sign(g)          sign(0) = 0
 *
 * Defaults: lr 1e-3, weightDecay 0.
 *
 * @example
 * const opt = new SSD([{ param, grad }], { lr: 1e-3 })
 */
export class SSD extends FamilyOptimizer<SSDOptions, 'ssd'> {
  /** The options a group gets where it does not set them. */
  static readonly defaults: SSDOptions = { lr: 1e-3, weightDecay: 0 }

  /**
   * @param params the parameters (`{ param, grad }` pairs or `parameter()`s), or groups of them with their own options
   * @param options the options of every group that does not set its own, and the non-finite policy
   */
  constructor(params: Params<SSDOptions>, options?: Partial<SSDOptions & OptimizerOptions>) {
    super('SSD', 'ssd', params, SSD.defaults, options)
  }

  protected override buffers() {
    return []
  }

  protected override scalars(o: SSDOptions): KernelScalars['ssd'] {
    return { lr: o.lr, decay: 1 - o.lr * o.weightDecay }
  }
}

/**
 * M-SSD: sign descent with momentum, Signum (Bernstein et al., ICML 2018).
 *
 *     m ← β·m + (1 − β)·g;     θ ← θ − lr·sign(m)      (bias correction cannot change a sign)
 *
 * Defaults: lr 3e-4, β 0.9, weightDecay 0, trackVariance false.
 *
 * @example
 * const opt = new MSSD([{ param, grad }], { lr: 3e-4 })
 */
export class MSSD extends FamilyOptimizer<MomentumOptions, 'mssd'> {
  /** The options a group gets where it does not set them. */
  static readonly defaults: MomentumOptions = { lr: 3e-4, beta: 0.9, weightDecay: 0, trackVariance: false }

  /**
   * @param params the parameters (`{ param, grad }` pairs or `parameter()`s), or groups of them with their own options
   * @param options the options of every group that does not set its own, and the non-finite policy
   */
  constructor(params: Params<MomentumOptions>, options?: Partial<MomentumOptions & OptimizerOptions>) {
    super('MSSD', 'mssd', params, MSSD.defaults, options)
  }

  protected override buffers(o: MomentumOptions) {
    return o.trackVariance ? (['m', 'v'] as const) : (['m'] as const)
  }

  protected override scalars(o: MomentumOptions): KernelScalars['mssd'] {
    return { beta: o.beta, omb: 1 - o.beta, lr: o.lr, decay: 1 - o.lr * o.weightDecay }
  }

  protected override statsScalars(o: MomentumOptions, t: number): StatsScalars {
    return momentumStats(MODE_MSSD, o, t)
  }
}

/**
 * ρ(β, t) = (1 − β)(1 + βᵗ) / ((1 + β)(1 − βᵗ)), capped at 0.9999 as the authors' code does: the
 * sum of the squared weights of the bias-corrected EMA, so that Var[m̂] = ρ·σ². It is 1 at t = 1
 * and tends to (1 − β)/(1 + β).
 */
export function rho(beta: number, t: number): number {
  const bt = beta ** t
  return Math.min(((1 - beta) * (1 + bt)) / ((1 + beta) * (1 - bt)), 0.9999)
}

/** Diagnostics scalars for M-SGD and M-SSD; with trackVariance, γ is the factor M-SVAG would apply, m̂²/(m̂² + ρ·ŝ). */
function momentumStats(mode: number, o: MomentumOptions, t: number): StatsScalars {
  const r = rho(o.beta, t)
  const ic = 1 / (1 - o.beta ** t)
  return new StatsScalars({ mode, ic1: ic, ic2: ic, k1: 1 / (1 - r), kappa: r / (1 - r), lr: o.lr })
}

/**
 * The variance-adapted methods' scalars, shared by their step and their diagnostics:
 * m̂ = m·ic, ŝ = k1·(v̂ − m̂²) with k1 = 1/(1 − ρ), and κ in front of v̂ − m̂² in γ's denominator:
 * 1/(1 − ρ) for SVAG (γ = m̂²/(m̂² + ŝ)), ρ/(1 − ρ) for M-SVAG (γ = m̂²/(m̂² + ρ·ŝ)).
 */
function variance(o: FamilyOptions, t: number, momentum: boolean) {
  const r = rho(o.beta, t)
  return { ic: 1 / (1 - o.beta ** t), k1: 1 / (1 - r), kappa: momentum ? r / (1 - r) : 1 / (1 - r) }
}

/**
 * SVAG: stochastic variance-adapted gradient (Balles & Hennig 2018, §3). Each coordinate of the
 * gradient is shrunk by the estimated factor γ ∈ [0, 1]:
 *
 *     m ← β·m + (1 − β)·g,   v ← β·v + (1 − β)·g²,   m̂ = m/(1 − βᵗ),   v̂ = v/(1 − βᵗ)
 *     ŝ = (v̂ − m̂²)/(1 − ρ),   γ = m̂²/(m̂² + ŝ)  (clipped to [0, 1]; 0 where m = v = 0)
 *     θ ← θ − lr·γ·g
 *
 * Defaults: lr 0.1, β 0.9, weightDecay 0. No ε, on purpose.
 *
 * @example
 * const opt = new SVAG([{ param, grad }], { lr: 0.1 })
 */
export class SVAG extends FamilyOptimizer<FamilyOptions, 'svag'> {
  /** The options a group gets where it does not set them. */
  static readonly defaults: FamilyOptions = { lr: 0.1, beta: 0.9, weightDecay: 0 }

  /**
   * @param params the parameters (`{ param, grad }` pairs or `parameter()`s), or groups of them with their own options
   * @param options the options of every group that does not set its own, and the non-finite policy
   */
  constructor(params: Params<FamilyOptions>, options?: Partial<FamilyOptions & OptimizerOptions>) {
    super('SVAG', 'svag', params, SVAG.defaults, options)
  }

  protected override buffers() {
    return ['m', 'v'] as const
  }

  protected override scalars(o: FamilyOptions, t: number): KernelScalars['svag'] {
    const { ic, kappa } = variance(o, t, false)
    return { beta: o.beta, omb: 1 - o.beta, ic, kappa, lr: o.lr, decay: 1 - o.lr * o.weightDecay }
  }

  protected override statsScalars(o: FamilyOptions, t: number): StatsScalars {
    const { ic, k1, kappa } = variance(o, t, false)
    return new StatsScalars({ mode: MODE_SVAG, ic1: ic, ic2: ic, k1, kappa, lr: o.lr })
  }
}

/**
 * M-SVAG: variance-adapted momentum SGD, the method the paper proposes (Balles & Hennig 2018,
 * §3.3). The momentum direction m̂ is shrunk per coordinate by how noisy it is:
 *
 *     m, v, m̂, v̂, ŝ as for SVAG
 *     γ = m̂²/(m̂² + ρ·ŝ)  (clipped to [0, 1]; 0 where m = v = 0)
 *     θ ← θ − lr·γ·m̂
 *
 * Defaults: lr 0.1, β 0.9, weightDecay 0. No ε, on purpose.
 *
 * @example
 * const opt = new MSVAG([{ param, grad }], { lr: 0.1, beta: 0.9 })
 */
export class MSVAG extends FamilyOptimizer<FamilyOptions, 'msvag'> {
  /** The options a group gets where it does not set them. */
  static readonly defaults: FamilyOptions = { lr: 0.1, beta: 0.9, weightDecay: 0 }

  /**
   * @param params the parameters (`{ param, grad }` pairs or `parameter()`s), or groups of them with their own options
   * @param options the options of every group that does not set its own, and the non-finite policy
   */
  constructor(params: Params<FamilyOptions>, options?: Partial<FamilyOptions & OptimizerOptions>) {
    super('MSVAG', 'msvag', params, MSVAG.defaults, options)
  }

  protected override buffers() {
    return ['m', 'v'] as const
  }

  protected override scalars(o: FamilyOptions, t: number): KernelScalars['msvag'] {
    const { ic, kappa } = variance(o, t, true)
    return { beta: o.beta, omb: 1 - o.beta, ic, kappa, lr: o.lr, decay: 1 - o.lr * o.weightDecay }
  }

  protected override statsScalars(o: FamilyOptions, t: number): StatsScalars {
    const { ic, k1, kappa } = variance(o, t, true)
    return new StatsScalars({ mode: MODE_MSVAG, ic1: ic, ic2: ic, k1, kappa, lr: o.lr })
  }
}
