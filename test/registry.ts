// The test registry: for every optimizer of the library (src/optimizers/index.ts), what the
// suites need to test it: its reference rule and test settings (test/rules/, collected in
// test/reference.ts) and its plain TypeScript baseline (bench/plain.ts, PLAIN);
// test/registry.test.ts fails, naming what is missing, when an optimizer lacks any of them. Every
// suite takes its list from here.
import fc from 'fast-check'
import { type OptimizerClass, type OptimizerName, optimizers, parameter } from '../src/index.js'
import type { OptionSpec } from '../src/options.js'
import { stateValues } from './helpers.js'
import { RULES } from './reference.js'
import type { TestSettings } from './rule.js'

export { combos } from './rule.js'

/** Each optimizer's test settings (and reference rule), by name. */
export const REGISTRY: Record<OptimizerName, TestSettings> = RULES

/** One option's test values: its table's test range (src/options.ts), every flag and choice. */
function arbitrary(spec: OptionSpec): fc.Arbitrary<unknown> {
  const [min, max] = spec.test ?? [0, 0]
  const real = fc.double({ min, max, noNaN: true })
  switch (spec.kind) {
    case 'number':
      return spec.integer ? fc.integer({ min, max }) : real
    case 'betas':
      return fc.tuple(real, real)
    case 'flag':
      return fc.boolean()
    case 'choice':
      return fc.constantFrom(...(spec.values ?? []))
    case 'numbers':
      return fc.constant(spec.default)
  }
}

/** Valid options of optimizer `name` over their test ranges, every flag and choice included, for the property tests. */
export function ranges(name: OptimizerName): fc.Arbitrary<object> {
  const table = optimizers[name].options
  const record = fc.record(Object.fromEntries(Object.entries(table).map(([k, spec]) => [k, arbitrary(spec)])))
  const fix = REGISTRY[name].fix
  return fix ? record.map(fix) : record
}

export type Ctor = OptimizerClass
export const OPTIMIZERS: Record<OptimizerName, OptimizerClass> = optimizers
export const NAMES = Object.keys(optimizers) as OptimizerName[]
/** The optimizers whose options table has stateDtype (compact state; test/state-dtype.test.ts checks the list). */
export const COMPACT = NAMES.filter((n) => 'stateDtype' in OPTIMIZERS[n].options)

/** A `{ param, grad }` pair for optimizer `name`, with the shape it needs if it needs one. */
export function spec(name: OptimizerName, param: Float32Array, grad: Float32Array) {
  const shape = REGISTRY[name]?.shape?.(param.length)
  return shape ? { param, grad, shape } : { param, grad }
}

/** A parameter() for optimizer `name`, with the shape it needs if it needs one. */
export function param(name: OptimizerName, init: number | ArrayLike<number>) {
  const n = typeof init === 'number' ? init : init.length
  return parameter(init, { shape: REGISTRY[name]?.shape?.(n) })
}

/** Every (optimizer, options) pair of every optimizer's paths. */
export const CASES: [OptimizerName, object][] = NAMES.flatMap((name) =>
  (REGISTRY[name]?.paths ?? []).map((o): [OptimizerName, object] => [name, o]),
)

/** θ and the (decoded) state of each parameter after a run. */
export interface Run {
  params: Float32Array[]
  state: Record<string, Float32Array>[]
}

/**
 * Optimizer `name` over one parameter per entry of `data` (each its own group), parameter()
 * buffers or plain arrays, stepped `steps` times with the data's gradients: θ and the state.
 */
export function runGroups(
  name: OptimizerName,
  options: object,
  data: readonly { theta: Float32Array; grads: Float32Array[] }[],
  steps: number,
  resident: boolean,
): Run {
  const specs = data.map((d) =>
    resident ? param(name, d.theta) : spec(name, Float32Array.from(d.theta), new Float32Array(d.theta.length)),
  )
  const opt = new OPTIMIZERS[name](
    specs.map((s) => ({ params: [s] })),
    options,
  )
  for (let t = 0; t < steps; t++) {
    specs.forEach((s, i) => {
      s.grad.set(data[i].grads[t])
    })
    opt.step()
  }
  const run = { params: specs.map((s) => Float32Array.from(s.param)), state: opt.slots.map(([s]) => stateValues(s)) }
  opt.dispose()
  for (const s of specs) if ('dispose' in s) s.dispose()
  return run
}
