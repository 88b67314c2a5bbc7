// The passes over gradients alone, each a wasm kernel walked over every parameter
// (assembly/grad.ts): global-norm and value clipping, and the search for a non-finite element
// that the non-finite policy runs before a step. Each is one overSlots() pass (parallel.ts);
// sums and searches are kept per 8192-element chunk and combined in order, so the results are
// the same for any number of threads.
import { addPerChunk, addRange, chunksOf, overSlots, resident } from './parallel.js'
import { runtime, view } from './runtime.js'
import { CHUNK, READ_G, type Slot, type Walker, WRITE_G } from './walk.js'

/**
 * Runs `kernel` (sumsq, nonfinite) on every CHUNK of every gradient, helpers or not, and returns
 * the per-chunk results in list order (chunk c of the j-th slot at firsts[j] + c). A search
 * (nonfinite) stops walking a staged gradient at its first hit; chunks left unwalked read −1.
 */
function perChunk(kernel: 'sumsq' | 'nonfinite', list: readonly Slot[], w: Walker): Float64Array {
  let chunks = 0
  for (const s of list) chunks += chunksOf(s.n)
  const out = new Float64Array(chunks).fill(-1)
  const k = runtime().kernels
  const pass = overSlots(list, {
    kind: kernel,
    results: chunks,
    chunked: true,
    tasks: (pass, s, _i, first) => addPerChunk(pass, kernel, s.g, s.n, first),
    local: (s, _i, first) => {
      for (w.begin(s, READ_G); w.next(); ) {
        const r = k[kernel](w.g, w.n)
        out[first + w.off / CHUNK] = r
        if (kernel === 'nonfinite' && r >= 0) break // the pass writes nothing: leaving the walk early is safe
      }
    },
  })
  if (pass) {
    for (let j = 0, first = 0; j < list.length; first += chunksOf(list[j].n), j++) {
      if (resident(list[j])) {
        for (let c = 0; c < chunksOf(list[j].n); c++) out[first + c] = pass.result(first + c)
      }
    }
  }
  return out
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
  let sum = 0
  for (const x of perChunk('sumsq', slots, w)) sum += x
  const norm = Math.sqrt(sum)
  if (!Number.isFinite(norm)) {
    if (errorIfNonfinite)
      throw new RangeError(`${where}: the total gradient norm is ${norm}; gradients were not changed`)
    return norm
  }
  const coef = maxNorm / (norm + 1e-6)
  if (coef < 1) eachRange(slots, w, 'scale', [coef])
  return norm
}

/** PyTorch's `clip_grad_value_`: every element clamped to [−v, v]; NaN stays NaN. */
export function clipByValue(slots: Slot[], w: Walker, v: number): void {
  eachRange(slots, w, 'clamp', [-v, v])
}

/** Runs an element-wise kernel (g, n, …rest) over every gradient. */
function eachRange(slots: Slot[], w: Walker, kernel: 'scale' | 'clamp', rest: number[]): void {
  const k = runtime().kernels
  overSlots(slots, {
    kind: kernel,
    tasks: (pass, s) => addRange(pass, kernel, s.g, s.n, rest),
    local: (s) => {
      for (w.begin(s, READ_G | WRITE_G); w.next(); ) {
        if (kernel === 'scale') k.scale(w.g, w.n, rest[0])
        else k.clamp(w.g, w.n, rest[0], rest[1])
      }
    },
  })
}

/** The first gradient element that is NaN or ±Infinity, by group, parameter and index; undefined if none. */
export function firstNonFinite(slots: Slot[][], w: Walker, only?: ReadonlySet<Slot>) {
  const list: Slot[] = []
  const at: [number, number][] = []
  slots.forEach((group, i) => {
    group.forEach((s, j) => {
      if (only && !only.has(s)) return
      list.push(s)
      at.push([i, j])
    })
  })
  const found = perChunk('nonfinite', list, w)
  for (let j = 0, first = 0; j < list.length; first += chunksOf(list[j].n), j++) {
    const s = list[j]
    for (let c = 0; c < chunksOf(s.n); c++) {
      if (found[first + c] < 0) continue
      const index = c * CHUNK + found[first + c]
      const [gi, pj] = at[j]
      return { i: gi, j: pj, name: s.name, index, value: s.grad.user ? s.grad.user[index] : view(s.g, s.n)[index] }
    }
  }
  return undefined
}

/**
 * The non-finite gate before a step (policy 'skip' or 'throw'): true when every gradient of the
 * active parameters is finite; false to skip; throws, naming the element, for 'throw'.
 */
export function gradientsFinite(
  where: string,
  policy: 'skip' | 'throw',
  slots: Slot[][],
  w: Walker,
  only?: ReadonlySet<Slot>,
): boolean {
  const bad = firstNonFinite(slots, w, only)
  if (!bad) return true
  if (policy === 'skip') return false
  throw new RangeError(
    `${where}: paramGroups[${bad.i}].params[${bad.j}]` +
      `${bad.name ? ` ('${bad.name}')` : ''}.grad[${bad.index}] is ${bad.value}; nothing was changed (nonFinite: 'throw')`,
  )
}
