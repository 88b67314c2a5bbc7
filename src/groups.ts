// An optimizer's parameter groups: made from what the user gives (each group owns its options,
// arrays included), checked before every step (unknown names, each option's range, the state
// its options need), and the parameters a step names.

import type { StateDtype } from './compact.js'
import {
  checkKeys,
  checkPolicy,
  type NonFinitePolicy,
  oneOf,
  type ParamGroup,
  type Params,
  type SubnormalMode,
  toGroups,
  unknownOption,
} from './params.js'
import { Checker, describe } from './validate.js'
import { checkSlot, type Slot } from './walk.js'

/**
 * A copy of an options object that owns its arrays (betas, nsCoefficients): a group never shares
 * an array with another group, the class's defaults or the caller, so a change made in place
 * (`opt.paramGroups[0].betas[0] = 0.5`) reaches that group alone, and is checked at the next step
 * like an assignment.
 */
export function ownOptions<T extends object>(o: T): T {
  const out = { ...o }
  for (const key of Object.keys(out) as (keyof T)[]) {
    const v = out[key]
    if (Array.isArray(v)) out[key] = [...v] as T[keyof T]
  }
  return out
}

/** What a constructor needs checked: its options' checks and the subnormal modes its kernel offers. */
export interface GroupRules<O> {
  check(group: O, c: Checker): void
  modes: readonly SubnormalMode[]
}

/** Checks a subnormal mode against the ones this optimizer's kernel offers. */
export function checkSubnormals(name: string, where: string, mode: unknown, modes: readonly SubnormalMode[]) {
  const why = modes.length === 1 ? ` (${name} computes TF.js's bits, which keep subnormals)` : ''
  return oneOf(`${where}: subnormals`, mode, modes, why)
}

/** The optimizer-wide options and the checked groups, each with its own copy of every option. */
export function makeGroups<O extends object>(
  name: string,
  params: Params<O>,
  classDefaults: O,
  options: object | undefined,
  rules: GroupRules<O>,
): { defaults: O; groups: ParamGroup<O>[]; nonFinite: NonFinitePolicy; subnormals: SubnormalMode } {
  const all = { ...classDefaults, nonFinite: 0, subnormals: 0 }
  const {
    nonFinite = 'propagate',
    subnormals = rules.modes[0],
    ...groupOptions
  } = checkKeys<{ nonFinite: unknown; subnormals: unknown }>(`${name}: options`, options ?? {}, all)
  const defaults = ownOptions({ ...classDefaults, ...(groupOptions as Partial<O>) })
  const groups = toGroups(name, params).map((spec, i) => {
    const { params: list, ...own } = spec
    const where = `${name}: paramGroups[${i}]`
    const group = { ...ownOptions({ ...defaults, ...checkKeys(where, own, classDefaults) }), params: [...list] }
    rules.check(group as ParamGroup<O>, new Checker(where, group))
    return group as ParamGroup<O>
  })
  return {
    defaults,
    groups,
    nonFinite: checkPolicy(name, ': options', nonFinite),
    subnormals: checkSubnormals(name, `${name}: options`, subnormals, rules.modes),
  }
}

/** What a group's state was made with at construction: its buffers and their format (undefined: float32 only). */
export interface Allocated {
  buffers: ReadonlySet<string>
  dtype: StateDtype | undefined
}

/**
 * Checks a group's options, that it has no unknown one, and that its state was made for them:
 * the buffers they need were allocated, and its stateDtype is the one it was made with.
 */
export function checkGroup<O extends object>(
  where: string,
  group: O,
  defaults: O,
  check: (group: O, c: Checker) => void,
  needs: readonly string[],
  allocated: Allocated,
): void {
  for (const key of Object.keys(group))
    if (key !== 'params' && !Object.hasOwn(defaults, key)) unknownOption(where, key, defaults)
  check(group, new Checker(where, group as Record<string, unknown>))
  const dtype = (group as { stateDtype?: StateDtype }).stateDtype
  if (dtype !== allocated.dtype) {
    throw new TypeError(
      `${where}: stateDtype is fixed when the optimizer is made ('${allocated.dtype}'), got ${describe(dtype)}: ` +
        "make a new optimizer and load this one's stateDict() into it",
    )
  }
  for (const b of needs) {
    if (!allocated.buffers.has(b)) {
      throw new RangeError(
        `${where}: these options need the state buffer '${b}', which was not ` +
          `allocated at construction; set the option that needs it (e.g. amsgrad, centered, momentum > 0) ` +
          `when creating the optimizer`,
      )
    }
  }
}

/** The parameters named in `only`, for step(): every name must be a parameter's. */
export function namedSlots(name: string, slots: readonly Slot[][], only: Iterable<string>): Set<Slot> {
  const byName = new Map(slots.flat().map((s) => [s.name, s]))
  const out = new Set<Slot>()
  if (
    typeof only === 'string' ||
    only === null ||
    typeof (only as Iterable<string>)?.[Symbol.iterator] !== 'function'
  ) {
    throw new TypeError(`${name}.step(only): only must be an array of parameter names, got ${describe(only)}`)
  }
  for (const n of only) {
    const s = byName.get(n)
    if (s === undefined || n === undefined) {
      throw new TypeError(
        `${name}.step(only): no parameter is named ${describe(n)}; name parameters ({ param, grad, name }) to step some of them`,
      )
    }
    out.add(s)
  }
  return out
}

/** Each group's name in the messages of a method that runs every step, made once. */
export function groupNames(name: string, method: string, groups: readonly unknown[]): string[] {
  return groups.map((_, i) => `${name}.${method}(): paramGroups[${i}]`)
}

/** Checks every parameter of every group (see checkSlot); `where[i]` names group i. */
export function checkSlots(slots: readonly (readonly Slot[])[], where: readonly string[]): void {
  for (let i = 0; i < slots.length; i++) for (let j = 0; j < slots[i].length; j++) checkSlot(slots[i][j], where[i], j)
}
