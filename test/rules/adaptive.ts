// The reference rules of RMSprop, Adagrad, Adamax, Adadelta, NAdam and RAdam, with their test
// settings (test/rule.ts says what each part is; docs/algorithms.md states the rules).
import type { OptimizerName } from '../../src/index.js'
import { combos, decay, decayOf, flushes, lanes, lr01, type OptimizerRule } from '../rule.js'

export const ADAPTIVE = {
  RMSprop: {
    paths: combos([lr01], [{}, { centered: true }], [{}, { momentum: 0.9 }], decay, [{}, { maximize: true }]),
    converges: [{ quadratic: { lr: 0.01 }, rosenbrock: { lr: 2e-3 } }],
    state: (o) => ['v', ...(o.centered ? ['a'] : []), ...(o.momentum > 0 ? ['b'] : [])],
    step(o, _t, r) {
      const { splat, add, sub, mul, div, sqrt, ema, square } = lanes(r, flushes(o))
      const ALPHA = splat(o.alpha),
        OMA = splat(1 - o.alpha),
        EPS = splat(o.eps),
        LR = splat(o.lr)
      const MU = splat(o.momentum),
        WD = splat(o.weightDecay)
      return (p, g, s, i) => {
        const pi = p[i]
        let gi = g[i]
        if (o.maximize) gi = -gi
        if (WD !== 0) gi = add(gi, mul(WD, pi))
        const vi = ema(s.v[i], square(gi), ALPHA, OMA)
        s.v[i] = vi
        let d: number
        if (o.centered) {
          const ai = ema(s.a[i], gi, ALPHA, OMA)
          s.a[i] = ai
          d = add(sqrt(sub(vi, square(ai))), EPS)
        } else {
          d = add(sqrt(vi), EPS)
        }
        let u = div(gi, d)
        if (MU !== 0) {
          u = add(mul(MU, s.b[i]), u)
          s.b[i] = u
        }
        p[i] = sub(pi, mul(LR, u))
      }
    },
  },
  Adagrad: {
    paths: combos(
      [lr01],
      [{}, { weightDecay: 0.01 }, { lrDecay: 0.01, initialAccumulatorValue: 0.1 }],
      [{}, { maximize: true }],
    ),
    converges: [{ quadratic: { lr: 0.5 }, rosenbrock: { lr: 0.1 } }],
    state: () => ['s'],
    initial: (o) => o.initialAccumulatorValue,
    step(o, t, r) {
      const { splat, add, sub, mul, div, sqrt, square } = lanes(r, flushes(o))
      const CLR = splat(o.lr / (1 + (t - 1) * o.lrDecay)),
        EPS = splat(o.eps),
        WD = splat(o.weightDecay)
      return (p, g, s, i) => {
        const pi = p[i]
        let gi = g[i]
        if (o.maximize) gi = -gi
        if (WD !== 0) gi = add(gi, mul(WD, pi))
        const si = add(s.s[i], square(gi))
        s.s[i] = si
        p[i] = sub(pi, mul(CLR, div(gi, add(sqrt(si), EPS))))
      }
    },
  },
  Adamax: {
    paths: combos([lr01], [{}, { maximize: true }], decay),
    converges: [{ quadratic: { lr: 0.05 }, rosenbrock: { lr: 0.02 } }],
    state: () => ['m', 'u'],
    step(o, t, r) {
      const { splat, add, sub, mul, div, max, abs, ema } = lanes(r, flushes(o))
      const [b1, b2] = o.betas
      const B1 = splat(b1),
        OMB1 = splat(1 - b1),
        B2 = splat(b2),
        EPS = splat(o.eps),
        WD = splat(o.weightDecay)
      const CLR = splat(o.lr / (1 - b1 ** t))
      return (p, g, s, i) => {
        const pi = p[i]
        let gi = g[i]
        if (o.maximize) gi = -gi
        if (WD !== 0) gi = add(gi, mul(WD, pi))
        const mi = ema(s.m[i], gi, B1, OMB1)
        const ui = max(mul(B2, s.u[i]), add(abs(gi), EPS))
        s.m[i] = mi
        s.u[i] = ui
        p[i] = sub(pi, mul(CLR, div(mi, ui)))
      }
    },
  },
  Adadelta: {
    paths: combos([{ lr: 1 }], [{}, { maximize: true }], decay),
    // On Rosenbrock from (−1.5, 2) it diverges to 1e23 within 20,000 steps at every ρ and ε tried,
    // as PyTorch's does (checked with torch 1.13): no setting to test.
    converges: [{ quadratic: { lr: 1, eps: 1e-4 }, rosenbrock: null }],
    state: () => ['v', 'u'],
    step(o, _t, r) {
      const { splat, add, sub, mul, div, sqrt, ema, square } = lanes(r, flushes(o))
      const RHO = splat(o.rho),
        OMR = splat(1 - o.rho),
        EPS = splat(o.eps),
        LR = splat(o.lr),
        WD = splat(o.weightDecay)
      return (p, g, s, i) => {
        const pi = p[i]
        let gi = g[i]
        if (o.maximize) gi = -gi
        if (WD !== 0) gi = add(gi, mul(WD, pi))
        const vi = ema(s.v[i], square(gi), RHO, OMR)
        const delta = mul(div(sqrt(add(s.u[i], EPS)), sqrt(add(vi, EPS))), gi)
        s.v[i] = vi
        s.u[i] = ema(s.u[i], square(delta), RHO, OMR)
        p[i] = sub(pi, mul(LR, delta))
      }
    },
  },
  NAdam: {
    paths: combos(
      [lr01],
      [{}, { maximize: true }],
      [{}, { weightDecay: 0.01 }, { weightDecay: 0.01, decoupledWeightDecay: true }],
    ),
    converges: [{ quadratic: { lr: 0.05 }, rosenbrock: { lr: 0.02 } }],
    state: () => ['m', 'v'],
    step(o, t, r) {
      const { splat, add, sub, mul, div, sqrt, ema, square } = lanes(r, flushes(o))
      const [b1, b2] = o.betas
      const mu = (k: number) => b1 * (1 - 0.5 * 0.96 ** (k * o.momentumDecay))
      let product = 1
      for (let k = 1; k <= t; k++) product *= mu(k)
      const B1 = splat(b1),
        OMB1 = splat(1 - b1),
        B2 = splat(b2),
        OMB2 = splat(1 - b2),
        EPS = splat(o.eps)
      const CG = splat((o.lr * (1 - mu(t))) / (1 - product)),
        CM = splat((o.lr * mu(t + 1)) / (1 - product * mu(t + 1)))
      const RC2 = splat(1 / Math.sqrt(1 - b2 ** t))
      const WD = o.decoupledWeightDecay ? 0 : splat(o.weightDecay),
        DECAY = o.decoupledWeightDecay ? decayOf(o, r) : 1
      return (p, g, s, i) => {
        let pi = p[i]
        let gi = g[i]
        if (o.maximize) gi = -gi
        if (WD !== 0) gi = add(gi, mul(WD, pi))
        if (DECAY !== 1) pi = mul(DECAY, pi)
        const mi = ema(s.m[i], gi, B1, OMB1)
        const vi = ema(s.v[i], square(gi), B2, OMB2)
        s.m[i] = mi
        s.v[i] = vi
        const d = add(mul(sqrt(vi), RC2), EPS)
        p[i] = sub(pi, div(add(mul(CG, gi), mul(CM, mi)), d))
      }
    },
  },
  RAdam: {
    // β2 = 0.9 reaches ρₜ > 5 at t = 6: the 25 steps of the exactness suite take both kinds of step.
    paths: combos(
      [{ lr: 0.01, betas: [0.9, 0.9] }],
      [{}, { maximize: true }],
      [{}, { weightDecay: 0.01 }, { weightDecay: 0.01, decoupledWeightDecay: true }],
    ),
    converges: [{ quadratic: { lr: 0.05 }, rosenbrock: { lr: 0.01 } }],
    state: () => ['m', 'v'],
    step(o, t, r) {
      const { splat, add, sub, mul, div, sqrt, ema, square } = lanes(r, flushes(o))
      const [b1, b2] = o.betas
      const bc1 = 1 - b1 ** t,
        bc2 = 1 - b2 ** t
      const rhoInf = 2 / (1 - b2) - 1
      const rhoT = rhoInf - (2 * t * b2 ** t) / bc2
      const adaptive = rhoT > 5
      const rect = Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT))
      const B1 = splat(b1),
        OMB1 = splat(1 - b1),
        B2 = splat(b2),
        OMB2 = splat(1 - b2),
        EPS = splat(o.eps)
      const STEP = splat(adaptive ? (o.lr * rect * Math.sqrt(bc2)) / bc1 : o.lr / bc1)
      const WD = o.decoupledWeightDecay ? 0 : splat(o.weightDecay),
        DECAY = o.decoupledWeightDecay ? decayOf(o, r) : 1
      return (p, g, s, i) => {
        let pi = p[i]
        let gi = g[i]
        if (o.maximize) gi = -gi
        if (WD !== 0) gi = add(gi, mul(WD, pi))
        if (DECAY !== 1) pi = mul(DECAY, pi)
        const mi = ema(s.m[i], gi, B1, OMB1)
        const vi = ema(s.v[i], square(gi), B2, OMB2)
        s.m[i] = mi
        s.v[i] = vi
        p[i] = sub(pi, mul(STEP, adaptive ? div(mi, add(sqrt(vi), EPS)) : mi))
      }
    },
  },
} satisfies Partial<Record<OptimizerName, OptimizerRule>>
