import { Optimizer, type OptimizerOptions, type Params, type Span } from '../optimizer.js'
import type { Kernels } from '../runtime.js'
import type { Checker } from '../validate.js'
import { StatsScalars } from '../stats.js'

// The paper's family (Balles & Hennig, "Dissecting Adam: The Sign, Magnitude and Variance of
// Stochastic Gradients", ICML 2018): one β for both moving averages, EMA momentum, bias
// correction, decoupled weight decay. SPEC.md §2 has the rules and test vectors.

/** Options of the paper's family: M-SGD, SSD, M-SSD, SVAG and M-SVAG (SSD ignores no option but β). */
export interface FamilyOptions {
  /** Learning rate, ≥ 0. */
  lr: number
  /** Decay rate β of the moving averages m and v, in [0, 1). Default 0.9. */
  beta: number
  /** Decoupled weight decay, ≥ 0: θ ← θ·(1 − lr·wd) before the update. Default 0. */
  weightDecay: number
}

export type SSDOptions = Omit<FamilyOptions, 'beta'>

/** Options of M-SGD and M-SSD: the family's, and whether to keep v for the diagnostics. */
export interface MomentumOptions extends FamilyOptions {
  /**
   * Also keep v ← β·v + (1 − β)·g², which the update does not use, so that opt.stats() can
   * report γ, η̂² and P(sign right) for this method too. Default false.
   */
  trackVariance: boolean
}

/** The scalars of a family kernel for one step (unused ones are 0). */
interface FamilyScalars {
  beta: number
  omb: number
  /** lr, or lr/(1 − βᵗ) for M-SGD */
  lr: number
  /** 1/(1 − βᵗ) */
  ic: number
  /** 1/(1 − ρ) for SVAG, ρ/(1 − ρ) for M-SVAG */
  kappa: number
  decay: number
}

/** The family's common checks and per-step scalars; subclasses pick the kernel. */
abstract class FamilyOptimizer<O extends SSDOptions> extends Optimizer<O, FamilyScalars> {
  protected check(o: O, c: Checker): void {
    c.nonNegative('lr')
    c.nonNegative('weightDecay')
    if ('beta' in o) c.unit('beta')
    if ('trackVariance' in o) c.flag('trackVariance')
  }

  protected scalars(o: O, t: number): FamilyScalars {
    const beta = 'beta' in o ? (o.beta as number) : 0
    return { beta, omb: 1 - beta, lr: o.lr, ic: 1 / (1 - beta ** t), kappa: 0, decay: 1 - o.lr * o.weightDecay }
  }
}

/**
 * M-SGD: momentum SGD with a bias-corrected exponential moving average (SPEC §2).
 *
 *     m ← β·m + (1 − β)·g;     θ ← θ − lr·m / (1 − βᵗ)
 *
 * Defaults: lr 0.1, β 0.9, weightDecay 0. At β = 0.9 its lr is 10× PyTorch's heavy-ball lr.
 *
 * @example
 * const opt = new MSGD([{ param, grad }], { lr: 0.1, beta: 0.9 })
 */
export class MSGD extends FamilyOptimizer<MomentumOptions> {
  static readonly defaults: MomentumOptions = { lr: 0.1, beta: 0.9, weightDecay: 0, trackVariance: false }

  constructor(params: Params<MomentumOptions>, options?: Partial<MomentumOptions & OptimizerOptions>) {
    super('MSGD', params, MSGD.defaults, options)
  }

  protected buffers(o: MomentumOptions): readonly string[] {
    return o.trackVariance ? ['m', 'v'] : ['m']
  }

  protected scalars(o: MomentumOptions, t: number): FamilyScalars {
    return { ...super.scalars(o, t), lr: o.lr / (1 - o.beta ** t) }
  }

  protected statsScalars(o: MomentumOptions, t: number): StatsScalars {
    return momentumStats(1, o, t)
  }

  protected update(k: Kernels, s: Span, c: FamilyScalars): void {
    k.msgd(s.p, s.g, s.state.m, s.state.v ?? 0, s.n, c.beta, c.omb, c.lr, c.decay)
  }
}

/**
 * SSD: stochastic sign descent, signSGD (Bernstein et al. 2018; SPEC §2).
 *
 *     θ ← θ − lr·sign(g)          sign(0) = 0
 *
 * Defaults: lr 1e-3, weightDecay 0.
 *
 * @example
 * const opt = new SSD([{ param, grad }], { lr: 1e-3 })
 */
export class SSD extends FamilyOptimizer<SSDOptions> {
  static readonly defaults: SSDOptions = { lr: 1e-3, weightDecay: 0 }

  constructor(params: Params<SSDOptions>, options?: Partial<SSDOptions & OptimizerOptions>) {
    super('SSD', params, SSD.defaults, options)
  }

  protected buffers(): readonly string[] {
    return []
  }

  protected update(k: Kernels, s: Span, c: FamilyScalars): void {
    k.ssd(s.p, s.g, s.n, c.lr, c.decay)
  }
}

/**
 * M-SSD: sign descent with momentum, Signum (Bernstein et al. 2018; SPEC §2).
 *
 *     m ← β·m + (1 − β)·g;     θ ← θ − lr·sign(m)      (bias correction cannot change a sign)
 *
 * Defaults: lr 3e-4, β 0.9, weightDecay 0.
 *
 * @example
 * const opt = new MSSD([{ param, grad }], { lr: 3e-4 })
 */
export class MSSD extends FamilyOptimizer<MomentumOptions> {
  static readonly defaults: MomentumOptions = { lr: 3e-4, beta: 0.9, weightDecay: 0, trackVariance: false }

  constructor(params: Params<MomentumOptions>, options?: Partial<MomentumOptions & OptimizerOptions>) {
    super('MSSD', params, MSSD.defaults, options)
  }

  protected buffers(o: MomentumOptions): readonly string[] {
    return o.trackVariance ? ['m', 'v'] : ['m']
  }

  protected statsScalars(o: MomentumOptions, t: number): StatsScalars {
    return momentumStats(2, o, t)
  }

  protected update(k: Kernels, s: Span, c: FamilyScalars): void {
    k.mssd(s.p, s.g, s.state.m, s.state.v ?? 0, s.n, c.beta, c.omb, c.lr, c.decay)
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

/**
 * Diagnostics scalars for M-SGD (mode 1) and M-SSD (mode 2); with trackVariance, γ is the factor
 * M-SVAG would apply, m̂²/(m̂² + ρ·ŝ).
 */
function momentumStats(mode: number, o: MomentumOptions, t: number): StatsScalars {
  const r = rho(o.beta, t)
  const ic = 1 / (1 - o.beta ** t)
  return new StatsScalars({ mode, ic1: ic, ic2: ic, k1: 1 / (1 - r), kappa: r / (1 - r), lr: o.lr })
}

/** Diagnostics scalars for SVAG (mode 3) and M-SVAG (mode 4): ŝ = (v̂ − m̂²)/(1 − ρ). */
function varianceStats(mode: number, o: FamilyOptions, t: number, kappa: number): StatsScalars {
  const ic = 1 / (1 - o.beta ** t)
  return new StatsScalars({ mode, ic1: ic, ic2: ic, k1: 1 / (1 - rho(o.beta, t)), kappa, lr: o.lr })
}

/**
 * SVAG: stochastic variance-adapted gradient (Balles & Hennig 2018, §3; SPEC §2). Each
 * coordinate of the gradient is shrunk by the estimated factor γ ∈ [0, 1]:
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
export class SVAG extends FamilyOptimizer<FamilyOptions> {
  static readonly defaults: FamilyOptions = { lr: 0.1, beta: 0.9, weightDecay: 0 }

  constructor(params: Params<FamilyOptions>, options?: Partial<FamilyOptions & OptimizerOptions>) {
    super('SVAG', params, SVAG.defaults, options)
  }

  protected buffers(): readonly string[] {
    return ['m', 'v']
  }

  protected scalars(o: FamilyOptions, t: number): FamilyScalars {
    return { ...super.scalars(o, t), kappa: 1 / (1 - rho(o.beta, t)) }
  }

  protected statsScalars(o: FamilyOptions, t: number): StatsScalars {
    return varianceStats(3, o, t, 1 / (1 - rho(o.beta, t)))
  }

  protected update(k: Kernels, s: Span, c: FamilyScalars): void {
    k.svag(s.p, s.g, s.state.m, s.state.v, s.n, c.beta, c.omb, c.ic, c.kappa, c.lr, c.decay)
  }
}

/**
 * M-SVAG: variance-adapted momentum SGD, the method the paper proposes (Balles & Hennig 2018,
 * §3.3; SPEC §2). The momentum direction m̂ is shrunk per coordinate by how noisy it is:
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
export class MSVAG extends FamilyOptimizer<FamilyOptions> {
  static readonly defaults: FamilyOptions = { lr: 0.1, beta: 0.9, weightDecay: 0 }

  constructor(params: Params<FamilyOptions>, options?: Partial<FamilyOptions & OptimizerOptions>) {
    super('MSVAG', params, MSVAG.defaults, options)
  }

  protected buffers(): readonly string[] {
    return ['m', 'v']
  }

  protected scalars(o: FamilyOptions, t: number): FamilyScalars {
    const r = rho(o.beta, t)
    return { ...super.scalars(o, t), kappa: r / (1 - r) }
  }

  protected statsScalars(o: FamilyOptions, t: number): StatsScalars {
    const r = rho(o.beta, t)
    return varianceStats(4, o, t, r / (1 - r))
  }

  protected update(k: Kernels, s: Span, c: FamilyScalars): void {
    k.msvag(s.p, s.g, s.state.m, s.state.v, s.n, c.beta, c.omb, c.ic, c.kappa, c.lr, c.decay)
  }
}
