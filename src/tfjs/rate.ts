// A wasm-optim/tfjs optimizer's learning rate: a number, a function of the iteration count, or a
// wasm-optim scheduler whose lr is a closed-form function of the epoch (one epoch per step). A
// number and a scheduler go into getConfig() and come back in fromConfig(), the scheduler as its
// kind, options, initial lr and position; a function cannot be saved, and saving says so.
import { internals, LRScheduler, schedulers } from '../index.js'

/** A learning rate: a number, a function of the iteration count (0 on the first call), or a wasm-optim scheduler. */
export type LearningRate = number | ((iteration: number) => number) | LRScheduler

/** A scheduler as getConfig() saves it. */
interface SavedSchedule {
  scheduler: keyof typeof schedulers
  options: Record<string, unknown>
  initialLr: number
  epoch: number
}

const names = Object.keys(schedulers).join(', ')

/** Checks a learning rate; a saved schedule (from fromConfig()) becomes its scheduler again. */
export function checkRate(where: string, lr: unknown): LearningRate {
  if (typeof lr === 'number' || typeof lr === 'function') return lr as LearningRate
  if (lr instanceof LRScheduler) {
    const kind = lr.stateDict().scheduler
    if (!(kind in schedulers)) {
      throw new TypeError(
        `${where}: learningRate: ${kind} cannot be a learning rate; the schedulers that can are ${names}`,
      )
    }
    if (lr.baseLrs.length !== 1) {
      throw new RangeError(
        `${where}: learningRate: the scheduler sets ${lr.baseLrs.length} groups' lr; make it on one learning rate, e.g. new ${kind}(1e-3, …)`,
      )
    }
    return lr
  }
  const saved = lr as Partial<SavedSchedule> | null
  if (saved && typeof saved === 'object' && typeof saved.scheduler === 'string') {
    const cls = schedulers[saved.scheduler as keyof typeof schedulers]
    if (!cls)
      throw new TypeError(`${where}: learningRate: no scheduler is named '${saved.scheduler}'; the names are ${names}`)
    const s = new cls(saved.initialLr as number, saved.options as never)
    s.seek(saved.epoch as number)
    return s
  }
  throw new TypeError(
    `${where}: learningRate must be a number, a function of the iteration or a wasm-optim scheduler, got ${internals.describe(lr)}`,
  )
}

/** The learning rate of the step at this iteration count, which is the `step`-th step (0 first). */
export function rateAt(lr: LearningRate, iteration: number, step: number, current: number): number {
  if (typeof lr === 'number') return current
  if (typeof lr === 'function') return lr(iteration)
  lr.seek(step)
  return lr.getLastLr()[0]
}

/** How far a schedule has moved the learning rate from its start (1 for a number): other groups' rates follow in proportion. */
export function rateScale(lr: LearningRate, now: number): number {
  const start = typeof lr === 'number' ? now : typeof lr === 'function' ? lr(0) : lr.baseLrs[0]
  return start > 0 ? now / start : 1
}

/** What getConfig() saves of a learning rate: the number, or the schedule; a function is refused. */
export function savedRate(where: string, lr: LearningRate, current: number): number | SavedSchedule {
  if (typeof lr === 'number') return current
  if (typeof lr === 'function') {
    throw new TypeError(
      `${where}: the learning rate is a function, which cannot be saved with the model; give a wasm-optim ` +
        'scheduler as learningRate instead (e.g. new CosineAnnealingLR(1e-3, { tMax: 1000 }), one epoch per step), or a number',
    )
  }
  const { scheduler, lastEpoch, baseLrs } = lr.stateDict()
  return {
    scheduler: scheduler as SavedSchedule['scheduler'],
    options: lr.options,
    initialLr: baseLrs[0],
    epoch: lastEpoch,
  }
}
