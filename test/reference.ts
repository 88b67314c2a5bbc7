// The reference: every optimizer's rule, element by element, written from docs/algorithms.md (not
// from src/) with the same helper names as the kernels' lane maths (assembly/lanes.ts) and in the
// same operation order. Built with r = Math.fround every operation rounds to float32, exactly as
// wasm f32 arithmetic does, so the kernels must match it bit for bit; with r = identity it is a
// float64 reference, for comparisons within a tolerance. Each rule, with the settings the suites
// test it under, is in test/rules/ (adding an optimizer: one entry there).
import type { OptimizerName } from '../src/index.js'
import { formatOf, quantize } from './compact.js'
import {
  FLUSH_EVERY,
  flushes,
  ftz,
  type OptimizerRule,
  type Options,
  type Round,
  type State,
  type Vec,
} from './rule.js'
import { ADAPTIVE } from './rules/adaptive.js'
import { BASIC } from './rules/basic.js'
import { WHOLE } from './rules/whole.js'

export { f32, f64, type Options, type Round, type State, sumsq, type Vec } from './rule.js'
export { lerpReference, scheduleFree } from './rules/whole.js'

/** Every optimizer's rule and test settings, by the library's name. */
export const RULES: Record<OptimizerName, OptimizerRule> = { ...BASIC, ...ADAPTIVE, ...WHOLE }

/** Fresh state for n elements, each buffer at its initial value (rounded as stored, for the parameter at position `id`). */
export function initState(name: OptimizerName, o: Options, n: number, make: (n: number) => Vec, id = 0): State {
  const rule = RULES[name]
  const s: State = {}
  const fmt = formatOf(o.stateDtype, n)
  for (const k of rule.state(o)) {
    s[k] = make(n).fill(rule.initial?.(o, k) ?? 0)
    if (fmt !== 'f32') quantize(s[k] as Float32Array, fmt, k, false, 0, id)
  }
  return s
}

/**
 * One step of optimizer `name` with full options `o` at step count t over all elements (a
 * method that steps whole parameters gets `shape`, by default [1, length]); when flushing
 * subnormals, every FLUSH_EVERY-th step ends by flushing every state buffer. With a compact
 * stateDtype, the state is rounded as the parameter at position `id` of its optimizer stores it.
 */
export function referenceStep(
  name: OptimizerName,
  o: Options,
  p: Vec,
  g: Vec,
  s: State,
  t: number,
  r: Round,
  shape: readonly number[] = [1, p.length],
  id = 0,
): void {
  const rule = RULES[name]
  if (rule.whole) rule.whole(o, t, r, shape, p, g, s)
  else {
    const update = rule.step(o, t, r)
    for (let i = 0; i < p.length; i++) update(p, g, s, i)
  }
  // Compact state (test/compact.ts) is rounded as it is stored, and flushed as it is encoded.
  const fmt = formatOf(o.stateDtype, p.length) as string
  if (fmt !== 'f32') for (const [k, b] of Object.entries(s)) quantize(b as Float32Array, fmt, k, flushes(o), t, id)
  else if (flushes(o) && t % FLUSH_EVERY === 0) for (const b of Object.values(s)) b.set(b.map(ftz))
}
