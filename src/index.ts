export { init, memoryStats, simdSupported, type InitOptions, type InitResult } from './runtime.js'
export type { MemoryStats } from './arena.js'
export { parameter, Parameter } from './parameter.js'
export {
  Optimizer,
  type ParamSpec,
  type GroupSpec,
  type Params,
  type ParamGroup,
  type NonFinitePolicy,
  type OptimizerOptions,
} from './optimizer.js'
export { SGD, type SGDOptions } from './optimizers/sgd.js'
export {
  MSGD,
  SSD,
  MSSD,
  SVAG,
  MSVAG,
  rho,
  type FamilyOptions,
  type MomentumOptions,
  type SSDOptions,
} from './optimizers/family.js'
export { Adam, AdamW, type AdamOptions } from './optimizers/adam.js'
export { Lion, type LionOptions } from './optimizers/lion.js'
export { RMSprop, type RMSpropOptions } from './optimizers/rmsprop.js'
export { Adagrad, type AdagradOptions } from './optimizers/adagrad.js'
export { STATE_FORMAT, STATE_VERSION, type StateDict, type ParamState } from './checkpoint.js'
export {
  LRScheduler,
  StepLR,
  MultiStepLR,
  ExponentialLR,
  CosineAnnealingLR,
  CosineAnnealingWarmRestarts,
  LinearLR,
  OneCycleLR,
  ReduceLROnPlateau,
  type SchedulerState,
  type HasParamGroups,
} from './schedulers.js'
export { GAMMA_EDGES, ETA2_EDGES, type GroupStats, type OptimizerStats, type StatsOptions } from './stats.js'
