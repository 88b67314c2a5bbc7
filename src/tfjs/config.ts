// What every wasm-optim/tfjs optimizer is made from: its learning rate, the adapter's own options
// and its rule's, checked once, at construction, with messages that name the option and the range.
import { internals } from '../index.js'
import { checkRate, type LearningRate } from './rate.js'

/** What every wasm-optim/tfjs optimizer takes besides its rule's own options. */
export interface AdapterOptions {
  /** Scale every gradient so that their global L2 norm is at most this (PyTorch's clip_grad_norm_). */
  clipNorm?: number
  /** Clamp every gradient element to [−clipValue, clipValue]. */
  clipValue?: number
  /** Sum the gradients of this many applyGradients() calls in wasm memory and step on every k-th. Default 1. */
  accumulate?: number
  /** What a step does with a NaN or ±Infinity gradient (see wasm-optim's NonFinitePolicy). Default 'propagate'. */
  nonFinite?: 'propagate' | 'skip' | 'throw'
  /** 'auto': the fastest safe data path for the backend (see docs/tfjs.md); 'copy': always the public one. Default 'auto'. */
  dataPath?: 'auto' | 'copy'
}

/** The saved form of an optimizer: its kind's options, the learning rate and the adapter's options. */
export interface AdapterConfig {
  [key: string]: unknown
  /** The learning rate: a number, a function of the iteration count, or a wasm-optim scheduler. */
  learningRate: LearningRate
}

/** The adapter's options, checked, defaults filled in. */
export type AdapterSettings = Required<Omit<AdapterOptions, 'clipNorm' | 'clipValue'>> &
  Pick<AdapterOptions, 'clipNorm' | 'clipValue'>

/** Splits a config into the learning rate, the adapter's options and the rule's, checking the first two. */
export function checkConfig(where: string, config: AdapterConfig) {
  const {
    learningRate,
    clipNorm,
    clipValue,
    accumulate = 1,
    nonFinite = 'propagate',
    dataPath = 'auto',
    ...options
  } = config
  const rate = checkRate(where, learningRate)
  for (const [key, value] of [
    ['clipNorm', clipNorm],
    ['clipValue', clipValue],
  ] as const) {
    if (value !== undefined && !(typeof value === 'number' && value >= 0 && Number.isFinite(value))) {
      throw new RangeError(`${where}: ${key} must be a number in [0, ∞), got ${internals.describe(value)}`)
    }
  }
  if (!Number.isInteger(accumulate) || (accumulate as number) < 1) {
    throw new RangeError(`${where}: accumulate must be an integer ≥ 1, got ${internals.describe(accumulate)}`)
  }
  if (dataPath !== 'auto' && dataPath !== 'copy')
    throw new TypeError(`${where}: dataPath must be 'auto' or 'copy', got ${internals.describe(dataPath)}`)
  const adapter = { clipNorm, clipValue, accumulate, nonFinite, dataPath } as AdapterSettings
  return { rate, adapter, options }
}
