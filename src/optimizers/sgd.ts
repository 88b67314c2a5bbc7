import type { KernelScalars } from '../kernels.js'
import { Optimizer, type OptimizerOptions, type Params } from '../optimizer.js'
import { defaultsOf, flag, L2, lr, MAXIMIZE, number, type OptionsOf, STATE_DTYPE, unit } from '../options.js'
import type { Checker } from '../validate.js'

/** The options of {@link SGD}, per parameter group: one table (src/options.ts). */
export const SGD_OPTIONS = {
  /** Learning rate. */
  lr: lr(1e-3),
  /** Heavy-ball momentum μ (0: plain SGD). */
  momentum: unit(0),
  /** Dampening of the gradient's share of the momentum buffer. */
  dampening: number(0, 0, {
    hi: 1,
    closed: true,
    test: [0, 1],
  }),
  /** Nesterov momentum (needs momentum > 0 and dampening 0). */
  nesterov: flag(false),
  ...L2,
  ...MAXIMIZE,
  ...STATE_DTYPE,
}

/** Options of {@link SGD}. */
export type SGDOptions = OptionsOf<typeof SGD_OPTIONS>

/**
 * Stochastic gradient descent with optional heavy-ball or Nesterov momentum, as PyTorch's
 * `torch.optim.SGD` defines it (Polyak 1964; Sutskever et al. 2013):
 *
 *     g ← −g if maximize;   g ← g + wd·θ
 *     b ← g at t = 1, else b ← μ·b + (1 − dampening)·g        (only if μ > 0)
 *     g ← g + μ·b if nesterov, else g ← b                      (only if μ > 0)
 *     θ ← θ − lr·g
 *
 * Heavy-ball momentum at step lr equals the paper's EMA momentum ({@link MSGD}) at step
 * lr/(1 − μ), bias correction aside. Options: docs/options.md.
 *
 * @example
 * const opt = new SGD([{ param, grad }], { lr: 0.01, momentum: 0.9, nesterov: true })
 */
export class SGD extends Optimizer<SGDOptions, 'sgd'> {
  /** Its options table. */
  static readonly options = SGD_OPTIONS
  /** The options a group gets where it does not set them. */
  static readonly defaults: SGDOptions = defaultsOf(SGD_OPTIONS)

  /**
   * @param params the parameters (`{ param, grad }` pairs or `parameter()`s), or groups of them with their own options
   * @param options the options of every group that does not set its own, and the non-finite policy
   */
  constructor(params: Params<SGDOptions>, options?: Partial<SGDOptions & OptimizerOptions>) {
    super('SGD', 'sgd', params, SGD.options, options)
  }

  protected override check(o: SGDOptions, c: Checker): void {
    if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) {
      c.fail(`nesterov needs momentum > 0 and dampening = 0, got momentum ${o.momentum} and dampening ${o.dampening}`)
    }
  }

  protected override buffers(o: SGDOptions) {
    return o.momentum > 0 ? (['b'] as const) : []
  }

  protected override scalars(o: SGDOptions, t: number): KernelScalars['sgd'] {
    const { lr, weightDecay: wd, momentum: mu, maximize, nesterov } = o
    return { lr, wd, mu, damp1: 1 - o.dampening, maximize, first: t === 1, nesterov }
  }
}
