// The public API: everything a user imports from 'wasm-optim'. This file only re-exports.

export type { MemoryStats } from './arena.js'
export { type ParamState, STATE_FORMAT, STATE_VERSION, type StateDict } from './checkpoint.js'
export type { StateDtype } from './compact.js'
export { Optimizer } from './optimizer.js'
export * from './optimizers/index.js'
export { type OptionSpec, type OptionsOf, option, type Schema } from './options.js'
export { Parameter, type ParameterOptions, parameter } from './parameter.js'
export type {
  GroupSpec,
  NonFinitePolicy,
  OptimizerOptions,
  ParamGroup,
  ParamSpec,
  Params,
  SubnormalMode,
} from './params.js'
export {
  type InitOptions,
  type InitResult,
  init,
  MIN_PARALLEL,
  MIN_PARALLEL_ASLEEP,
  memoryStats,
  PER_THREAD,
  shutdown,
  simdSupported,
} from './runtime.js'
export * from './schedulers/index.js'
export { ETA2_EDGES, GAMMA_EDGES, type GroupStats, type OptimizerStats, type StatsOptions } from './stats.js'

import { toBase64 } from './checkpoint.js'
import { readState } from './compact.js'
import { freeScratch, gemm, scratch, stage } from './gemm.js'
import { extension, runtime, view } from './runtime.js'
import { describe } from './validate.js'
/**
 * @internal What wasm-optim/tfjs, the library's other entry, needs of it (one runtime, one memory
 * for both entries; helpers it would otherwise carry a copy of): not part of the API, not in the .d.ts.
 */
export const internals = { extension, view, describe, toBase64, gemm, scratch, stage, freeScratch, runtime, readState }
