// The passes over gradients alone, each a wasm kernel walked over every parameter
// (assembly/grad.ts): global-norm and value clipping, and the search for a non-finite element
// that the non-finite policy runs before a step. parameter() buffers split over the helper
// threads where there are any; sums and searches are kept per 8192-element chunk and combined in
// order, so the results are the same for any number of threads.
import { addPerChunk, addRange, chunksOf, Pass } from './parallel.js'
import { poolFor, runtime, view } from './runtime.js'
import type { Pool } from './threads.js'
import { CHUNK, READ_G, type Slot, type Walker, WRITE_G } from './walk.js'

const resident = (s: Slot) => !s.grad.user

/** The helpers for a pass over these slots' gradients, if there are helpers and enough elements in parameter() buffers. */
function poolOver(slots: Iterable<Slot>): Pool | undefined {
  if (!runtime().pool) return undefined
  let n = 0
  for (const s of slots) if (resident(s)) n += s.n
  return poolFor(n)
}

/**
 * Runs `kernel` (sumsq, nonfinite) on every chunk of these slots' parameter() gradients on the
 * helpers. Returns the finished pass: chunk c of slot j has result `result(firsts[j] + c)`; plain
 * arrays are left to the caller, which walks them on the calling thread.
 */
function perChunk(pool: Pool, kernel: 'sumsq' | 'nonfinite', slots: Slot[]): Pass & { firsts: number[] } {
  let elements = 0
  let chunks = 0
  for (const s of slots) {
    if (!resident(s)) continue
    elements += s.n
    chunks += chunksOf(s.n)
  }
  const pass = Object.assign(new Pass(pool, elements, slots.length, chunks, CHUNK), { firsts: [] as number[] })
  let first = 0
  for (const s of slots) {
    pass.firsts.push(first)
    if (!resident(s)) continue
    addPerChunk(pass, kernel, s.g, s.n, first)
    first += chunksOf(s.n)
  }
  pass.run()
  return pass
}

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
  const pool = poolOver(slots)
  const pass = pool && perChunk(pool, 'sumsq', slots)
  let sum = 0
  for (let j = 0; j < slots.length; j++) {
    const s = slots[j]
    if (pass && resident(s)) for (let c = 0; c < chunksOf(s.n); c++) sum += pass.result(pass.firsts[j] + c)
    else for (w.begin(s, READ_G); w.next(); ) sum += k.sumsq(w.g, w.n)
  }
  const norm = Math.sqrt(sum)
  if (!Number.isFinite(norm)) {
    if (errorIfNonfinite)
      throw new RangeError(`${where}: the total gradient norm is ${norm}; gradients were not changed`)
    return norm
  }
  const coef = maxNorm / (norm + 1e-6)
  if (coef < 1) eachRange(pool, slots, w, 'scale', [coef])
  return norm
}

/** PyTorch's `clip_grad_value_`: every element clamped to [−v, v]; NaN stays NaN. */
export function clipByValue(slots: Slot[], w: Walker, v: number): void {
  eachRange(poolOver(slots), slots, w, 'clamp', [-v, v])
}

/** Runs an element-wise kernel (g, n, …rest) over every gradient: parameter() buffers on the helpers if given. */
function eachRange(pool: Pool | undefined, slots: Slot[], w: Walker, kernel: 'scale' | 'clamp', rest: number[]): void {
  const k = runtime().kernels
  let pass: Pass | undefined
  if (pool) {
    let elements = 0
    for (const s of slots) if (resident(s)) elements += s.n
    pass = new Pass(pool, elements, slots.length, 0)
    for (const s of slots) if (resident(s)) addRange(pass, kernel, s.g, s.n, rest)
    pass.run()
  }
  for (const s of slots) {
    if (pass && resident(s)) continue
    for (w.begin(s, READ_G | WRITE_G); w.next(); ) {
      if (kernel === 'scale') k.scale(w.g, w.n, rest[0])
      else k.clamp(w.g, w.n, rest[0], rest[1])
    }
  }
}

/** The first gradient element that is NaN or ±Infinity, by group, parameter and index; undefined if none. */
export function firstNonFinite(slots: Slot[][], w: Walker, only?: ReadonlySet<Slot>) {
  const k = runtime().kernels
  const all = runtime().pool ? slots.flat().filter((s) => !only || only.has(s)) : undefined
  const pool = all && poolOver(all)
  const pass = pool && perChunk(pool, 'nonfinite', all!)
  let at = 0
  for (let i = 0; i < slots.length; i++) {
    for (let j = 0; j < slots[i].length; j++) {
      const s = slots[i][j]
      if (only && !only.has(s)) continue
      const first = pass?.firsts[at++]
      let index = -1
      if (pass && resident(s)) {
        for (let c = 0; c < chunksOf(s.n) && index < 0; c++) {
          const found = pass.result(first! + c)
          if (found >= 0) index = c * CHUNK + found
        }
      } else {
        for (w.begin(s, READ_G); w.next(); ) {
          const found = k.nonfinite(w.g, w.n)
          if (found >= 0) {
            index = w.off + found
            break // the pass writes nothing: leaving the walk early is safe
          }
        }
      }
      if (index >= 0) {
        return { i, j, name: s.name, index, value: s.grad.user ? s.grad.user[index] : view(s.g, s.n)[index] }
      }
    }
  }
  return undefined
}
