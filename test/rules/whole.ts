// The reference rules of Schedule-Free AdamW and Muon, with their test settings (test/rule.ts says
// what each part is; docs/algorithms.md states the rules).
import type { OptimizerName } from '../../src/index.js'
import {
  adam,
  combos,
  decay,
  flushes,
  lanes,
  lr01,
  type OptimizerRule,
  type Options,
  type Round,
  sumsq,
  type Vec,
} from '../rule.js'

export const WHOLE = {
  ScheduleFreeAdamW: {
    paths: combos([lr01], [{}, { maximize: true }], decay, [{}, { warmupSteps: 10, rPower: 0.5, weightLrPower: 1 }]),
    converges: [{ quadratic: { lr: 0.05 }, rosenbrock: { lr: 0.02 } }],
    state: () => ['z', 'v'],
    step(o, t, r) {
      const { splat, add, sub, mul, div, sqrt, ema, square } = lanes(r, flushes(o))
      const [b1, b2] = o.betas
      const { lr, c } = scheduleFree(o, t)
      const B2 = splat(b2),
        OMB2 = splat(1 - b2),
        EPS = splat(o.eps),
        WD = splat(o.weightDecay),
        C = splat(c)
      const CY = splat(lr * (b1 * (1 - c) - 1)),
        LR = splat(lr)
      return (p, g, s, i) => {
        let yi = p[i]
        let gi = g[i]
        if (o.maximize) gi = -gi
        const zi = t === 1 ? yi : s.z[i]
        const vi = ema(s.v[i], square(gi), B2, OMB2)
        s.v[i] = vi
        let u = div(gi, add(sqrt(vi), EPS))
        if (WD !== 0) u = add(u, mul(WD, yi))
        yi = add(yi, mul(C, sub(zi, yi)))
        p[i] = add(yi, mul(CY, u))
        s.z[i] = sub(zi, mul(LR, u))
      }
    },
  },
  Muon: {
    // As 1 × n matrices in the element-wise suites: Newton–Schulz then normalises the momentum.
    shape: (n) => [1, n],
    paths: combos(
      [{ lr: 0.02 }],
      [{}, { nesterov: false }],
      [{}, { weightDecay: 0 }],
      [{}, { adjustLr: 'matchRmsAdamw', nsSteps: 3 }],
    ).concat([{ lr: 0.02, mode: 'adamw', adamwBetas: [0.8, 0.99] }]),
    // Every step has length lr·√max(1, rows/cols) whatever the gradient: it settles within about lr.
    converges: [{ quadratic: { lr: 0.05, weightDecay: 0 }, rosenbrock: { lr: 3e-3, weightDecay: 0 } }],
    state: (o) => (o.mode === 'adamw' ? ['m', 'v'] : ['b']),
    step() {
      throw new Error('Muon steps whole parameters: see whole()')
    },
    whole(o, t, r, shape, p, g, s) {
      if (o.mode === 'adamw') {
        // AdamW's rule, with this group's lr and weight decay and AdamW's betas and ε.
        const update = adam(true).step(
          { ...o, betas: o.adamwBetas, eps: o.adamwEps, amsgrad: false, maximize: false },
          t,
          r,
        )
        for (let i = 0; i < p.length; i++) update(p, g, s, i)
        return
      }
      const rows = shape[0]
      const cols = shape.slice(1).reduce((a, b) => a * b, 1)
      const n = rows * cols
      const wide = rows <= cols
      const m = wide ? rows : cols
      const w = wide ? cols : rows
      const MU = r(o.momentum)
      const u = new Float64Array(n)
      for (let i = 0; i < n; i++) {
        s.b[i] = r(r(MU * s.b[i]) + g[i])
        u[i] = o.nesterov ? r(g[i] + r(MU * s.b[i])) : s.b[i]
      }
      // X (m × w): u, or its transpose.
      let x = new Float64Array(n)
      for (let i = 0; i < rows; i++)
        for (let j = 0; j < cols; j++) x[wide ? i * cols + j : j * rows + i] = u[i * cols + j]
      const scale = r(1 / (Math.sqrt(sumsq(x)) + o.eps))
      x = x.map((v) => r(scale * v))
      const [A, B, C] = o.nsCoefficients.map(r)
      /** out (rows × cols) = L (rows × k) · R (k × cols), each sum from 0 in k order, rounded by r. */
      const product = (L: Float64Array, R: Float64Array, rs: number, k: number, cs: number) => {
        const out = new Float64Array(rs * cs)
        for (let i = 0; i < rs; i++) {
          for (let j = 0; j < cs; j++) {
            let acc = 0
            for (let q = 0; q < k; q++) acc = r(acc + r(L[i * k + q] * R[q * cs + j]))
            out[i * cs + j] = acc
          }
        }
        return out
      }
      for (let step = 0; step < o.nsSteps; step++) {
        const xt = new Float64Array(n)
        for (let i = 0; i < m; i++) for (let j = 0; j < w; j++) xt[j * m + i] = x[i * w + j]
        const a = product(x, xt, m, w, m)
        const a2 = product(a, a, m, m, m)
        const M = a.map((v, i) => r(r(B * v) + r(C * a2[i])))
        const P = product(M, x, m, m, w)
        x = x.map((v, i) => r(r(A * v) + P[i]))
      }
      const decay = r(1 - o.lr * o.weightDecay)
      const lr = r(
        o.adjustLr === 'original'
          ? o.lr * Math.sqrt(Math.max(1, rows / cols))
          : 0.2 * o.lr * Math.sqrt(Math.max(rows, cols)),
      )
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < cols; j++) {
          const at = i * cols + j
          const pi = decay !== 1 ? r(decay * p[at]) : p[at]
          p[at] = r(pi - r(lr * x[wide ? at : j * rows + i]))
        }
      }
    },
  },
} satisfies Partial<Record<OptimizerName, OptimizerRule>>

/**
 * Schedule-Free's learning rate lrₜ and average coefficient cₜ at step t, for options that stayed
 * the same over steps 1..t: the running maximum and weight sum recomputed in the same order.
 */
export function scheduleFree(o: Options, t: number): { lr: number; c: number } {
  let lrMax = -1
  let weightSum = 0
  let lr = 0
  let weight = 0
  for (let k = 1; k <= t; k++) {
    lr = o.lr * (k - 1 < o.warmupSteps ? k / o.warmupSteps : 1) * Math.sqrt(1 - o.betas[1] ** k)
    lrMax = Math.max(lr, lrMax)
    weight = k ** o.rPower * lrMax ** o.weightLrPower
    weightSum += weight
  }
  return { lr, c: weightSum > 0 ? weight / weightSum : 0 }
}

/** Schedule-Free's switch between y and x: p ← p + w·(z − p), w = 1 − 1/β1 for eval(), 1 − β1 for train(). */
export function lerpReference(p: Vec, z: Vec, w: number, r: Round): void {
  const W = r(w)
  for (let i = 0; i < p.length; i++) p[i] = r(p[i] + r(W * r(z[i] - p[i])))
}
