// What opt.stats() reports: Balles & Hennig's lens on a live run. The numbers come from one
// read-only wasm pass over θ, g and the state (assembly/stats.ts), run only when asked.

import { BUFFER_KEYS, offsetBytes } from './compact.js'
import {
  MODE_NORMS,
  SLOT_AGREE,
  SLOT_ETA_HIST,
  SLOT_G2,
  SLOT_GAMMA,
  SLOT_GAMMA_HIST,
  SLOT_P2,
  SLOT_PSIGN,
  SLOT_SAMPLED,
  SLOT_SIGNS,
  SLOT_U2,
  SLOT_VALID,
  SLOTS,
  STATE_F32,
} from './kernels.js'
import { addStats, chunksOf, overSlots, statsArgs } from './parallel.js'
import { checkKeys } from './params.js'
import { accumulators, runtime } from './runtime.js'
import { describe } from './validate.js'
import { CHUNK, READ_G, READ_P, type Slot, type Walker } from './walk.js'

/**
 * Which quantities an optimizer's state allows, and the step's scalars the pass needs. A class
 * whose number fields start as float64 (NaN), so that every instance has the same map whether
 * its values are integers or not: as plain objects, Adam's and the family's had different maps,
 * and stats(), reading both, was deoptimised (and ran 2 µs slower for a while) when the kind of
 * optimizer changed.
 */
export class StatsScalars {
  /** What the pass measures: one of the MODE_ constants of assembly/stats.ts (src/kernels.ts). */
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
  /** Whether the update norm the pass computes (Adam's, in MODE_ADAM) is this method's own. */
  update = true

  constructor(v: {
    mode: number
    ic1: number
    ic2: number
    k1: number
    kappa: number
    lr: number
    rc2?: number
    eps?: number
    update?: boolean
  }) {
    this.mode = v.mode
    this.ic1 = v.ic1
    this.ic2 = v.ic2
    this.k1 = v.k1
    this.kappa = v.kappa
    this.lr = v.lr
    this.rc2 = v.rc2 ?? 0
    this.eps = v.eps ?? 0
    this.update = v.update ?? true
  }
}

export const NORMS_ONLY = new StatsScalars({ mode: MODE_NORMS, ic1: 0, ic2: 0, k1: 0, kappa: 0, lr: 0 })

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
   * without a moving average, and for NAdam and RAdam, whose step the pass does not compute.
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

/** What opt.stats() returns: the diagnostics of each parameter group, and of all together. */
export interface OptimizerStats {
  /** One entry per parameter group, in order. */
  groups: GroupStats[]
  /** All groups together. */
  total: GroupStats
}

/** Turns accumulated sums (one group's, or all groups' added) into the reported numbers. */
function summarise(acc: Float64Array, elements: number, mode: number, variance: boolean, update: boolean): GroupStats {
  const valid = acc[SLOT_VALID]
  const moving = mode !== MODE_NORMS
  return {
    elements,
    sampled: acc[SLOT_SAMPLED],
    gradNorm: Math.sqrt(acc[SLOT_G2]),
    paramNorm: Math.sqrt(acc[SLOT_P2]),
    updateNorm: moving && update ? Math.sqrt((acc[SLOT_U2] * elements) / acc[SLOT_SAMPLED]) : null,
    signAgreement: moving ? (acc[SLOT_SIGNS] > 0 ? acc[SLOT_AGREE] / acc[SLOT_SIGNS] : NaN) : null,
    gamma: variance
      ? { mean: valid > 0 ? acc[SLOT_GAMMA] / valid : NaN, histogram: fractions(acc, SLOT_GAMMA_HIST, 5, valid) }
      : null,
    eta2: variance ? { histogram: fractions(acc, SLOT_ETA_HIST, 6, valid) } : null,
    signProbability: variance ? (valid > 0 ? acc[SLOT_PSIGN] / valid : NaN) : null,
  }
}

function fractions(acc: Float64Array, from: number, bins: number, of: number): number[] {
  const out = new Array<number>(bins)
  for (let i = 0; i < bins; i++) out[i] = of > 0 ? acc[from + i] / of : NaN
  return out
}

/** The groups' sums of one stats() call: reused, since a fresh Float64Array costs more than a small pass. */
const total = new Float64Array(SLOTS)
/** One group's sums. */
const acc = new Float64Array(SLOTS)

/**
 * One diagnostics pass over every parameter: `scalars(group, t)` says what the method's state
 * allows at step count t. Every parameter is walked in the same 8192-element chunks whether it is
 * staged or not, each chunk's sums go to a block of accumulators of its own, and the blocks are
 * added up in order: the result is the same whether the chunks ran on one thread or on several,
 * in any order. parameter() buffers split over the helper threads, if there are any.
 */
export function collect(
  where: string,
  slots: Slot[][],
  w: Walker,
  scalars: (group: number, t: number) => StatsScalars,
  options: StatsOptions | undefined,
): OptimizerStats {
  const chosen = checkStatsOptions(where, options)
  const k = runtime().kernels
  const list: Slot[] = []
  const args: { m: number; v: number; sc: number[] }[] = []
  const plans: { mode: number; variance: boolean; update: boolean; elements: number; chunks: number }[] = []
  let chunks = 0
  for (let i = 0; i < slots.length; i++) {
    const plan = { mode: MODE_NORMS, variance: false, update: true, elements: 0, chunks: 0 }
    for (const s of slots[i]) plan.elements += s.n
    const every = chosen ?? sampleEvery(plan.elements)
    let t = -1
    let c = NORMS_ONLY
    for (const s of slots[i]) {
      if (s.t !== t) {
        t = s.t
        c = t > 0 ? scalars(i, t) : NORMS_ONLY
      }
      const m = c.mode !== MODE_NORMS ? s.state.m : 0
      const v = c.mode !== MODE_NORMS ? (s.state.v ?? 0) : 0
      plan.mode = Math.max(plan.mode, c.mode)
      plan.variance ||= v !== 0
      plan.update &&= c.update
      plan.chunks += chunksOf(s.n)
      list.push(s)
      args.push({ m, v, sc: [c.mode, every, c.ic1, c.ic2, c.k1, c.kappa, c.lr, c.rc2, c.eps] })
    }
    chunks += plan.chunks
    plans.push(plan)
  }
  // Compact state is read on the calling thread, each chunk of m and v decoded into float32 first
  // (allocated before the accumulators' view is taken: growing an unshared memory detaches views).
  const compact = list.some((s) => s.z.fmt !== STATE_F32)
  const decoded = compact ? runtime().arena.alloc(8 * CHUNK) : 0
  const { ptr: out, f64: blocks } = accumulators(SLOTS * chunks)
  blocks.fill(0, 0, SLOTS * chunks)
  try {
    overSlots(list, {
      kind: 'stats',
      chunked: true,
      tasks: compact
        ? undefined
        : (pass, s, i, first) => addStats(pass, s, args[i].m, args[i].v, args[i].sc, out, SLOTS, first),
      local: (s, i, first) => {
        const { m, v, sc } = args[i]
        const fmt = s.z.fmt
        for (w.begin(s, READ_P | READ_G); w.next(); ) {
          let [mi, vi] = [m && m + 4 * w.off, v && v + 4 * w.off]
          if (fmt !== STATE_F32) {
            if (m) k.decodeState(fmt, m + offsetBytes(fmt, w.off), decoded, w.n, BUFFER_KEYS.m)
            if (v) k.decodeState(fmt, v + offsetBytes(fmt, w.off), decoded + 4 * CHUNK, w.n, BUFFER_KEYS.v)
            mi = m && decoded
            vi = v && decoded + 4 * CHUNK
          }
          const block = out + 8 * SLOTS * (first + w.off / CHUNK)
          Reflect.apply(k.stats, undefined, statsArgs(w.p, w.g, mi, vi, w.n, sc, block))
        }
      },
    })
  } finally {
    if (decoded) runtime().arena.free(decoded)
  }
  total.fill(0)
  let totalMode = MODE_NORMS
  let totalVariance = false
  let totalUpdate = true
  let totalElements = 0
  const groups: GroupStats[] = []
  let block = 0
  for (const plan of plans) {
    acc.fill(0)
    for (let c = 0; c < plan.chunks; c++, block++) {
      for (let j = 0; j < SLOTS; j++) acc[j] += blocks[SLOTS * block + j]
    }
    for (let j = 0; j < SLOTS; j++) total[j] += acc[j]
    totalMode = Math.max(totalMode, plan.mode)
    totalVariance ||= plan.variance
    totalUpdate &&= plan.update
    totalElements += plan.elements
    groups.push(summarise(acc, plan.elements, plan.mode, plan.variance, plan.update))
  }
  return { groups, total: summarise(total, totalElements, totalMode, totalVariance, totalUpdate) }
}
