// The registry of the library's optimizers: every class by the name it has in messages,
// checkpoints and the docs, and what the package exports of them (src/index.ts re-exports this
// file). The tests, the benchmarks and the demos take their lists from here (test/reference.ts
// adds each one's reference rule and test settings, and test/registry.test.ts fails loudly where
// one is missing).

import type { Optimizer, Params } from '../optimizer.js'
import type { Schema } from '../options.js'
import { Adadelta } from './adadelta.js'
import { Adagrad } from './adagrad.js'
import { Adam, AdamW } from './adam.js'
import { Adamax } from './adamax.js'
import { MSGD, MSSD, MSVAG, SSD, SVAG } from './family.js'
import { Lion } from './lion.js'
import { Muon } from './muon.js'
import { NAdam } from './nadam.js'
import { RAdam } from './radam.js'
import { RMSprop } from './rmsprop.js'
import { ScheduleFreeAdamW } from './schedulefree.js'
import { SGD } from './sgd.js'

export { Adadelta, type AdadeltaOptions } from './adadelta.js'
export { Adagrad, type AdagradOptions } from './adagrad.js'
export { Adam, type AdamOptions, AdamW } from './adam.js'
export { Adamax, type AdamaxOptions } from './adamax.js'
export {
  type FamilyOptions,
  type MomentumOptions,
  MSGD,
  MSSD,
  MSVAG,
  rho,
  SSD,
  type SSDOptions,
  SVAG,
} from './family.js'
export { Lion, type LionOptions } from './lion.js'
export { Muon, type MuonOptions } from './muon.js'
export { NAdam, type NAdamOptions } from './nadam.js'
export { RAdam, type RAdamOptions } from './radam.js'
export { RMSprop, type RMSpropOptions } from './rmsprop.js'
export { ScheduleFreeAdamW, type ScheduleFreeAdamWOptions } from './schedulefree.js'
export { SGD, type SGDOptions } from './sgd.js'

/** Every optimizer class, by name: the paper's family first, then the methods users already know. */
export const optimizers = {
  SGD,
  MSGD,
  SSD,
  MSSD,
  SVAG,
  MSVAG,
  Adam,
  AdamW,
  Lion,
  RMSprop,
  Adagrad,
  Adamax,
  Adadelta,
  NAdam,
  RAdam,
  ScheduleFreeAdamW,
  Muon,
} as const

// The classes' defaults are shared by every optimizer made after them: frozen, arrays included,
// so that no one changes them in place (each group owns copies; see groups.ts's ownOptions).
for (const cls of Object.values(optimizers)) {
  for (const v of Object.values(cls.defaults)) if (Array.isArray(v)) Object.freeze(v)
  Object.freeze(cls.defaults)
}

/** The name of an optimizer in {@link optimizers}. */
export type OptimizerName = keyof typeof optimizers

// biome-ignore lint/suspicious/noExplicitAny: the options, kernel and scalars of any optimizer
type AnyOptimizer = Optimizer<any, any, any>
// biome-ignore lint/suspicious/noExplicitAny: the options and groups of any optimizer
type AnyParams = Params<any>
/**
 * Any optimizer class of {@link optimizers}, typed loosely enough for tables of all of them (a
 * setting that picks one by name, a benchmark over every one): its constructor, its options
 * table, the options a group gets where it sets none, and whether it steps weight matrices whole (Muon: each
 * parameter needs a shape, and element-wise suites skip it).
 */
export type OptimizerClass = (new (
  params: AnyParams,
  options?: object,
) => AnyOptimizer) & {
  readonly defaults: object
  readonly options: Schema
  readonly matrices: boolean
}
