// What opt.stats() reports: Balles & Hennig's lens on a live run. The numbers come from one
// read-only wasm pass over θ, g and the state (assembly/stats.ts), run only when asked.

import { checkKeys } from './params.js'
import { describe } from './validate.js'

/**
 * Which quantities an optimizer's state allows, and the step's scalars the pass needs. A class
 * whose number fields start as float64 (NaN), so that every instance has the same map whether
 * its values are integers or not: as plain objects, Adam's and the family's had different maps,
 * and stats(), reading both, was deoptimised (and ran 2 µs slower for a while) when the kind of
 * optimizer changed.
 */
export class StatsScalars {
  /** 0 norms only, 1 M-SGD, 2 M-SSD, 3 SVAG, 4 M-SVAG, 5 Adam (assembly/stats.ts). */
  mode = 0
  /** 1/(1 − β1ᵗ): m̂ = m·ic1 */
  ic1 = NaN
  /** 1/(1 − β2ᵗ): v̂ = v·ic2 */
  ic2 = NaN
  /** ŝ = k1·(v̂ − m̂²): 1/(1 − ρ) for the paper's family, 1 for Adam */
  k1 = NaN
  /** SVAG 1/(1 − ρ), M-SVAG ρ/(1 − ρ) */
  kappa = NaN
  /** the step size in front of the update direction */
  lr = NaN
  /** Adam: 1/√(1 − β2ᵗ), so that √v̂ = √v·rc2 */
  rc2 = NaN
  /** Adam's ε */
  eps = NaN

  constructor(v: {
    mode: number
    ic1: number
    ic2: number
    k1: number
    kappa: number
    lr: number
    rc2?: number
    eps?: number
  }) {
    this.mode = v.mode
    this.ic1 = v.ic1
    this.ic2 = v.ic2
    this.k1 = v.k1
    this.kappa = v.kappa
    this.lr = v.lr
    this.rc2 = v.rc2 ?? 0
    this.eps = v.eps ?? 0
  }
}

export const NORMS_ONLY = new StatsScalars({ mode: 0, ic1: 0, ic2: 0, k1: 0, kappa: 0, lr: 0 })

/** Accumulator layout (assembly/stats.ts). */
export const SLOTS = 20
const G2 = 0,
  P2 = 1,
  SIGNS = 2,
  AGREE = 3,
  SAMPLED = 4,
  U2 = 5,
  VALID = 6,
  GAMMA = 7,
  PSIGN = 8,
  GAMMA_HIST = 9,
  ETA_HIST = 14

export const MAX_SAMPLE_EVERY = 1024

/**
 * The quantities that need divisions or a moving average (sign agreement, the update norm, γ, η̂²,
 * P) are measured on every `every`-th group of four elements of each parameter, starting with its
 * first four: a power of two, so that the pattern lines up across the 8192-element chunks the pass
 * runs in. Per sampled element they cost about twenty times what the norms cost, and on large
 * parameters the scattered reads of m and v wait on memory, so by default a group of N elements is
 * sampled at one element in 32 below N = 2¹⁹, and from there at the stride that keeps 8192 to
 * 16383 elements (64 at a million; at most 1024): the pass then costs less than a step
 * (bench/RESULTS.md).
 */
export function sampleEvery(n: number): number {
  let every = 32
  while (every < MAX_SAMPLE_EVERY && n / (2 * every) >= 8192) every *= 2
  return every
}

/** What opt.stats() takes. */
export interface StatsOptions {
  /**
   * Measure the sampled quantities on every n-th group of four elements: a power of two from 1
   * (every element) to 1024. Default: per group, {@link sampleEvery} of its element count.
   */
  sampleEvery?: number
}

/** The checked stride of the sample, undefined for the default; throws a TypeError or RangeError naming the option. */
export function checkStatsOptions(where: string, options: StatsOptions | undefined): number | undefined {
  if (options === undefined) return undefined
  checkKeys(`${where}: options`, options, { sampleEvery: 0 })
  const every = options.sampleEvery
  if (every === undefined) return undefined
  const wanted = `a power of two in [1, ${MAX_SAMPLE_EVERY}]`
  if (typeof every !== 'number') throw new TypeError(`${where}: sampleEvery must be ${wanted}, got ${describe(every)}`)
  if (!(Number.isInteger(every) && every >= 1 && every <= MAX_SAMPLE_EVERY && (every & (every - 1)) === 0)) {
    throw new RangeError(`${where}: sampleEvery must be ${wanted}, got ${every}`)
  }
  return every
}

/** Edges of the γ histogram's bins: [0, .2), [.2, .4), [.4, .6), [.6, .8), [.8, 1]. */
export const GAMMA_EDGES = [0, 0.2, 0.4, 0.6, 0.8, 1]
/** Edges of the η̂² histogram's bins (log scale): below 1e-2, [1e-2, 1e-1), …, 100 and above. */
export const ETA2_EDGES = [0, 1e-2, 1e-1, 1, 10, 100, Infinity]

/** Diagnostics of one parameter group, or of all together. */
export interface GroupStats {
  /** Number of coordinates. */
  elements: number
  /** How many of them the sampled quantities (sign agreement, update norm, γ, η̂², P) were measured on. */
  sampled: number
  /** ‖g‖ over the group's gradients. */
  gradNorm: number
  /** ‖θ‖ over the group's parameters. */
  paramNorm: number
  /**
   * ‖u‖ of the update the method takes from the current state (without weight decay): the last
   * step's update when stats() is called after step() and before the gradients change. Estimated
   * from the sample, √(Σu² · elements / sampled); exact with sampleEvery 1. Null for optimizers
   * without a moving average.
   */
  updateNorm: number | null
  /** Fraction of sampled coordinates with g ≠ 0 and m ≠ 0 where sign(g) = sign(m). Null without m. */
  signAgreement: number | null
  /**
   * Mean and histogram (fractions, bins GAMMA_EDGES) of the variance-adaptation factor γ over
   * coordinates with m̂ ≠ 0: the method's own (SVAG, M-SVAG; Adam's |m̂|/√v̂), or for M-SGD and
   * M-SSD with trackVariance the one M-SVAG would apply. Null without v.
   */
  gamma: { mean: number; histogram: number[] } | null
  /** Histogram (fractions, bins ETA2_EDGES) of the estimated relative variance η̂² = ŝ/m̂² over coordinates with m̂ ≠ 0. Null without v. */
  eta2: { histogram: number[] } | null
  /** Mean estimated probability that sign(g) is right, ½(1 + erf(1/√(2η̂²))), over coordinates with m̂ ≠ 0. Null without v. */
  signProbability: number | null
}

export interface OptimizerStats {
  groups: GroupStats[]
  total: GroupStats
}

/** Turns accumulated sums (one group's, or all groups' added) into the reported numbers. */
export function summarise(acc: Float64Array, elements: number, mode: number, variance: boolean): GroupStats {
  const valid = acc[VALID]
  const moving = mode > 0
  return {
    elements,
    sampled: acc[SAMPLED],
    gradNorm: Math.sqrt(acc[G2]),
    paramNorm: Math.sqrt(acc[P2]),
    updateNorm: moving ? Math.sqrt((acc[U2] * elements) / acc[SAMPLED]) : null,
    signAgreement: moving ? (acc[SIGNS] > 0 ? acc[AGREE] / acc[SIGNS] : NaN) : null,
    gamma: variance
      ? { mean: valid > 0 ? acc[GAMMA] / valid : NaN, histogram: fractions(acc, GAMMA_HIST, 5, valid) }
      : null,
    eta2: variance ? { histogram: fractions(acc, ETA_HIST, 6, valid) } : null,
    signProbability: variance ? (valid > 0 ? acc[PSIGN] / valid : NaN) : null,
  }
}

function fractions(acc: Float64Array, from: number, bins: number, of: number): number[] {
  const out = new Array<number>(bins)
  for (let i = 0; i < bins; i++) out[i] = of > 0 ? acc[from + i] / of : NaN
  return out
}
