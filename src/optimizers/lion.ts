import type { KernelScalars } from '../kernels.js'
import { Optimizer, type OptimizerOptions, type Params } from '../optimizer.js'
import { betas, defaultsOf, lr, nonNegative, type OptionsOf, STATE_DTYPE } from '../options.js'

/** The options of {@link Lion}, per parameter group: one table (src/options.ts). */
export const LION_OPTIONS = {
  /** Learning rate. */
  lr: lr(1e-4),
  /** [β1, β2]: β1 mixes the update direction, β2 the momentum. */
  betas: betas([0.9, 0.99]),
  /** Decoupled weight decay: θ ← θ·(1 − lr·wd). */
  weightDecay: nonNegative(0),
  ...STATE_DTYPE,
}

/** Options of {@link Lion}. */
export type LionOptions = OptionsOf<typeof LION_OPTIONS>

/**
 * Lion, evolved sign momentum (Chen et al., "Symbolic Discovery of Optimization Algorithms",
 * NeurIPS 2023):
 *
 *     u = β1·m + (1 − β1)·g
 *     θ ← θ·(1 − lr·wd);   θ ← θ − lr·sign(u)
 *     m ← β2·m + (1 − β2)·g
 *
 * A sign method in the paper's sense: every coordinate moves by exactly lr. Options: docs/options.md.
 *
 * @example
 * const opt = new Lion([{ param, grad }], { lr: 1e-4, weightDecay: 0.1 })
 */
export class Lion extends Optimizer<LionOptions, 'lion'> {
  /** Its options table. */
  static readonly options = LION_OPTIONS
  /** The options a group gets where it does not set them. */
  static readonly defaults: LionOptions = defaultsOf(LION_OPTIONS)

  /**
   * @param params the parameters (`{ param, grad }` pairs or `parameter()`s), or groups of them with their own options
   * @param options the options of every group that does not set its own, and the non-finite policy
   */
  constructor(params: Params<LionOptions>, options?: Partial<LionOptions & OptimizerOptions>) {
    super('Lion', 'lion', params, Lion.options, options)
  }

  protected override buffers() {
    return ['m'] as const
  }

  protected override scalars(o: LionOptions): KernelScalars['lion'] {
    const [b1, b2] = o.betas
    return { b1, omb1: 1 - b1, b2, omb2: 1 - b2, lr: o.lr, decay: 1 - o.lr * o.weightDecay }
  }
}
