// What a reference rule is and the lane maths it is written in (the same helper names as the
// kernels' assembly/lanes.ts, the same operation order), with what the suites need besides the
// rule to test an optimizer (its test settings). The rules themselves are in test/rules/.

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
export const FLT_MIN = 2 ** -126
/** Every how many steps of a parameter its state is flushed (docs/algorithms.md §4). */
export const FLUSH_EVERY = 16

/** Whether options `o` flush subnormals: the default, unless subnormals: 'keep'. */
export const flushes = (o: Options) => o.subnormals !== 'keep'

/** ±0 (x's sign) where x is subnormal, x itself otherwise (NaN and ±Infinity included). */
export const ftz = (x: number) => (Math.abs(x) < FLT_MIN ? (x < 0 || Object.is(x, -0) ? -0 : 0) : x)

/** The kernels' lane helpers, each operation rounded by r; square flushes where `flush`. */
export function lanes(r: Round, flush: boolean) {
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
export const rho = (beta: number, t: number) => {
  const bt = beta ** t
  return Math.min(((1 - beta) * (1 + bt)) / ((1 + beta) * (1 - bt)), 0.9999)
}

/** θ ← (1 − lr·wd)·θ if that factor is not 1 (decoupled weight decay). */
export const decayOf = (o: Options, r: Round) => r(1 - o.lr * o.weightDecay)

/** M-SGD (sign = false) and M-SSD (sign = true): EMA momentum, v kept for the diagnostics on request. */
export function momentum(signed: boolean): Rule {
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
export function variance(withMomentum: boolean): Rule {
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
export function adam(decoupled: boolean): Rule {
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

/** What the suites need, besides its rule, to test an optimizer. */
export interface TestSettings {
  /**
   * Option sets that together take every path through the kernel (each flag and each optional
   * term on and off). The exactness, float64 and checkpoint suites run every one.
   */
  paths: object[]
  /**
   * Makes options drawn from the class's options table (see ranges()) obey a rule that ties two
   * options together (SGD: nesterov needs momentum > 0 and dampening 0).
   */
  fix?: (o: Record<string, unknown>) => object
  /**
   * Options under which it makes progress on a noisy quadratic and on Rosenbrock (convergence
   * suite); `rosenbrock: null` where the method does not converge there at all (with the reason).
   */
  converges: { quadratic: object; rosenbrock: object | null }[]
  /** Float64 tolerance, relative to |θ| + path length, where 1e-5 is too tight (with the reason). */
  float64Tolerance?: number
  /**
   * For a method that needs shaped parameters (Muon: matrices), the shape the element-wise
   * suites give a parameter of n elements; test/muon.test.ts tests real matrices.
   */
  shape?: (n: number) => readonly number[]
}

/** Every combination of the choices on each axis. */
export function combos(...axes: object[][]): object[] {
  return axes.reduce<object[]>((acc, axis) => acc.flatMap((a) => axis.map((b) => ({ ...a, ...b }))), [{}])
}

export const lr01 = { lr: 0.01 }
export const decay = [{}, { weightDecay: 0.01 }]

/** The paper's family: β, decoupled weight decay; at t = 1 its 1/(1 − ρ) = 1e4 amplifies float32 rounding of v̂ − m̂². */
export const family = (extra: object[] = [{}]): Pick<TestSettings, 'paths'> => ({ paths: combos([lr01], decay, extra) })

/** An optimizer as the suites know it: its reference rule and its test settings. */
export type OptimizerRule = Rule & TestSettings
