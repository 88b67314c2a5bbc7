// The passes over gradients alone, each a wasm kernel walked over every parameter
// (assembly/grad.ts): global-norm and value clipping, and the search for a non-finite element
// that the non-finite policy runs before a step.
import { runtime, view } from './runtime.js'
import { READ_G, type Slot, type Walker, WRITE_G } from './walk.js'

/**
 * PyTorch's `clip_grad_norm_`: the global L2 norm of all gradients, Σg² in f64 chunk by chunk in
 * a fixed order; if finite, every gradient is scaled by maxNorm/(norm + 1e-6) where that is
 * below 1. Returns the norm before clipping.
 */
export function clipByNorm(
  where: string,
  slots: Slot[],
  w: Walker,
  maxNorm: number,
  errorIfNonfinite: boolean,
): number {
  const k = runtime().kernels
  let sum = 0
  for (const s of slots) for (w.begin(s, READ_G); w.next(); ) sum += k.sumsq(w.g, w.n)
  const norm = Math.sqrt(sum)
  if (!Number.isFinite(norm)) {
    if (errorIfNonfinite)
      throw new RangeError(`${where}: the total gradient norm is ${norm}; gradients were not changed`)
    return norm
  }
  const coef = maxNorm / (norm + 1e-6)
  if (coef < 1) for (const s of slots) for (w.begin(s, READ_G | WRITE_G); w.next(); ) k.scale(w.g, w.n, coef)
  return norm
}

/** PyTorch's `clip_grad_value_`: every element clamped to [−v, v]; NaN stays NaN. */
export function clipByValue(slots: Slot[], w: Walker, v: number): void {
  const k = runtime().kernels
  for (const s of slots) for (w.begin(s, READ_G | WRITE_G); w.next(); ) k.clamp(w.g, w.n, -v, v)
}

/** The first gradient element that is NaN or ±Infinity, by group, parameter and index; undefined if none. */
export function firstNonFinite(slots: Slot[][], w: Walker, only?: ReadonlySet<Slot>) {
  const k = runtime().kernels
  for (let i = 0; i < slots.length; i++) {
    for (let j = 0; j < slots[i].length; j++) {
      const s = slots[i][j]
      if (only && !only.has(s)) continue
      for (w.begin(s, READ_G); w.next(); ) {
        const at = k.nonfinite(w.g, w.n)
        if (at < 0) continue
        const index = w.off + at
        return { i, j, name: s.name, index, value: s.grad.user ? s.grad.user[index] : view(s.g, s.n)[index] }
      }
    }
  }
  return undefined
}
