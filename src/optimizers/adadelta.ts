import type { KernelScalars } from '../kernels.js'
import { Optimizer, type OptimizerOptions, type Params } from '../optimizer.js'
import { defaultsOf, L2, lr, MAXIMIZE, nonNegative, type OptionsOf, STATE_DTYPE, unit } from '../options.js'

/** The options of {@link Adadelta}, per parameter group: one table (src/options.ts). */
export const ADADELTA_OPTIONS = {
  /** Learning rate, a factor on the computed step. */
  lr: lr(1),
  /** Decay rate ρ of both running averages. */
  rho: unit(0.9),
  /** Added inside both square roots. */
  eps: nonNegative(1e-6),
  ...L2,
  ...MAXIMIZE,
  ...STATE_DTYPE,
}

/** Options of {@link Adadelta}. */
export type AdadeltaOptions = OptionsOf<typeof ADADELTA_OPTIONS>

/**
 * Adadelta (Zeiler, "ADADELTA: An Adaptive Learning Rate Method", 2012), as PyTorch's
 * `torch.optim.Adadelta` defines it:
 *
 *     g ← −g if maximize;   g ← g + wd·θ
 *     v ← ρ·v + (1 − ρ)·g²
 *     Δ = √(u + ε)/√(v + ε)·g;   u ← ρ·u + (1 − ρ)·Δ²
 *     θ ← θ − lr·Δ
 *
 * Options: docs/options.md. The diagnostics report norms
 * only: it keeps no first moment.
 *
 * @example
 * const opt = new Adadelta([{ param, grad }])
 */
export class Adadelta extends Optimizer<AdadeltaOptions, 'adadelta'> {
  /** Its options table. */
  static readonly options = ADADELTA_OPTIONS
  /** The options a group gets where it does not set them. */
  static readonly defaults: AdadeltaOptions = defaultsOf(ADADELTA_OPTIONS)

  /**
   * @param params the parameters (`{ param, grad }` pairs or `parameter()`s), or groups of them with their own options
   * @param options the options of every group that does not set its own, and the non-finite policy
   */
  constructor(params: Params<AdadeltaOptions>, options?: Partial<AdadeltaOptions & OptimizerOptions>) {
    super('Adadelta', 'adadelta', params, Adadelta.options, options)
  }

  protected override buffers() {
    return ['v', 'u'] as const
  }

  protected override scalars(o: AdadeltaOptions): KernelScalars['adadelta'] {
    return { rho: o.rho, omr: 1 - o.rho, eps: o.eps, lr: o.lr, wd: o.weightDecay, maximize: o.maximize }
  }
}
