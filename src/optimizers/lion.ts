import { Optimizer, type OptimizerOptions, type Params, type Span } from '../optimizer.js'
import type { Kernels } from '../runtime.js'
import type { Checker } from '../validate.js'

export interface LionOptions {
  /** Learning rate, ≥ 0. Default 1e-4. */
  lr: number
  /** [β1, β2]: β1 mixes the update direction, β2 the momentum, each in [0, 1). Default [0.9, 0.99]. */
  betas: [number, number]
  /** Decoupled weight decay, ≥ 0: θ ← θ·(1 − lr·wd). Default 0. */
  weightDecay: number
}

/**
 * Lion, evolved sign momentum (Chen et al., "Symbolic Discovery of Optimization Algorithms",
 * NeurIPS 2023):
 *
 *     u = β1·m + (1 − β1)·g
 *     θ ← θ·(1 − lr·wd);   θ ← θ − lr·sign(u)
 *     m ← β2·m + (1 − β2)·g
 *
 * A sign method in the paper's sense: every coordinate moves by exactly lr. Defaults: lr 1e-4,
 * betas [0.9, 0.99], weightDecay 0.
 *
 * @example
 * const opt = new Lion([{ param, grad }], { lr: 1e-4, weightDecay: 0.1 })
 */
/** The lion kernel's scalars for one step. */
interface LionScalars {
  b1: number
  omb1: number
  b2: number
  omb2: number
  lr: number
  decay: number
}

export class Lion extends Optimizer<LionOptions, LionScalars> {
  static readonly defaults: LionOptions = { lr: 1e-4, betas: [0.9, 0.99], weightDecay: 0 }

  constructor(params: Params<LionOptions>, options?: Partial<LionOptions & OptimizerOptions>) {
    super('Lion', params, Lion.defaults, options)
  }

  protected check(_o: LionOptions, c: Checker): void {
    c.nonNegative('lr')
    c.betas('betas')
    c.nonNegative('weightDecay')
  }

  protected buffers(): readonly string[] {
    return ['m']
  }

  protected scalars(o: LionOptions): LionScalars {
    const [b1, b2] = o.betas
    return { b1, omb1: 1 - b1, b2, omb2: 1 - b2, lr: o.lr, decay: 1 - o.lr * o.weightDecay }
  }

  protected update(k: Kernels, s: Span, c: LionScalars): void {
    k.lion(s.p, s.g, s.state.m, s.n, c.b1, c.omb1, c.b2, c.omb2, c.lr, c.decay)
  }
}
