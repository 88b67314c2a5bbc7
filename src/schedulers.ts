import { Checker, describe } from './validate.js'

/** What a scheduler needs of an optimizer: groups with a learning rate it may set. */
export interface HasParamGroups {
  paramGroups: { lr: number }[]
}

/** A scheduler's checkpoint: its kind, its counters, and whatever else it keeps. */
export interface SchedulerState {
  scheduler: string
  lastEpoch: number
  baseLrs: number[]
  [extra: string]: unknown
}

/**
 * Learning-rate schedules with PyTorch's `torch.optim.lr_scheduler` semantics: creating one sets
 * each group's lr for epoch 0, and `scheduler.step()`, called after `opt.step()`, moves to the
 * next epoch and sets lr again. The lr is a closed-form function of the epoch and the group's
 * initial lr, so a scheduler restored from `stateDict()` goes on exactly where it was.
 */
export abstract class LRScheduler {
  /** The epoch (number of scheduler steps) the current lr belongs to. */
  lastEpoch = 0
  /** Each group's lr when the scheduler was created. */
  readonly baseLrs: number[]
  protected readonly optimizer: HasParamGroups
  protected readonly name: string

  protected constructor(name: string, optimizer: HasParamGroups) {
    if (!optimizer || !Array.isArray(optimizer.paramGroups)) {
      throw new TypeError(`${name}: the first argument must be an optimizer, got ${describe(optimizer)}`)
    }
    this.name = name
    this.optimizer = optimizer
    this.baseLrs = optimizer.paramGroups.map((g) => g.lr)
  }

  /** The lr of a group with initial lr `base` at `epoch`. */
  protected abstract lrAt(base: number, epoch: number): number

  /** Advances one epoch and sets every group's lr. */
  step(): void {
    this.lastEpoch++
    this.apply()
  }

  /** The lr each group was last given. */
  getLastLr(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr)
  }

  stateDict(): SchedulerState {
    return { scheduler: this.name, lastEpoch: this.lastEpoch, baseLrs: [...this.baseLrs] }
  }

  /** Restores counters saved by stateDict(); the groups' lrs come back with the optimizer's state. */
  loadStateDict(state: SchedulerState): void {
    const where = `${this.name}.loadStateDict()`
    if (!state || state.scheduler !== this.name) {
      throw new TypeError(`${where}: the state is for ${describe(state?.scheduler)}, this scheduler is ${this.name}`)
    }
    if (!Number.isInteger(state.lastEpoch) || state.lastEpoch < 0) {
      throw new RangeError(`${where}: lastEpoch must be an integer ≥ 0, got ${describe(state.lastEpoch)}`)
    }
    if (
      !Array.isArray(state.baseLrs) ||
      state.baseLrs.length !== this.baseLrs.length ||
      !state.baseLrs.every(Number.isFinite)
    ) {
      throw new RangeError(
        `${where}: baseLrs must hold ${this.baseLrs.length} finite numbers, one per group, got ${describe(state.baseLrs)}`,
      )
    }
    this.lastEpoch = state.lastEpoch
    this.baseLrs.splice(0, this.baseLrs.length, ...state.baseLrs)
  }

  protected apply(): void {
    this.optimizer.paramGroups.forEach((g, i) => (g.lr = this.lrAt(this.baseLrs[i], this.lastEpoch)))
  }
}

const options = (name: string, o: object) => new Checker(name, o as Record<string, unknown>)
const positiveInteger = (c: Checker, key: string, value: unknown) => {
  if (!Number.isInteger(value) || (value as number) < 1) c.fail(`${key} must be an integer ≥ 1, got ${describe(value)}`)
}

/** lr = base · γ^⌊epoch / stepSize⌋. */
export class StepLR extends LRScheduler {
  readonly stepSize: number
  readonly gamma: number
  constructor(optimizer: HasParamGroups, { stepSize, gamma = 0.1 }: { stepSize: number; gamma?: number }) {
    super('StepLR', optimizer)
    const c = options('StepLR', { stepSize, gamma })
    positiveInteger(c, 'stepSize', stepSize)
    c.nonNegative('gamma')
    this.stepSize = stepSize
    this.gamma = gamma
    this.apply()
  }
  protected lrAt(base: number, epoch: number): number {
    return base * this.gamma ** Math.floor(epoch / this.stepSize)
  }
}

/** lr = base · γ^(number of milestones ≤ epoch). */
export class MultiStepLR extends LRScheduler {
  readonly milestones: number[]
  readonly gamma: number
  constructor(optimizer: HasParamGroups, { milestones, gamma = 0.1 }: { milestones: number[]; gamma?: number }) {
    super('MultiStepLR', optimizer)
    const c = options('MultiStepLR', { milestones, gamma })
    if (
      !Array.isArray(milestones) ||
      !milestones.every((m, i) => Number.isInteger(m) && m >= 1 && (i === 0 || m > milestones[i - 1]))
    ) {
      c.fail(`milestones must be increasing integers ≥ 1, got ${JSON.stringify(milestones)}`)
    }
    c.nonNegative('gamma')
    this.milestones = [...milestones]
    this.gamma = gamma
    this.apply()
  }
  protected lrAt(base: number, epoch: number): number {
    return base * this.gamma ** this.milestones.filter((m) => m <= epoch).length
  }
}

/** lr = base · γ^epoch. */
export class ExponentialLR extends LRScheduler {
  readonly gamma: number
  constructor(optimizer: HasParamGroups, { gamma }: { gamma: number }) {
    super('ExponentialLR', optimizer)
    options('ExponentialLR', { gamma }).nonNegative('gamma')
    this.gamma = gamma
    this.apply()
  }
  protected lrAt(base: number, epoch: number): number {
    return base * this.gamma ** epoch
  }
}

const cosine = (hi: number, lo: number, t: number, period: number) =>
  lo + ((hi - lo) * (1 + Math.cos((Math.PI * t) / period))) / 2

/** lr = ηmin + (base − ηmin)·(1 + cos(π·epoch/tMax))/2 (Loshchilov & Hutter, SGDR, 2017). */
export class CosineAnnealingLR extends LRScheduler {
  readonly tMax: number
  readonly etaMin: number
  constructor(optimizer: HasParamGroups, { tMax, etaMin = 0 }: { tMax: number; etaMin?: number }) {
    super('CosineAnnealingLR', optimizer)
    const c = options('CosineAnnealingLR', { tMax, etaMin })
    positiveInteger(c, 'tMax', tMax)
    c.nonNegative('etaMin')
    this.tMax = tMax
    this.etaMin = etaMin
    this.apply()
  }
  protected lrAt(base: number, epoch: number): number {
    return cosine(base, this.etaMin, epoch, this.tMax)
  }
}

/**
 * Cosine annealing with warm restarts (SGDR): the cosine restarts after t0 epochs, then after
 * t0·tMult, t0·tMult², …
 */
export class CosineAnnealingWarmRestarts extends LRScheduler {
  readonly t0: number
  readonly tMult: number
  readonly etaMin: number
  constructor(
    optimizer: HasParamGroups,
    { t0, tMult = 1, etaMin = 0 }: { t0: number; tMult?: number; etaMin?: number },
  ) {
    super('CosineAnnealingWarmRestarts', optimizer)
    const c = options('CosineAnnealingWarmRestarts', { t0, tMult, etaMin })
    positiveInteger(c, 't0', t0)
    positiveInteger(c, 'tMult', tMult)
    c.nonNegative('etaMin')
    this.t0 = t0
    this.tMult = tMult
    this.etaMin = etaMin
    this.apply()
  }
  protected lrAt(base: number, epoch: number): number {
    let period = this.t0
    let t = epoch
    while (t >= period) {
      t -= period
      period *= this.tMult
    }
    return cosine(base, this.etaMin, t, period)
  }
}

/** Linear warm-up: lr = base · (startFactor + (endFactor − startFactor)·min(epoch, totalIters)/totalIters). */
export class LinearLR extends LRScheduler {
  readonly startFactor: number
  readonly endFactor: number
  readonly totalIters: number
  constructor(
    optimizer: HasParamGroups,
    {
      startFactor = 1 / 3,
      endFactor = 1,
      totalIters = 5,
    }: { startFactor?: number; endFactor?: number; totalIters?: number } = {},
  ) {
    super('LinearLR', optimizer)
    const c = options('LinearLR', { startFactor, endFactor, totalIters })
    c.range('startFactor', 0, 1, true)
    if (startFactor === 0) c.fail('startFactor must be > 0, got 0')
    c.range('endFactor', 0, 1, true)
    positiveInteger(c, 'totalIters', totalIters)
    this.startFactor = startFactor
    this.endFactor = endFactor
    this.totalIters = totalIters
    this.apply()
  }
  protected lrAt(base: number, epoch: number): number {
    return (
      base *
      (this.startFactor + ((this.endFactor - this.startFactor) * Math.min(epoch, this.totalIters)) / this.totalIters)
    )
  }
}

/**
 * One-cycle policy (Smith & Topin, 2019): from maxLr/divFactor up to maxLr over the first
 * pctStart of totalSteps, then down to maxLr/(divFactor·finalDivFactor), cosine or linear. The
 * learning rate only (PyTorch also cycles momentum; this does not). Stepping past totalSteps throws.
 */
export class OneCycleLR extends LRScheduler {
  readonly maxLr: number
  readonly totalSteps: number
  readonly pctStart: number
  readonly annealStrategy: 'cos' | 'linear'
  readonly divFactor: number
  readonly finalDivFactor: number
  constructor(
    optimizer: HasParamGroups,
    {
      maxLr,
      totalSteps,
      pctStart = 0.3,
      annealStrategy = 'cos',
      divFactor = 25,
      finalDivFactor = 1e4,
    }: {
      maxLr: number
      totalSteps: number
      pctStart?: number
      annealStrategy?: 'cos' | 'linear'
      divFactor?: number
      finalDivFactor?: number
    },
  ) {
    super('OneCycleLR', optimizer)
    const c = options('OneCycleLR', { maxLr, totalSteps, pctStart, divFactor, finalDivFactor })
    c.nonNegative('maxLr')
    positiveInteger(c, 'totalSteps', totalSteps)
    c.range('pctStart', 0, 1)
    if (annealStrategy !== 'cos' && annealStrategy !== 'linear')
      c.fail(`annealStrategy must be 'cos' or 'linear', got ${describe(annealStrategy)}`)
    c.range('divFactor', 1, Infinity)
    c.range('finalDivFactor', 1, Infinity)
    if (pctStart * totalSteps < 2) c.fail(`pctStart · totalSteps must be at least 2, got ${pctStart * totalSteps}`)
    this.maxLr = maxLr
    this.totalSteps = totalSteps
    this.pctStart = pctStart
    this.annealStrategy = annealStrategy
    this.divFactor = divFactor
    this.finalDivFactor = finalDivFactor
    this.apply()
  }
  step(): void {
    if (this.lastEpoch + 1 >= this.totalSteps) {
      throw new RangeError(
        `OneCycleLR.step(): stepped ${this.lastEpoch + 1} times, but totalSteps is ${this.totalSteps}`,
      )
    }
    super.step()
  }
  protected lrAt(_base: number, epoch: number): number {
    const initial = this.maxLr / this.divFactor
    const min = initial / this.finalDivFactor
    const peak = this.pctStart * this.totalSteps - 1
    const last = this.totalSteps - 1
    const anneal = (from: number, to: number, pct: number) =>
      this.annealStrategy === 'cos' ? to + ((from - to) / 2) * (Math.cos(Math.PI * pct) + 1) : (to - from) * pct + from
    return epoch <= peak
      ? anneal(initial, this.maxLr, epoch / peak)
      : anneal(this.maxLr, min, (epoch - peak) / (last - peak))
  }
}

/**
 * Reduces every group's lr by `factor` when a metric has stopped improving for `patience`
 * epochs (PyTorch's ReduceLROnPlateau): call `scheduler.step(metric)` once per epoch.
 */
export class ReduceLROnPlateau {
  readonly mode: 'min' | 'max'
  readonly factor: number
  readonly patience: number
  readonly threshold: number
  readonly thresholdMode: 'rel' | 'abs'
  readonly cooldown: number
  readonly minLr: number
  readonly eps: number
  best: number
  numBadEpochs = 0
  cooldownCounter = 0
  lastEpoch = 0
  readonly #optimizer: HasParamGroups

  constructor(
    optimizer: HasParamGroups,
    o: {
      mode?: 'min' | 'max'
      factor?: number
      patience?: number
      threshold?: number
      thresholdMode?: 'rel' | 'abs'
      cooldown?: number
      minLr?: number
      eps?: number
    } = {},
  ) {
    if (!optimizer || !Array.isArray(optimizer.paramGroups)) {
      throw new TypeError(`ReduceLROnPlateau: the first argument must be an optimizer, got ${describe(optimizer)}`)
    }
    const {
      mode = 'min',
      factor = 0.1,
      patience = 10,
      threshold = 1e-4,
      thresholdMode = 'rel',
      cooldown = 0,
      minLr = 0,
      eps = 1e-8,
    } = o
    const c = options('ReduceLROnPlateau', { factor, patience, threshold, cooldown, minLr, eps })
    if (mode !== 'min' && mode !== 'max') c.fail(`mode must be 'min' or 'max', got ${describe(mode)}`)
    if (thresholdMode !== 'rel' && thresholdMode !== 'abs')
      c.fail(`thresholdMode must be 'rel' or 'abs', got ${describe(thresholdMode)}`)
    c.range('factor', 0, 1)
    c.nonNegative('patience')
    c.nonNegative('threshold')
    c.nonNegative('cooldown')
    c.nonNegative('minLr')
    c.nonNegative('eps')
    this.#optimizer = optimizer
    this.mode = mode
    this.factor = factor
    this.patience = patience
    this.threshold = threshold
    this.thresholdMode = thresholdMode
    this.cooldown = cooldown
    this.minLr = minLr
    this.eps = eps
    this.best = mode === 'min' ? Infinity : -Infinity
  }

  step(metric: number): void {
    if (typeof metric !== 'number' || Number.isNaN(metric))
      throw new TypeError(`ReduceLROnPlateau.step(): metric must be a number, got ${describe(metric)}`)
    this.lastEpoch++
    if (this.#better(metric)) {
      this.best = metric
      this.numBadEpochs = 0
    } else {
      this.numBadEpochs++
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--
      this.numBadEpochs = 0
    }
    if (this.numBadEpochs > this.patience) {
      for (const g of this.#optimizer.paramGroups) {
        const lr = Math.max(g.lr * this.factor, this.minLr)
        if (g.lr - lr > this.eps) g.lr = lr
      }
      this.cooldownCounter = this.cooldown
      this.numBadEpochs = 0
    }
  }

  getLastLr(): number[] {
    return this.#optimizer.paramGroups.map((g) => g.lr)
  }

  stateDict(): { scheduler: string; lastEpoch: number; best: number; numBadEpochs: number; cooldownCounter: number } {
    return {
      scheduler: 'ReduceLROnPlateau',
      lastEpoch: this.lastEpoch,
      best: this.best,
      numBadEpochs: this.numBadEpochs,
      cooldownCounter: this.cooldownCounter,
    }
  }

  loadStateDict(state: ReturnType<ReduceLROnPlateau['stateDict']>): void {
    const where = 'ReduceLROnPlateau.loadStateDict()'
    if (!state || state.scheduler !== 'ReduceLROnPlateau')
      throw new TypeError(`${where}: the state is for ${describe(state?.scheduler)}`)
    for (const k of ['lastEpoch', 'numBadEpochs', 'cooldownCounter'] as const) {
      if (!Number.isInteger(state[k]) || state[k] < 0)
        throw new RangeError(`${where}: ${k} must be an integer ≥ 0, got ${describe(state[k])}`)
    }
    // JSON turns ±Infinity (no best yet) into null.
    const best = state.best === null ? (this.mode === 'min' ? Infinity : -Infinity) : state.best
    if (typeof best !== 'number' || Number.isNaN(best))
      throw new RangeError(`${where}: best must be a number, got ${describe(state.best)}`)
    Object.assign(this, {
      lastEpoch: state.lastEpoch,
      best,
      numBadEpochs: state.numBadEpochs,
      cooldownCounter: state.cooldownCounter,
    })
  }

  #better(x: number): boolean {
    const { mode, thresholdMode, threshold, best } = this
    if (mode === 'min') return thresholdMode === 'rel' ? x < best * (1 - threshold) : x < best - threshold
    return thresholdMode === 'rel' ? x > best * (1 + threshold) : x > best + threshold
  }
}
