// Matrix products on the library's register-tiled SIMD matmul (assembly/muon.ts), for Muon and for
// wasm-optim/tfjs's training kernels: B packed, rows split in bands over the helper threads where
// the product is large enough. Every element is summed over k in order, without fused
// multiply-add, whatever the bands: the same bits on any number of threads.
import { addCall, Pass } from './parallel.js'
import { MIN_PARALLEL_ASLEEP, poolFor, runtime, view } from './runtime.js'

/** Multiply-adds from which a matrix product splits over the helper threads (about 50 µs of work). */
export const PARALLEL_PRODUCT = 1 << 21

/**
 * Splits rows 0..m into about `count` bands of equal work, `work(i)` being the work of rows
 * 0..i (increasing), at multiples of 4 (the tiles' rows). Empty bands are left out.
 */
export function bandsOf(m: number, count: number, work: (i: number) => number): [number, number][] {
  const total = work(m)
  const out: [number, number][] = []
  let start = 0
  for (let b = 1; b <= count && start < m; b++) {
    let end = m
    if (b < count) {
      end = start
      while (end < m && work(end) < (total * b) / count) end += 4
      end = Math.min(m, end)
    }
    if (end > start) out.push([start, end])
    start = end
  }
  return out
}

/**
 * C (m × n) = A (m × k) · B, B packed (or Aᵀ · B with A stored k × m, `transA`): in bands of rows
 * over the helper threads where it is large enough.
 */
export function product(a: number, bp: number, c: number, m: number, k: number, n: number, transA = false): void {
  const pool = runtime().pool && m * k * n >= PARALLEL_PRODUCT ? poolFor(MIN_PARALLEL_ASLEEP) : undefined
  const kernels = runtime().kernels
  if (!pool) {
    if (transA) kernels.matmulTA(a, bp, c, m, k, n, m)
    else kernels.matmul(a, bp, c, m, k, n)
    return
  }
  const bands = bandsOf(m, 2 * pool.threads, (i) => i)
  const pass = new Pass(pool, 0, bands.length, 0)
  for (const [i0, i1] of bands) {
    if (transA) addCall(pass, 'matmulTA', [a + 4 * i0, bp, c + 4 * i0 * n, i1 - i0, k, n, m])
    else addCall(pass, 'matmul', [a + 4 * i0 * k, bp, c + 4 * i0 * n, i1 - i0, k, n])
  }
  pass.run()
}

/** Scratch areas of the products in the library's memory, by role: grown when a product needs more, kept for the next. */
const areas = new Map<string, { ptr: number; floats: number }>()

/** The scratch area `role` with room for `floats` floats; its address. */
export function scratch(role: string, floats: number): number {
  const arena = runtime().arena
  const a = areas.get(role)
  if (a && a.floats >= floats) return a.ptr
  if (a) arena.free(a.ptr)
  const grown = Math.max(floats, Math.ceil((a?.floats ?? 0) * 1.5), 1024)
  const ptr = arena.alloc(4 * grown)
  areas.set(role, { ptr, floats: grown })
  return ptr
}

/** Gives every scratch area back (wasm-optim/tfjs's unregister()). */
export function freeScratch(): void {
  for (const a of areas.values()) runtime().arena.free(a.ptr)
  areas.clear()
}

/**
 * C (m × n) = op(A) · op(B) at address c, where op(A) is m × k (A at `a` given k × m when `transA`)
 * and op(B) is k × n (B at `b` given n × k when `transB`); all in the library's memory.
 */
export function gemm(
  a: number,
  b: number,
  c: number,
  m: number,
  k: number,
  n: number,
  transA: boolean,
  transB: boolean,
): void {
  const kernels = runtime().kernels
  const packed = scratch('packed', k * n)
  if (transB) kernels.packT(b, packed, n, k)
  else kernels.pack(b, packed, k, n)
  product(a, packed, c, m, k, n, transA && m > 1 && k > 1)
}

/** Copies `values` into the scratch area `role`; its address. */
export function stage(role: string, values: Float32Array): number {
  const ptr = scratch(role, values.length)
  view(ptr, values.length).set(values)
  return ptr
}
