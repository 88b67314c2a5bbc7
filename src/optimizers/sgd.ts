import { Optimizer, type OptimizerOptions, type Params, type Span } from '../optimizer.js'
import type { Kernels } from '../runtime.js'
import type { Checker } from '../validate.js'

export interface SGDOptions {
  /** Learning rate, ≥ 0. Default 1e-3. */
  lr: number
  /** Heavy-ball momentum μ in [0, 1). Default 0 (plain SGD). */
  momentum: number
  /** Dampening of the gradient's share of the momentum buffer, in [0, 1]. Default 0. */
  dampening: number
  /** Nesterov momentum (needs momentum > 0 and dampening 0). Default false. */
  nesterov: boolean
  /** Coupled (L2) weight decay, ≥ 0: g ← g + wd·θ. Default 0. */
  weightDecay: number
  /** Ascend instead of descend: g ← −g. Default false. */
  maximize: boolean
}

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
 * lr/(1 − μ), bias correction aside.
 *
 * @example
 * const opt = new SGD([{ param, grad }], { lr: 0.01, momentum: 0.9, nesterov: true })
 */
/** The sgd kernel's scalars for one step. */
interface SGDScalars {
  lr: number
  wd: number
  mu: number
  damp1: number
  maximize: boolean
  first: boolean
  nesterov: boolean
}

export class SGD extends Optimizer<SGDOptions, SGDScalars> {
  static readonly defaults: SGDOptions = {
    lr: 1e-3,
    momentum: 0,
    dampening: 0,
    nesterov: false,
    weightDecay: 0,
    maximize: false,
  }

  constructor(params: Params<SGDOptions>, options?: Partial<SGDOptions & OptimizerOptions>) {
    super('SGD', params, SGD.defaults, options)
  }

  protected check(o: SGDOptions, c: Checker): void {
    c.nonNegative('lr')
    c.unit('momentum')
    c.range('dampening', 0, 1, true)
    c.nonNegative('weightDecay')
    c.flag('maximize')
    if (c.flag('nesterov') && (o.momentum <= 0 || o.dampening !== 0)) {
      c.fail(`nesterov needs momentum > 0 and dampening = 0, got momentum ${o.momentum} and dampening ${o.dampening}`)
    }
  }

  protected buffers(o: SGDOptions): readonly string[] {
    return o.momentum > 0 ? ['b'] : []
  }

  protected scalars(o: SGDOptions, t: number): SGDScalars {
    const { lr, weightDecay: wd, momentum: mu, maximize, nesterov } = o
    return { lr, wd, mu, damp1: 1 - o.dampening, maximize, first: t === 1, nesterov }
  }

  protected update(k: Kernels, s: Span, c: SGDScalars): void {
    k.sgd(s.p, s.g, s.state.b ?? 0, s.n, c.lr, c.wd, c.mu, c.damp1, c.maximize, c.first, c.nesterov)
  }
}
