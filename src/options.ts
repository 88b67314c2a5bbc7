// The one place an optimizer's options are declared: one table per optimizer, each entry its
// kind, default and allowed range, with its line of doc as the entry's doc comment. The option
// type (whose properties show those comments in an editor), the class's defaults, the checks and
// their messages, the property tests' ranges (test/registry.ts) and the docs' tables
// (scripts/docs-tables.ts, checked by test/docs.test.ts) are all derived from it.
import type { StateDtype } from './compact.js'
import { oneOf } from './params.js'
import { type Checker, describe } from './validate.js'

/** One option: its kind, default and allowed range; `test` is the range the property tests draw from. */
export interface OptionSpec<T = unknown> {
  /** What values it takes: a number in a range, a pair [β1, β2], a flag, one of a few strings, a tuple of numbers. */
  readonly kind: 'number' | 'betas' | 'flag' | 'choice' | 'numbers'
  /** The value a group gets where it does not set this option. */
  readonly default: T
  /** number: the lowest allowed value. */
  readonly lo?: number
  /** number: the bound above, excluded unless `closed`; Infinity means any finite number. */
  readonly hi?: number
  /** number: whether `hi` itself is allowed. */
  readonly closed?: boolean
  /** number: whether it must be an integer. */
  readonly integer?: boolean
  /** number and betas: the sub-range the property tests draw from. */
  readonly test?: readonly [number, number]
  /** choice: the allowed values. */
  readonly values?: readonly string[]
}

/** An optimizer's options table. */
export type Schema = Readonly<Record<string, OptionSpec>>

/** The option type a table declares. */
export type OptionsOf<S extends Schema> = { -readonly [K in keyof S]: S[K] extends OptionSpec<infer T> ? T : never }

interface Bounds {
  hi?: number
  closed?: boolean
  integer?: boolean
  test?: readonly [number, number]
}

/** A number ≥ lo, below hi (or up to hi if closed); finite. */
export function number(def: number, lo = 0, b: Bounds = {}): OptionSpec<number> {
  const hi = b.hi ?? Number.POSITIVE_INFINITY
  const test = b.test ?? [lo, Math.min(hi, lo + 0.1)]
  return { kind: 'number', default: def, lo, hi, closed: b.closed ?? false, integer: b.integer ?? false, test }
}

/** A finite number ≥ 0 (ε, weight decay, …); the tests draw from [0, testMax]. */
export const nonNegative = (def: number, testMax = 0.1) => number(def, 0, { test: [0, testMax] })

/** The learning rate: a finite number ≥ 0. */
export const lr = (def: number) => nonNegative(def, 1)

/** A decay rate in [0, 1). */
export const unit = (def: number) => number(def, 0, { hi: 1, test: [0, 0.999] })

/** A pair [β1, β2], each in [0, 1). */
export function betas(def: [number, number], test: [number, number] = [0, 0.999]): OptionSpec<[number, number]> {
  return { kind: 'betas', default: def, test }
}

/** true or false. */
export const flag = (def: boolean): OptionSpec<boolean> => ({ kind: 'flag', default: def })

/** One of a few strings. */
export function choice<T extends string>(values: readonly T[], def: NoInfer<T>): OptionSpec<T> {
  return { kind: 'choice', default: def, values }
}

/** A tuple of finite numbers (Muon's Newton–Schulz coefficients). */
export function numbers<T extends number[]>(def: T): OptionSpec<T> {
  return { kind: 'numbers', default: def }
}

/** Entries several tables share, each written once: spread into a table (`...L2, ...MAXIMIZE`). */
export const MAXIMIZE = {
  /** Ascend instead of descend: g ← −g. */
  maximize: flag(false),
}
/** How the state (moments) is stored, in the table of every optimizer whose kernel keeps compact state (src/compact.ts). */
export const STATE_DTYPE = {
  /** State storage: 'f32'; 'bf16' (2 bytes, rounded stochastically); 'q8' (8-bit blockwise, ≈1 byte; under 4,096 elements stays 'f32'). Fixed at construction. */
  stateDtype: choice<StateDtype>(['f32', 'bf16', 'q8'], 'f32'),
}
export const L2 = {
  /** Coupled (L2) weight decay: g ← g + wd·θ. */
  weightDecay: nonNegative(0),
}

/** The defaults a table declares, as a fresh object (arrays copied). */
export function defaultsOf<S extends Schema>(schema: S): OptionsOf<S> {
  const out: Record<string, unknown> = {}
  for (const [key, spec] of Object.entries(schema))
    out[key] = Array.isArray(spec.default) ? [...spec.default] : spec.default
  return out as OptionsOf<S>
}

/** "[0, ∞)", "[0, 1)", "[1, 1000]": the range a number option allows. */
export function rangeText(spec: Pick<OptionSpec, 'lo' | 'hi' | 'closed'>): string {
  const hi = spec.hi === Number.POSITIVE_INFINITY ? '∞' : spec.hi
  return `[${spec.lo}, ${hi}${spec.closed ? ']' : ')'}`
}

/** One entry of a table, laid out for the check a step makes (every entry of the same shape). */
interface Entry {
  key: string
  kind: OptionSpec['kind']
  lo: number
  hi: number
  closed: boolean
  integer: boolean
  values: readonly string[]
  count: number
}

const ok = (x: unknown, e: Entry) =>
  typeof x === 'number' && x >= e.lo && (e.closed ? x <= e.hi : x < e.hi) && (!e.integer || Number.isInteger(x))

/**
 * The check of a group's options against a table, then `then` (the rules between options), made
 * once per optimizer: a step checks every group's options, so the valid case reads each option
 * once and allocates nothing; an invalid one throws through the Checker, whose messages name the
 * option, the value and the range.
 */
export function optionsCheck(
  schema: Schema,
  then: (group: object, c: Checker) => void,
): (group: object, c: Checker) => void {
  const entries: Entry[] = Object.entries(schema).map(([key, s]) => ({
    key,
    kind: s.kind,
    lo: s.kind === 'betas' ? 0 : (s.lo ?? 0),
    hi: s.kind === 'betas' ? 1 : (s.hi ?? 0),
    closed: s.closed ?? false,
    integer: s.integer ?? false,
    values: s.values ?? [],
    count: Array.isArray(s.default) ? s.default.length : 0,
  }))
  return (group, c) => {
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]
      const value = (group as Record<string, unknown>)[e.key]
      switch (e.kind) {
        case 'number':
          if (ok(value, e)) break
          c.range(e.key, e.lo, e.hi, e.closed)
          c.fail(`${e.key} must be an integer in ${rangeText(e)}, got ${value}`)
          break
        case 'betas':
          if (Array.isArray(value) && value.length === 2 && ok(value[0], e) && ok(value[1], e)) break
          c.betas(e.key)
          break
        case 'flag':
          if (typeof value !== 'boolean') c.flag(e.key)
          break
        case 'choice':
          oneOf(`${c.where}: ${e.key}`, value, e.values)
          break
        case 'numbers':
          if (Array.isArray(value) && value.length === e.count && value.every((x) => Number.isFinite(x))) break
          throw new TypeError(
            `${c.where}: ${e.key} must be an array of ${e.count} finite numbers, got ${Array.isArray(value) ? JSON.stringify(value) : describe(value)}`,
          )
      }
    }
    then(group, c)
  }
}

/**
 * The parts of an options table, for a subclass of {@link Optimizer} (and wasm-optim/tfjs's):
 * `static readonly options = { lr: option.lr(1e-3), … }`, each entry with a doc comment, and
 * `static readonly defaults = option.defaultsOf(table)`; the base class checks every option
 * against its entry (src/options.ts).
 */
export const option = { number, nonNegative, lr, unit, betas, flag, choice, numbers, defaultsOf }
