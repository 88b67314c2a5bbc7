// The reference: every optimizer's rule, element by element, written from docs/algorithms.md (not
// from src/) with the same helper names as the kernels' lane maths (assembly/lanes.ts) and in the
// same operation order. Built with r = Math.fround every operation rounds to float32, exactly as
// wasm f32 arithmetic does, so the kernels must match it bit for bit; with r = identity it is a
// float64 reference, for comparisons within a tolerance.
import type { OptimizerName } from '../src/index.js'

export type Round = (x: number) => number
export const f32: Round = Math.fround
export const f64: Round = (x) => x

export type Vec = Float32Array | Float64Array
export type State = Record<string, Vec>
// biome-ignore lint/suspicious/noExplicitAny: options of any optimizer, read by name
export type Options = Record<string, any>

/** One optimizer's rule. */
export interface Rule {
  /** The state buffers it keeps under options o, by the names the library gives them. */
  state(o: Options): string[]
  /** The value a state buffer starts at (0 unless said). */
  initial?(o: Options, buffer: string): number
  /** One step at step count t (t = 1 first): computes what depends on t alone, returns the update of element i. */
  step(o: Options, t: number, r: Round): (p: Vec, g: Vec, s: State, i: number) => void
  /** For a method that steps each parameter whole (Muon), one step of a parameter of this shape, in place of `step`. */
  whole?(o: Options, t: number, r: Round, shape: readonly number[], p: Vec, g: Vec, s: State): void
}

/** The smallest normal float32, 2⁻¹²⁶: below it a value is subnormal. */
const FLT_MIN = 2 ** -126
/** Every how many steps of a parameter its state is flushed (docs/algorithms.md §4). */
export const FLUSH_EVERY = 16

/** Whether options `o` flush subnormals: the default, unless subnormals: 'keep'. */
const flushes = (o: Options) => o.subnormals !== 'keep'

/** ±0 (x's sign) where x is subnormal, x itself otherwise (NaN and ±Infinity included). */
export const ftz = (x: number) => (Math.abs(x) < FLT_MIN ? (x < 0 || Object.is(x, -0) ? -0 : 0) : x)

/** The kernels' lane helpers, each operation rounded by r; square flushes where `flush`. */
function lanes(r: Round, flush: boolean) {
  return {
    /** x·x, flushed to zero where subnormal if flushing. */
    square: (x: number) => (flush ? ftz(r(x * x)) : r(x * x)),
    /** A scalar as the kernel receives it: rounded to its type. */
    splat: r,
    add: (a: number, b: number) => r(a + b),
    sub: (a: number, b: number) => r(a - b),
    mul: (a: number, b: number) => r(a * b),
    div: (a: number, b: number) => r(a / b),
    sqrt: (x: number) => r(Math.sqrt(x)),
    neg: (x: number) => -x,
    /** NaN if either is NaN; max(−0, +0) = +0, as wasm's f32.max. */
    max: (a: number, b: number) => Math.max(a, b),
    abs: Math.abs,
    /** β·a + (1 − β)·x */
    ema: (a: number, x: number, beta: number, omb: number) => r(r(beta * a) + r(omb * x)),
  }
}

/** ±1, and x itself where x is ±0 or NaN. */
export const sign = (x: number) => (Math.abs(x) > 0 ? (x > 0 ? 1 : -1) : x)
/** min(max(x, 0), 1), NaN → 0: (0 < x ? x : 0), then (y < 1 ? y : 1), as the kernels' pmax/pmin. */
export const clamp01 = (x: number) => {
  // biome-ignore lint/complexity/useMathMinMax: Math.max would keep NaN; the kernels' pmax/pmin map it to 0
  const y = x > 0 ? x : 0
  // biome-ignore lint/complexity/useMathMinMax: the same order of comparisons as the kernels
  return y < 1 ? y : 1
}

/** ρ(β, t) of the paper's family, capped at 0.9999. */
const rho = (beta: number, t: number) => {
  const bt = beta ** t
  return Math.min(((1 - beta) * (1 + bt)) / ((1 + beta) * (1 - bt)), 0.9999)
}

/** θ ← (1 − lr·wd)·θ if that factor is not 1 (decoupled weight decay). */
const decayOf = (o: Options, r: Round) => r(1 - o.lr * o.weightDecay)

/** M-SGD (sign = false) and M-SSD (sign = true): EMA momentum, v kept for the diagnostics on request. */
function momentum(signed: boolean): Rule {
  return {
    state: (o) => (o.trackVariance ? ['m', 'v'] : ['m']),
    step(o, t, r) {
      const { splat, mul, sub, ema, square } = lanes(r, flushes(o))
      const BETA = splat(o.beta),
        OMB = splat(1 - o.beta),
        DECAY = decayOf(o, r)
      const STEP = splat(signed ? o.lr : o.lr / (1 - o.beta ** t))
      return (p, g, s, i) => {
        const pi = DECAY !== 1 ? mul(DECAY, p[i]) : p[i]
        const mi = ema(s.m[i], g[i], BETA, OMB)
        s.m[i] = mi
        if (o.trackVariance) s.v[i] = ema(s.v[i], square(g[i]), BETA, OMB)
        p[i] = sub(pi, mul(STEP, signed ? sign(mi) : mi))
      }
    },
  }
}

/** SVAG (momentum = false, steps along g) and M-SVAG (steps along m̂). */
function variance(withMomentum: boolean): Rule {
  return {
    state: () => ['m', 'v'],
    step(o, t, r) {
      const { splat, add, sub, mul, div, ema, square } = lanes(r, flushes(o))
      const BETA = splat(o.beta),
        OMB = splat(1 - o.beta),
        LR = splat(o.lr),
        DECAY = decayOf(o, r)
      const rh = rho(o.beta, t)
      const IC = splat(1 / (1 - o.beta ** t)),
        KAPPA = splat(withMomentum ? rh / (1 - rh) : 1 / (1 - rh))
      return (p, g, s, i) => {
        const pi = DECAY !== 1 ? mul(DECAY, p[i]) : p[i]
        const gi = g[i]
        const mi = ema(s.m[i], gi, BETA, OMB)
        const vi = ema(s.v[i], square(gi), BETA, OMB)
        s.m[i] = mi
        s.v[i] = vi
        const mh = mul(mi, IC)
        const mh2 = square(mh)
        const gamma = clamp01(div(mh2, add(mh2, mul(KAPPA, sub(mul(vi, IC), mh2)))))
        p[i] = sub(pi, mul(LR, mul(gamma, withMomentum ? mh : gi)))
      }
    },
  }
}

/** Adam (decoupled = false: coupled L2 weight decay) and AdamW (decoupled weight decay). */
function adam(decoupled: boolean): Rule {
  return {
    state: (o) => (o.amsgrad ? ['m', 'v', 'vmax'] : ['m', 'v']),
    step(o, t, r) {
      const { splat, add, sub, mul, div, sqrt, neg, max, ema, square } = lanes(r, flushes(o))
      const [b1, b2] = o.betas
      const B1 = splat(b1),
        OMB1 = splat(1 - b1),
        B2 = splat(b2),
        OMB2 = splat(1 - b2),
        EPS = splat(o.eps)
      const LRC1 = splat(o.lr / (1 - b1 ** t)),
        RC2 = splat(1 / Math.sqrt(1 - b2 ** t))
      const WD = decoupled ? 0 : splat(o.weightDecay),
        DECAY = decoupled ? decayOf(o, r) : 1
      return (p, g, s, i) => {
        let pi = p[i]
        let gi = g[i]
        if (o.maximize) gi = neg(gi)
        if (WD !== 0) gi = add(gi, mul(WD, pi))
        if (DECAY !== 1) pi = mul(DECAY, pi)
        const mi = ema(s.m[i], gi, B1, OMB1)
        let vi = ema(s.v[i], square(gi), B2, OMB2)
        s.m[i] = mi
        s.v[i] = vi
        if (o.amsgrad) {
          vi = max(s.vmax[i], vi)
          s.vmax[i] = vi
        }
        p[i] = sub(pi, mul(LRC1, div(mi, add(mul(sqrt(vi), RC2), EPS))))
      }
    },
  }
}

/** Every optimizer's rule, by the library's name (docs/algorithms.md has them in prose). */
export const RULES: Record<OptimizerName, Rule> = {
  SGD: {
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
  MSGD: momentum(false),
  SSD: {
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
  MSSD: momentum(true),
  SVAG: variance(false),
  MSVAG: variance(true),
  Adam: adam(false),
  AdamW: adam(true),
  Lion: {
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
  RMSprop: {
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
  ScheduleFreeAdamW: {
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
    state: () => ['b'],
    step() {
      throw new Error('Muon steps whole parameters: see whole()')
    },
    whole(o, _t, r, shape, p, g, s) {
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
}

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

/** Fresh state for n elements, each buffer at its initial value. */
export function initState(name: OptimizerName, o: Options, n: number, make: (n: number) => Vec): State {
  const rule = RULES[name]
  const s: State = {}
  for (const k of rule.state(o)) s[k] = make(n).fill(rule.initial?.(o, k) ?? 0)
  return s
}

/**
 * Σ x² as the kernels take it: in float64, chunks of 8192 elements in order, each chunk's four
 * running sums (element i to sum i mod 4) combined as (s0 + s1) + (s2 + s3), then its tail.
 */
export function sumsq(x: ArrayLike<number>): number {
  let sum = 0
  for (let off = 0; off < x.length; off += 8192) {
    const end = Math.min(off + 8192, x.length)
    const body = off + ((end - off) & ~3)
    const s = [0, 0, 0, 0]
    for (let i = off; i < body; i++) s[(i - off) & 3] += x[i] * x[i]
    let chunk = s[0] + s[1] + (s[2] + s[3])
    for (let i = body; i < end; i++) chunk += x[i] * x[i]
    sum += chunk
  }
  return sum
}

/**
 * One step of optimizer `name` with full options `o` at step count t over all elements (a
 * method that steps whole parameters gets `shape`, by default [1, length]); when flushing
 * subnormals, every FLUSH_EVERY-th step ends by flushing every state buffer.
 */
export function referenceStep(
  name: OptimizerName,
  o: Options,
  p: Vec,
  g: Vec,
  s: State,
  t: number,
  r: Round,
  shape: readonly number[] = [1, p.length],
): void {
  const rule = RULES[name]
  if (rule.whole) rule.whole(o, t, r, shape, p, g, s)
  else {
    const update = rule.step(o, t, r)
    for (let i = 0; i < p.length; i++) update(p, g, s, i)
  }
  if (flushes(o) && t % FLUSH_EVERY === 0) for (const b of Object.values(s)) b.set(b.map(ftz))
}
