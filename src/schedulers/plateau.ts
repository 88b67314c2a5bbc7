// ReduceLROnPlateau: the lr follows a metric, not the epoch.
import { describe } from '../validate.js'
import { checker, given, type HasParamGroups } from './base.js'

/** Options of {@link ReduceLROnPlateau}, PyTorch's names and defaults. */
export interface ReduceLROnPlateauOptions {
  /** 'min': the metric should fall (a loss); 'max': rise (an accuracy). Default 'min'. */
  mode?: 'min' | 'max'
  /** Factor of each reduction, in [0, 1). Default 0.1. */
  factor?: number
  /** Epochs without improvement before a reduction, ≥ 0. Default 10. */
  patience?: number
  /** How much better a metric must be to count as an improvement, ≥ 0. Default 1e-4. */
  threshold?: number
  /** 'rel': better by a factor 1 ± threshold; 'abs': by threshold. Default 'rel'. */
  thresholdMode?: 'rel' | 'abs'
  /** Epochs to wait after a reduction before counting again, ≥ 0. Default 0. */
  cooldown?: number
  /** The lowest lr, ≥ 0. Default 0. */
  minLr?: number
  /** A reduction smaller than eps is not made, ≥ 0. Default 1e-8. */
  eps?: number
}

/**
 * Reduces every group's lr by `factor` when a metric has stopped improving for `patience`
 * epochs (PyTorch's ReduceLROnPlateau): call `scheduler.step(metric)` once per epoch.
 */
export class ReduceLROnPlateau {
  /** Whether the metric should fall ('min') or rise ('max'). */
  readonly mode: 'min' | 'max'
  /** Factor of each reduction. */
  readonly factor: number
  /** Epochs without improvement before a reduction. */
  readonly patience: number
  /** How much better a metric must be to count as an improvement. */
  readonly threshold: number
  /** Whether threshold is relative or absolute. */
  readonly thresholdMode: 'rel' | 'abs'
  /** Epochs to wait after a reduction before counting again. */
  readonly cooldown: number
  /** The lowest lr. */
  readonly minLr: number
  /** A reduction smaller than eps is not made. */
  readonly eps: number
  /** The best metric so far. */
  best: number
  /** Epochs since the last improvement. */
  numBadEpochs = 0
  /** Epochs of cooldown left. */
  cooldownCounter = 0
  /** Number of step() calls so far. */
  lastEpoch = 0
  readonly #optimizer: HasParamGroups

  /** @param optimizer the optimizer whose groups' lr it reduces; @param options the policy */
  constructor(optimizer: HasParamGroups, options?: ReduceLROnPlateauOptions) {
    if (!optimizer || !Array.isArray(optimizer.paramGroups)) {
      throw new TypeError(`ReduceLROnPlateau: the first argument must be an optimizer, got ${describe(optimizer)}`)
    }
    const keys = ['mode', 'factor', 'patience', 'threshold', 'thresholdMode', 'cooldown', 'minLr', 'eps']
    const {
      mode = 'min',
      factor = 0.1,
      patience = 10,
      threshold = 1e-4,
      thresholdMode = 'rel',
      cooldown = 0,
      minLr = 0,
      eps = 1e-8,
    } = given('ReduceLROnPlateau', options, [], keys)
    const c = checker('ReduceLROnPlateau', { factor, patience, threshold, cooldown, minLr, eps })
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

  /** Records one epoch's metric and reduces the lr if it has not improved for `patience` epochs. */
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

  /** The lr each group has now. */
  getLastLr(): number[] {
    return this.#optimizer.paramGroups.map((g) => g.lr)
  }

  /** The counters and the best metric, for a checkpoint. */
  stateDict(): { scheduler: string; lastEpoch: number; best: number; numBadEpochs: number; cooldownCounter: number } {
    return {
      scheduler: 'ReduceLROnPlateau',
      lastEpoch: this.lastEpoch,
      best: this.best,
      numBadEpochs: this.numBadEpochs,
      cooldownCounter: this.cooldownCounter,
    }
  }

  /** Restores what {@link ReduceLROnPlateau.stateDict} saved. */
  loadStateDict(state: ReturnType<ReduceLROnPlateau['stateDict']>): void {
    const where = 'ReduceLROnPlateau.loadStateDict()'
    if (state?.scheduler !== 'ReduceLROnPlateau')
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
