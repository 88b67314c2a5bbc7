// Learning-rate schedules with PyTorch's torch.optim.lr_scheduler semantics.
export { type HasParamGroups, LRScheduler, type SchedulerState } from './base.js'
export {
  CosineAnnealingLR,
  type CosineAnnealingLROptions,
  CosineAnnealingWarmRestarts,
  type CosineAnnealingWarmRestartsOptions,
  ExponentialLR,
  type ExponentialLROptions,
  LinearLR,
  type LinearLROptions,
  MultiStepLR,
  type MultiStepLROptions,
  OneCycleLR,
  type OneCycleLROptions,
  StepLR,
  type StepLROptions,
} from './closed-form.js'
export { ReduceLROnPlateau, type ReduceLROnPlateauOptions } from './plateau.js'

import {
  CosineAnnealingLR,
  CosineAnnealingWarmRestarts,
  ExponentialLR,
  LinearLR,
  MultiStepLR,
  OneCycleLR,
  StepLR,
} from './closed-form.js'

/**
 * Every scheduler whose lr is a closed-form function of the epoch, by name: those that
 * wasm-optim/tfjs takes as a `learningRate` and saves with a model (ReduceLROnPlateau, which
 * follows a metric, is not one).
 */
export const schedulers = {
  StepLR,
  MultiStepLR,
  ExponentialLR,
  CosineAnnealingLR,
  CosineAnnealingWarmRestarts,
  LinearLR,
  OneCycleLR,
} as const
