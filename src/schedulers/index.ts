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
