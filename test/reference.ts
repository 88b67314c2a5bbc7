// The reference: every optimizer's rule, element by element, written from docs/algorithms.md (not
// from src/) with the same helper names as the kernels' lane maths (assembly/lanes.ts) and in the
// same operation order. Built with r = Math.fround every operation rounds to float32, exactly as
// wasm f32 arithmetic does, so the kernels must match it bit for bit; with r = identity it is a
// float64 reference, for comparisons within a tolerance. Each rule, with the settings the suites
// test it under, is in test/rules/ (adding an optimizer: one entry there).
import type { OptimizerName } from '../src/index.js'
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

/** Fresh state for n elements, each buffer at its initial value. */
export function initState(name: OptimizerName, o: Options, n: number, make: (n: number) => Vec): State {
  const rule = RULES[name]
  const s: State = {}
  for (const k of rule.state(o)) s[k] = make(n).fill(rule.initial?.(o, k) ?? 0)
  return s
}

/**
 * One step of optimizer `name` with full options `o` at step count t over all elements (a
 * method that steps whole parameters gets `shape`, by default [1, length]); when flushing
 * subnormals, every FLUSH_EVERY-th step ends by flushing every state buffer.
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
): void {
  const rule = RULES[name]
  if (rule.whole) rule.whole(o, t, r, shape, p, g, s)
  else {
    const update = rule.step(o, t, r)
    for (let i = 0; i < p.length; i++) update(p, g, s, i)
  }
  if (flushes(o) && t % FLUSH_EVERY === 0) for (const b of Object.values(s)) b.set(b.map(ftz))
}
