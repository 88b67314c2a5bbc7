// The schedules whose lr is a closed-form function of the epoch and the group's base lr, as in
// PyTorch's torch.optim.lr_scheduler: a restored scheduler goes on exactly where it was.
import { describe } from '../validate.js'
import { checker, given, type HasParamGroups, LRScheduler, positiveInteger } from './base.js'

/** Options of {@link StepLR}. */
export interface StepLROptions {
  /** Epochs between two decays, an integer ≥ 1. */
  stepSize: number
  /** Factor of each decay, ≥ 0. Default 0.1. */
  gamma?: number
}

/** lr = base · γ^⌊epoch / stepSize⌋. */
export class StepLR extends LRScheduler {
  /** Epochs between two decays. */
  readonly stepSize: number
  /** Factor of each decay. */
  readonly gamma: number
  /** @param optimizer the optimizer whose groups' lr it sets, or the initial lr of a group of its own; @param options the schedule */
  constructor(optimizer: HasParamGroups | number, options: StepLROptions) {
    super('StepLR', optimizer)
    const { stepSize, gamma = 0.1 } = given('StepLR', options, ['stepSize'], ['stepSize', 'gamma'])
    const c = checker('StepLR', { stepSize, gamma })
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

/** Options of {@link MultiStepLR}. */
export interface MultiStepLROptions {
  /** The epochs at which the lr decays, increasing integers ≥ 1. */
  milestones: number[]
  /** Factor of each decay, ≥ 0. Default 0.1. */
  gamma?: number
}

/** lr = base · γ^(number of milestones ≤ epoch). */
export class MultiStepLR extends LRScheduler {
  /** The epochs at which the lr decays. */
  readonly milestones: number[]
  /** Factor of each decay. */
  readonly gamma: number
  /** @param optimizer the optimizer whose groups' lr it sets, or the initial lr of a group of its own; @param options the schedule */
  constructor(optimizer: HasParamGroups | number, options: MultiStepLROptions) {
    super('MultiStepLR', optimizer)
    const { milestones, gamma = 0.1 } = given('MultiStepLR', options, ['milestones'], ['milestones', 'gamma'])
    const c = checker('MultiStepLR', { milestones, gamma })
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

/** Options of {@link ExponentialLR}. */
export interface ExponentialLROptions {
  /** Factor of the decay every epoch, ≥ 0. */
  gamma: number
}

/** lr = base · γ^epoch. */
export class ExponentialLR extends LRScheduler {
  /** Factor of the decay every epoch. */
  readonly gamma: number
  /** @param optimizer the optimizer whose groups' lr it sets, or the initial lr of a group of its own; @param options the schedule */
  constructor(optimizer: HasParamGroups | number, options: ExponentialLROptions) {
    super('ExponentialLR', optimizer)
    const { gamma } = given('ExponentialLR', options, ['gamma'], ['gamma'])
    checker('ExponentialLR', { gamma }).nonNegative('gamma')
    this.gamma = gamma
    this.apply()
  }
  protected lrAt(base: number, epoch: number): number {
    return base * this.gamma ** epoch
  }
}

const cosine = (hi: number, lo: number, t: number, period: number) =>
  lo + ((hi - lo) * (1 + Math.cos((Math.PI * t) / period))) / 2

/** Options of {@link CosineAnnealingLR}. */
export interface CosineAnnealingLROptions {
  /** Epochs of the half cosine, an integer ≥ 1. */
  tMax: number
  /** The lowest lr, ≥ 0. Default 0. */
  etaMin?: number
}

/** lr = ηmin + (base − ηmin)·(1 + cos(π·epoch/tMax))/2 (Loshchilov & Hutter, SGDR, 2017). */
export class CosineAnnealingLR extends LRScheduler {
  /** Epochs of the half cosine. */
  readonly tMax: number
  /** The lowest lr. */
  readonly etaMin: number
  /** @param optimizer the optimizer whose groups' lr it sets, or the initial lr of a group of its own; @param options the schedule */
  constructor(optimizer: HasParamGroups | number, options: CosineAnnealingLROptions) {
    super('CosineAnnealingLR', optimizer)
    const { tMax, etaMin = 0 } = given('CosineAnnealingLR', options, ['tMax'], ['tMax', 'etaMin'])
    const c = checker('CosineAnnealingLR', { tMax, etaMin })
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

/** Options of {@link CosineAnnealingWarmRestarts}. */
export interface CosineAnnealingWarmRestartsOptions {
  /** Epochs of the first cycle, an integer ≥ 1. */
  t0: number
  /** Each cycle is tMult times as long as the one before, an integer ≥ 1. Default 1. */
  tMult?: number
  /** The lowest lr, ≥ 0. Default 0. */
  etaMin?: number
}

/**
 * Cosine annealing with warm restarts (SGDR): the cosine restarts after t0 epochs, then after
 * t0·tMult, t0·tMult², …
 */
export class CosineAnnealingWarmRestarts extends LRScheduler {
  /** Epochs of the first cycle. */
  readonly t0: number
  /** Growth factor of each next cycle. */
  readonly tMult: number
  /** The lowest lr. */
  readonly etaMin: number
  /** @param optimizer the optimizer whose groups' lr it sets, or the initial lr of a group of its own; @param options the schedule */
  constructor(optimizer: HasParamGroups | number, options: CosineAnnealingWarmRestartsOptions) {
    super('CosineAnnealingWarmRestarts', optimizer)
    const {
      t0,
      tMult = 1,
      etaMin = 0,
    } = given('CosineAnnealingWarmRestarts', options, ['t0'], ['t0', 'tMult', 'etaMin'])
    const c = checker('CosineAnnealingWarmRestarts', { t0, tMult, etaMin })
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

/** Options of {@link LinearLR}. */
export interface LinearLROptions {
  /** The factor of the base lr at epoch 0, in (0, 1]. Default 1/3. */
  startFactor?: number
  /** The factor reached at totalIters, in [0, 1]. Default 1. */
  endFactor?: number
  /** Epochs from startFactor to endFactor, an integer ≥ 1. Default 5. */
  totalIters?: number
}

/** Linear warm-up: lr = base · (startFactor + (endFactor − startFactor)·min(epoch, totalIters)/totalIters). */
export class LinearLR extends LRScheduler {
  /** The factor at epoch 0. */
  readonly startFactor: number
  /** The factor from totalIters on. */
  readonly endFactor: number
  /** Epochs from startFactor to endFactor. */
  readonly totalIters: number
  /** @param optimizer the optimizer whose groups' lr it sets, or the initial lr of a group of its own; @param options the schedule */
  constructor(optimizer: HasParamGroups | number, options?: LinearLROptions) {
    super('LinearLR', optimizer)
    const {
      startFactor = 1 / 3,
      endFactor = 1,
      totalIters = 5,
    } = given('LinearLR', options, [], ['startFactor', 'endFactor', 'totalIters'])
    const c = checker('LinearLR', { startFactor, endFactor, totalIters })
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

/** Options of {@link OneCycleLR}. */
export interface OneCycleLROptions {
  /** The peak lr, ≥ 0. */
  maxLr: number
  /** Steps of the whole cycle, an integer ≥ 1; stepping past it throws. */
  totalSteps: number
  /** Share of the cycle spent rising, in [0, 1). Default 0.3. */
  pctStart?: number
  /** 'cos' or 'linear' interpolation. Default 'cos'. */
  annealStrategy?: 'cos' | 'linear'
  /** The first lr is maxLr/divFactor, ≥ 1. Default 25. */
  divFactor?: number
  /** The last lr is maxLr/(divFactor·finalDivFactor), ≥ 1. Default 1e4. */
  finalDivFactor?: number
}

/**
 * One-cycle policy (Smith & Topin, 2019): from maxLr/divFactor up to maxLr over the first
 * pctStart of totalSteps, then down to maxLr/(divFactor·finalDivFactor), cosine or linear. The
 * learning rate only (PyTorch also cycles momentum; this does not). Stepping past totalSteps throws.
 */
export class OneCycleLR extends LRScheduler {
  /** The peak lr. */
  readonly maxLr: number
  /** Steps of the whole cycle. */
  readonly totalSteps: number
  /** Share of the cycle spent rising. */
  readonly pctStart: number
  /** The shape of both halves. */
  readonly annealStrategy: 'cos' | 'linear'
  /** The first lr is maxLr/divFactor. */
  readonly divFactor: number
  /** The last lr is maxLr/(divFactor·finalDivFactor). */
  readonly finalDivFactor: number
  /** @param optimizer the optimizer whose groups' lr it sets, or the initial lr of a group of its own; @param options the schedule */
  constructor(optimizer: HasParamGroups | number, options: OneCycleLROptions) {
    super('OneCycleLR', optimizer)
    const {
      maxLr,
      totalSteps,
      pctStart = 0.3,
      annealStrategy = 'cos',
      divFactor = 25,
      finalDivFactor = 1e4,
    } = given(
      'OneCycleLR',
      options,
      ['maxLr', 'totalSteps'],
      ['maxLr', 'totalSteps', 'pctStart', 'annealStrategy', 'divFactor', 'finalDivFactor'],
    )
    const c = checker('OneCycleLR', { maxLr, totalSteps, pctStart, divFactor, finalDivFactor })
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
  /** Moves to `epoch` and sets every group's lr; throws past totalSteps. */
  override seek(epoch: number): void {
    if (epoch >= this.totalSteps) {
      throw new RangeError(`OneCycleLR: stepped ${epoch} times, but totalSteps is ${this.totalSteps}`)
    }
    super.seek(epoch)
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
