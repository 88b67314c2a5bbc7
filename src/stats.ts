// What opt.stats() reports: Balles & Hennig's lens on a live run. The numbers come from one
// read-only wasm pass over θ, g and the state (assembly/stats.ts), run only when asked.

/** Which quantities an optimizer's state allows, and the step's scalars the pass needs. */
export interface StatsScalars {
  /** 0 norms only, 1 M-SGD, 2 M-SSD, 3 SVAG, 4 M-SVAG, 5 Adam (assembly/stats.ts). */
  mode: number
  /** 1/(1 − β1ᵗ): m̂ = m·ic1 */
  ic1: number
  /** 1/(1 − β2ᵗ): v̂ = v·ic2 */
  ic2: number
  /** ŝ = k1·(v̂ − m̂²): 1/(1 − ρ) for the paper's family, 1 for Adam */
  k1: number
  /** SVAG 1/(1 − ρ), M-SVAG ρ/(1 − ρ) */
  kappa: number
  /** the step size in front of the update direction */
  lr: number
  rc2: number
  eps: number
}

export const NORMS_ONLY: StatsScalars = { mode: 0, ic1: 0, ic2: 0, k1: 0, kappa: 0, lr: 0, rc2: 0, eps: 0 }

/** Accumulator layout (assembly/stats.ts). */
export const SLOTS = 20
const G2 = 0, P2 = 1, SIGNS = 2, AGREE = 3, SAMPLED = 4, U2 = 5, VALID = 6, GAMMA = 7, PSIGN = 8, GAMMA_HIST = 9, ETA_HIST = 14

/**
 * The quantities that need divisions (γ, η̂², P, the update norm) are measured on every
 * `sampleEvery(n)`-th group of four elements of an n-element parameter: a power of two (so the
 * pattern lines up across the 8192-element chunks), at most 64, and small enough that at least
 * 256 groups (1024 elements) are measured. Parameters under 2048 elements are measured in full.
 */
export function sampleEvery(n: number): number {
  let every = 1
  while (every < 64 && n / 4 / (2 * every) >= 256) every *= 2
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
  /** How many of them the sampled quantities (γ, η̂², P, update norm) were measured on. */
  sampled: number
  /** ‖g‖ over the group's gradients. */
  gradNorm: number
  /** ‖θ‖ over the group's parameters. */
  paramNorm: number
  /**
   * ‖u‖ of the update the method takes from the current state (without weight decay): the last
   * step's update when stats() is called after step() and before the gradients change. Null for
   * optimizers without a moving average.
   */
  updateNorm: number | null
  /** Fraction of coordinates with g ≠ 0 and m ≠ 0 where sign(g) = sign(m). Null without m. */
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
  const fractions = (from: number, bins: number) => Array.from(acc.subarray(from, from + bins), (c) => (valid > 0 ? c / valid : NaN))
  return {
    elements,
    sampled: acc[SAMPLED],
    gradNorm: Math.sqrt(acc[G2]),
    paramNorm: Math.sqrt(acc[P2]),
    updateNorm: mode > 0 ? Math.sqrt((acc[U2] * elements) / acc[SAMPLED]) : null,
    signAgreement: mode > 0 ? (acc[SIGNS] > 0 ? acc[AGREE] / acc[SIGNS] : NaN) : null,
    gamma: variance ? { mean: valid > 0 ? acc[GAMMA] / valid : NaN, histogram: fractions(GAMMA_HIST, 5) } : null,
    eta2: variance ? { histogram: fractions(ETA_HIST, 6) } : null,
    signProbability: variance ? (valid > 0 ? acc[PSIGN] / valid : NaN) : null,
  }
}
