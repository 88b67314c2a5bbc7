// Learning-rate schedulers: the base class, and the checks every scheduler's options go through.
import { Checker, describe } from '../validate.js'

/** What a scheduler needs of an optimizer: groups with a learning rate it may set. */
export interface HasParamGroups {
  /** The parameter groups, each with its learning rate. */
  paramGroups: { lr: number }[]
}

/** A scheduler's checkpoint: its kind, its counters, and whatever else it keeps. */
export interface SchedulerState {
  /** The scheduler's class name: a state loads only into the same kind. */
  scheduler: string
  /** Its epoch count. */
  lastEpoch: number
  /** Each group's base lr. */
  baseLrs: number[]
  [extra: string]: unknown
}

/** Each scheduler's option names, by its name, as its constructor declares them (see `given`). */
const OPTION_NAMES = new Map<string, readonly string[]>()

/**
 * Learning-rate schedules with PyTorch's `torch.optim.lr_scheduler` semantics: creating one sets
 * each group's lr for epoch 0, and `scheduler.step()`, called after `opt.step()`, moves to the
 * next epoch and sets lr again. The lr is a closed-form function of the epoch and the group's
 * initial lr, so a scheduler restored from `stateDict()` goes on exactly where it was. Given a
 * number instead of an optimizer, it schedules a group of its own with that initial lr: such a
 * scheduler is what wasm-optim/tfjs takes as a `learningRate` (and saves with the model).
 */
export abstract class LRScheduler {
  /** The epoch (number of scheduler steps) the current lr belongs to. */
  lastEpoch = 0
  /** Each group's lr when the scheduler was created. */
  readonly baseLrs: number[]
  /** The optimizer whose groups' lr it sets. */
  protected readonly optimizer: HasParamGroups
  /** The class name, in messages and checkpoints. */
  protected readonly name: string

  protected constructor(name: string, optimizer: HasParamGroups | number) {
    if (typeof optimizer === 'number') {
      if (!(optimizer >= 0 && Number.isFinite(optimizer)))
        throw new RangeError(`${name}: the initial learning rate must be a number in [0, ∞), got ${optimizer}`)
      optimizer = { paramGroups: [{ lr: optimizer }] }
    }
    if (!optimizer || !Array.isArray(optimizer.paramGroups)) {
      throw new TypeError(
        `${name}: the first argument must be an optimizer or an initial learning rate, got ${describe(optimizer)}`,
      )
    }
    this.name = name
    this.optimizer = optimizer
    this.baseLrs = optimizer.paramGroups.map((g) => g.lr)
  }

  /** The schedule's options as given, defaults filled in (what makes the same scheduler again). */
  get options(): Record<string, unknown> {
    const self = this as unknown as Record<string, unknown>
    return Object.fromEntries((OPTION_NAMES.get(this.name) ?? []).map((k) => [k, self[k]]))
  }

  /** The lr of a group with initial lr `base` at `epoch`. */
  protected abstract lrAt(base: number, epoch: number): number

  /** Advances one epoch and sets every group's lr. */
  step(): void {
    this.seek(this.lastEpoch + 1)
  }

  /** Moves to `epoch` (an integer ≥ 0) and sets every group's lr for it: the schedule is a function of the epoch. */
  seek(epoch: number): void {
    if (!Number.isInteger(epoch) || epoch < 0)
      throw new RangeError(`${this.name}.seek(): epoch must be an integer ≥ 0, got ${describe(epoch)}`)
    this.lastEpoch = epoch
    this.apply()
  }

  /** The lr each group was last given. */
  getLastLr(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr)
  }

  /** The scheduler's counters and base lrs, for a checkpoint. */
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

  /** Sets every group's lr for the current epoch. */
  protected apply(): void {
    this.optimizer.paramGroups.forEach((g, i) => {
      g.lr = this.lrAt(this.baseLrs[i], this.lastEpoch)
    })
  }
}

export const checker = (name: string, o: object) => new Checker(name, o as Record<string, unknown>)

/**
 * A scheduler's options object, checked: an object, with every key in `known` and the `needed`
 * ones present. Throws "StepLR needs { stepSize }" for `new StepLR(opt)`. `known` are also the
 * names of the scheduler's fields that hold them (its `options`).
 */
export function given<T extends object>(
  name: string,
  o: T | undefined,
  needed: readonly string[],
  known: readonly string[],
): T {
  OPTION_NAMES.set(name, known)
  const wants = needed.length > 0 ? `${name} needs { ${needed.join(', ')} }` : `${name}'s options must be an object`
  if (o === undefined && needed.length === 0) return {} as T
  if (o === null || typeof o !== 'object') throw new TypeError(`${wants}, got ${describe(o)}`)
  const missing = needed.filter((k) => (o as Record<string, unknown>)[k] === undefined)
  if (missing.length > 0)
    throw new TypeError(`${wants}; ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} missing`)
  for (const k of Object.keys(o)) {
    if (!known.includes(k)) throw new TypeError(`${name}: unknown option '${k}'; the options are ${known.join(', ')}`)
  }
  return o
}
export const positiveInteger = (c: Checker, key: string, value: unknown) => {
  if (!Number.isInteger(value) || (value as number) < 1) c.fail(`${key} must be an integer ≥ 1, got ${describe(value)}`)
}
