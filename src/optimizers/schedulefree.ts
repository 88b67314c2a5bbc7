import { offsetBytes } from '../compact.js'
import type { KernelScalars } from '../kernels.js'
import { Optimizer, type OptimizerOptions, type Params } from '../optimizer.js'
import { betas, defaultsOf, lr, MAXIMIZE, nonNegative, number, type OptionsOf, STATE_DTYPE } from '../options.js'
import { runtime } from '../runtime.js'
import { type Checker, describe } from '../validate.js'

/** The options of {@link ScheduleFreeAdamW}, per parameter group: one table (src/options.ts). */
export const SCHEDULE_FREE_OPTIONS = {
  /** Learning rate. */
  lr: lr(2.5e-3),
  /** [β1, β2]: β1 > 0 places y between z and x, β2 decays v. */
  betas: betas([0.9, 0.999], [0.01, 0.999]),
  /** Added to the denominator √v. */
  eps: nonNegative(1e-8),
  /** Weight decay, taken at y: the normalised step gets + wd·y. */
  weightDecay: nonNegative(0),
  /** Steps of linear learning-rate warm-up. */
  warmupSteps: number(0, 0, { integer: true, test: [0, 20] }),
  // t^rPower stays finite in float64 for every t below 2^53 where rPower ≤ 16 (t^16 < 2^848), and
  // lrMax^weightLrPower for lr ≤ 1e4 where weightLrPower ≤ 16: beyond, the averaging weights overflow.
  /** Power r of the polynomial weighting tʳ in the average. */
  rPower: number(0, 0, { hi: 16, closed: true, test: [0, 2] }),
  /** Power of the largest learning rate so far in the average's weights. */
  weightLrPower: number(2, 0, {
    hi: 16,
    closed: true,
    test: [0, 3],
  }),
  ...MAXIMIZE,
  ...STATE_DTYPE,
}

/** Options of {@link ScheduleFreeAdamW}. */
export type ScheduleFreeAdamWOptions = OptionsOf<typeof SCHEDULE_FREE_OPTIONS>

/** What Schedule-Free keeps per group besides its buffers: saved in checkpoints. */
interface Running {
  /** Steps taken. */
  step: number
  /** The largest learning rate so far (−1 before the first step). */
  lrMax: number
  /** The sum of the average's weights so far. */
  weightSum: number
  /** Whether the parameters hold y (training) or x (evaluation). */
  train: boolean
}

/**
 * Schedule-Free AdamW (Defazio, Yang, Mehta, Mishchenko, Khaled & Cutkosky, "The Road Less
 * Scheduled", NeurIPS 2024; the winner of AlgoPerf's self-tuning track), as the authors'
 * `AdamWScheduleFree` computes it. No schedule: z takes Adam-normalised steps, x is an average
 * of the z's weighted by the learning rate, and the gradient is taken at y, between them. The
 * parameters hold y while training and x after `opt.eval()`:
 *
 *     lrₜ = lr·min(1, t/warmupSteps)·√(1 − β2ᵗ);   lrmax = max(lrmax, lrₜ)
 *     wₜ = tʳ·lrmaxᵖ (p = weightLrPower);   cₜ = wₜ / Σ w
 *     v ← β2·v + (1 − β2)·g²;   u = g/(√v + ε) + wd·y
 *     y ← y + cₜ·(z − y) + lrₜ·(β1(1 − cₜ) − 1)·u;   z ← z − lrₜ·u      (z starts at y)
 *     eval():  x = y + (1 − 1/β1)·(z − y);   train(): y = x + (1 − β1)·(z − x)
 *
 * Call `opt.train()` before training and `opt.eval()` before evaluating or saving the weights;
 * `step()` in eval mode throws. Checkpoints carry each group's step count, weight sum and mode.
 * Options: docs/options.md. The diagnostics report norms only: it keeps no first moment.
 *
 * @example
 * const opt = new ScheduleFreeAdamW([{ param, grad }], { lr: 2.5e-3, warmupSteps: 100 })
 * // ... training steps ...
 * opt.eval() // the parameters now hold x: evaluate, save
 * opt.train()
 */
export class ScheduleFreeAdamW extends Optimizer<ScheduleFreeAdamWOptions, 'sfadamw'> {
  /** Its options table. */
  static readonly options = SCHEDULE_FREE_OPTIONS
  /** The options a group gets where it does not set them. */
  static readonly defaults: ScheduleFreeAdamWOptions = defaultsOf(SCHEDULE_FREE_OPTIONS)
  readonly #run: Running[]
  /** This step's learning rate and average coefficient per group, set by plan(). */
  readonly #now: { lr: number; c: number }[]

  /**
   * @param params the parameters (`{ param, grad }` pairs or `parameter()`s), or groups of them with their own options
   * @param options the options of every group that does not set its own, and the non-finite policy
   */
  constructor(
    params: Params<ScheduleFreeAdamWOptions>,
    options?: Partial<ScheduleFreeAdamWOptions & OptimizerOptions>,
  ) {
    super('ScheduleFreeAdamW', 'sfadamw', params, ScheduleFreeAdamW.options, options)
    this.#run = this.paramGroups.map(() => ({ step: 0, lrMax: -1, weightSum: 0, train: true }))
    this.#now = this.paramGroups.map(() => ({ lr: 0, c: 0 }))
  }

  /** Whether each group's parameters hold y (training, true) or x (evaluation, false). */
  get training(): boolean[] {
    return this.#run.map((r) => r.train)
  }

  /**
   * Steps (the named parameters alone, given `only`, as every optimizer does), or throws, changing
   * nothing, if a group is in eval mode (its parameters hold x, not y) or if a group's next
   * averaging weight would not be finite (rPower and weightLrPower too large for this many steps
   * and this learning rate).
   */
  override step(only?: Iterable<string>): boolean {
    const i = this.#run.findIndex((r) => !r.train)
    if (i >= 0) {
      throw new Error(
        `ScheduleFreeAdamW.step(): paramGroups[${i}] is in eval mode (its parameters hold the average x); call opt.train() before stepping`,
      )
    }
    return super.step(only)
  }

  /** Puts every group's parameters at x, the average to evaluate and to save. Does nothing for a group already there. */
  eval(): void {
    this.#switch('eval', false)
  }

  /** Puts every group's parameters back at y, where training takes its gradients. Does nothing for a group already there. */
  train(): void {
    this.#switch('train', true)
  }

  protected override check(o: ScheduleFreeAdamWOptions, c: Checker): void {
    if (o.betas[0] === 0)
      c.fail('betas[0] must be in (0, 1) for Schedule-Free (x is recovered by dividing by β1), got 0')
    // Before a step (the group is one of this optimizer's, checked by step()): its next averaging weight must be finite.
    const g = #run in this ? this.paramGroups.indexOf(o as never) : -1
    if (g >= 0) {
      const next = this.#next(g, this.#run[g])
      if (!Number.isFinite(next.weightSum) || !Number.isFinite(next.lrMax)) {
        c.fail(
          `the averaging weight t^rPower·lrMax^weightLrPower overflows at step ${next.step} (rPower ${o.rPower}, ` +
            `weightLrPower ${o.weightLrPower}, lr ${o.lr}); nothing was changed`,
        )
      }
    }
  }

  protected override buffers() {
    return ['z', 'v'] as const
  }

  /** Group g's running values after one more step, and that step's learning rate and average coefficient. */
  #next(g: number, r: Running) {
    const o = this.paramGroups[g]
    const t = r.step + 1
    const warm = r.step < o.warmupSteps ? t / o.warmupSteps : 1
    const lr = o.lr * warm * Math.sqrt(1 - o.betas[1] ** t)
    const lrMax = Math.max(lr, r.lrMax)
    const weight = t ** o.rPower * lrMax ** o.weightLrPower
    const weightSum = r.weightSum + weight
    return { step: t, lr, lrMax, weightSum, c: weightSum > 0 ? weight / weightSum : 0 }
  }

  protected override plan(i: number): void {
    const r = this.#run[i]
    const { step, lr, lrMax, weightSum, c } = this.#next(i, r)
    Object.assign(r, { step, lrMax, weightSum })
    this.#now[i] = { lr, c }
  }

  protected override scalars(o: ScheduleFreeAdamWOptions, t: number, i: number): KernelScalars['sfadamw'] {
    const [b1, b2] = o.betas
    const { lr, c } = this.#now[i]
    return {
      b2,
      omb2: 1 - b2,
      eps: o.eps,
      wd: o.weightDecay,
      c,
      cy: lr * (b1 * (1 - c) - 1),
      lr,
      first: t === 1,
      maximize: o.maximize,
    }
  }

  protected override groupState(i: number): Record<string, unknown> {
    return { ...this.#run[i] }
  }

  protected override loadGroupState(i: number, saved: unknown, where: string): () => void {
    const s = saved as Running | undefined
    const bad = (what: string) => new RangeError(`${where}: ${what}, got ${describe(saved)}`)
    if (s === null || typeof s !== 'object') throw bad('must be { step, lrMax, weightSum, train }')
    if (!Number.isInteger(s.step) || s.step < 0) throw bad(`step must be an integer ≥ 0 (${describe(s.step)})`)
    if (typeof s.lrMax !== 'number' || !(s.lrMax >= -1) || !Number.isFinite(s.lrMax))
      throw bad(`lrMax must be a finite number ≥ −1 (${describe(s.lrMax)})`)
    if (typeof s.weightSum !== 'number' || !(s.weightSum >= 0) || !Number.isFinite(s.weightSum))
      throw bad(`weightSum must be a finite number ≥ 0 (${describe(s.weightSum)})`)
    if (typeof s.train !== 'boolean') throw bad(`train must be true or false (${describe(s.train)})`)
    const { step, lrMax, weightSum, train } = s
    return () => {
      this.#run[i] = { step, lrMax, weightSum, train }
    }
  }

  #switch(method: string, train: boolean): void {
    const groups = this.#run.flatMap((r, i) => (r.train === train ? [] : [i]))
    const k = runtime().kernels
    this.passOverParams(method, groups, (p, s, off, n) => {
      const b1 = this.paramGroups[s.group].betas[0]
      k.lerp(p, s.state.z + offsetBytes(s.z.fmt, off), n, train ? 1 - b1 : 1 - 1 / b1, s.z.fmt)
    })
    for (const i of groups) this.#run[i].train = train
  }
}
