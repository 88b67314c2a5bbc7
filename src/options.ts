// The one place an optimizer's options are declared: one table per optimizer, each entry its
// kind, default and allowed range, with its line of doc as the entry's doc comment. The option
// type (whose properties show those comments in an editor), the class's defaults, the checks and
// their messages, the property tests' ranges (test/registry.ts) and the docs' tables
// (scripts/docs-tables.ts, checked by test/docs.test.ts) are all derived from it.
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

/** The defaults a table declares, as a fresh object (arrays copied). */
export function defaultsOf<S extends Schema>(schema: S): OptionsOf<S> {
  const out: Record<string, unknown> = {}
  for (const [key, spec] of Object.entries(schema))
    out[key] = Array.isArray(spec.default) ? [...spec.default] : spec.default
  return out as OptionsOf<S>
}

/** "[0, ∞)", "[0, 1)", "[1, 1000]": the range a number option allows. */
export function rangeText(spec: OptionSpec): string {
  const hi = spec.hi === Number.POSITIVE_INFINITY ? '∞' : spec.hi
  return `[${spec.lo}, ${hi}${spec.closed ? ']' : ')'}`
}

/** Checks every option of a group against its table; the Checker's messages name the option, the value and the range. */
export function checkOptions(schema: Schema, c: Checker, group: Record<string, unknown>): void {
  for (const [key, spec] of Object.entries(schema)) {
    const value = group[key]
    switch (spec.kind) {
      case 'number':
        c.range(key, spec.lo!, spec.hi!, spec.closed)
        if (spec.integer && !Number.isInteger(value))
          c.fail(`${key} must be an integer in ${rangeText(spec)}, got ${value}`)
        break
      case 'betas':
        c.betas(key)
        break
      case 'flag':
        c.flag(key)
        break
      case 'choice':
        oneOf(`${c.where}: ${key}`, value, spec.values!)
        break
      case 'numbers': {
        const n = (spec.default as number[]).length
        if (
          !Array.isArray(value) ||
          value.length !== n ||
          !value.every((x) => typeof x === 'number' && Number.isFinite(x))
        )
          throw new TypeError(
            `${c.where}: ${key} must be an array of ${n} finite numbers, got ${Array.isArray(value) ? JSON.stringify(value) : describe(value)}`,
          )
      }
    }
  }
}

/**
 * The parts of an options table, for a subclass of {@link Optimizer} (and wasm-optim/tfjs's):
 * `static readonly options = { lr: option.lr(1e-3), … }`, each entry with a doc comment, and
 * `static readonly defaults = option.defaultsOf(table)`; the base class checks every option
 * against its entry (src/options.ts).
 */
export const option = { number, nonNegative, lr, unit, betas, flag, choice, numbers, defaultsOf }
