// The reference rules of SGD, the paper's family, Adam, AdamW and Lion, with their test settings
// (test/rule.ts says what each part is; docs/algorithms.md states the rules).
import type { OptimizerName } from '../../src/index.js'
import {
  adam,
  combos,
  decay,
  decayOf,
  family,
  flushes,
  lanes,
  lr01,
  momentum,
  type OptimizerRule,
  sign,
  variance,
} from '../rule.js'

export const BASIC = {
  SGD: {
    fix: (o) =>
      o.nesterov && (o.momentum === 0 || o.dampening !== 0)
        ? { ...o, dampening: 0, momentum: (o.momentum as number) || 0.5 }
        : o,
    paths: combos([lr01], [{}, { maximize: true }], decay, [
      {},
      { momentum: 0.9 },
      { momentum: 0.9, dampening: 0.3 },
      { momentum: 0.9, nesterov: true },
    ]),
    converges: [
      { quadratic: { lr: 0.05 }, rosenbrock: { lr: 1e-3 } },
      { quadratic: { lr: 0.02, momentum: 0.9, nesterov: true }, rosenbrock: { lr: 2e-4, momentum: 0.9 } },
    ],
    state: (o) => (o.momentum > 0 ? ['b'] : []),
    step(o, t, r) {
      const { splat, add, sub, mul, neg, ema } = lanes(r, flushes(o))
      const LR = splat(o.lr),
        WD = splat(o.weightDecay),
        MU = splat(o.momentum),
        DAMP1 = splat(1 - o.dampening)
      return (p, g, s, i) => {
        const pi = p[i]
        let gi = g[i]
        if (o.maximize) gi = neg(gi)
        if (WD !== 0) gi = add(gi, mul(WD, pi))
        if (MU !== 0) {
          const bi = t === 1 ? gi : ema(s.b[i], gi, MU, DAMP1)
          s.b[i] = bi
          gi = o.nesterov ? add(gi, mul(MU, bi)) : bi
        }
        p[i] = sub(pi, mul(LR, gi))
      }
    },
  },
  MSGD: {
    ...momentum(false),
    ...family([{}, { trackVariance: true }]),
    converges: [{ quadratic: { lr: 0.1 }, rosenbrock: { lr: 2e-3 } }],
  },
  SSD: {
    paths: combos([lr01], decay),
    converges: [{ quadratic: { lr: 0.01 }, rosenbrock: { lr: 1e-3 } }],
    state: () => [],
    step(o, _t, r) {
      const { splat, sub, mul } = lanes(r, flushes(o))
      const LR = splat(o.lr),
        DECAY = decayOf(o, r)
      return (p, g, _s, i) => {
        const pi = DECAY !== 1 ? mul(DECAY, p[i]) : p[i]
        p[i] = sub(pi, mul(LR, sign(g[i])))
      }
    },
  },
  MSSD: {
    ...momentum(true),
    ...family([{}, { trackVariance: true }]),
    converges: [{ quadratic: { lr: 0.01 }, rosenbrock: { lr: 1e-3 } }],
  },
  SVAG: {
    ...variance(false),
    ...family(),
    converges: [{ quadratic: { lr: 0.1 }, rosenbrock: { lr: 2e-3 } }],
    float64Tolerance: 3e-3,
  },
  MSVAG: {
    ...variance(true),
    ...family(),
    converges: [{ quadratic: { lr: 0.1 }, rosenbrock: { lr: 2e-3 } }],
    float64Tolerance: 3e-3,
  },
  Adam: {
    ...adam(false),
    paths: combos([lr01], [{}, { maximize: true }], decay, [{}, { amsgrad: true }]),
    converges: [{ quadratic: { lr: 0.05 }, rosenbrock: { lr: 0.02 } }],
  },
  AdamW: {
    ...adam(true),
    paths: combos(
      [lr01],
      [{}, { maximize: true }],
      [{ weightDecay: 0 }, { weightDecay: 0.05 }],
      [{}, { amsgrad: true }],
    ),
    converges: [{ quadratic: { lr: 0.05, weightDecay: 1e-4 }, rosenbrock: { lr: 0.02, weightDecay: 0 } }],
  },
  Lion: {
    paths: combos([lr01], [{}, { weightDecay: 0.1 }]),
    converges: [{ quadratic: { lr: 0.01 }, rosenbrock: { lr: 2e-3 } }],
    state: () => ['m'],
    step(o, _t, r) {
      const { splat, sub, mul, ema } = lanes(r, flushes(o))
      const [b1, b2] = o.betas
      const B1 = splat(b1),
        OMB1 = splat(1 - b1),
        B2 = splat(b2),
        OMB2 = splat(1 - b2),
        LR = splat(o.lr),
        DECAY = decayOf(o, r)
      return (p, g, s, i) => {
        const pi = DECAY !== 1 ? mul(DECAY, p[i]) : p[i]
        const gi = g[i],
          mi = s.m[i]
        p[i] = sub(pi, mul(LR, sign(ema(mi, gi, B1, OMB1))))
        s.m[i] = ema(mi, gi, B2, OMB2)
      }
    },
  },
} satisfies Partial<Record<OptimizerName, OptimizerRule>>
