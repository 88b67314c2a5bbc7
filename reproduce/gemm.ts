// Matrix products for P1's CNN through wasm-optim's own kernels (the ones Muon uses: a register-
// tiled SIMD matmul over a packed B). TF.js's WASM backend runs these shapes slowly here: a
// [12544, 800] · [800, 64] product (the second convolution of a batch of 64) took 500 ms, 2.4
// GFLOP/s, and Xᵀ·dY for the dense layer's filter gradient 2.4 s; the same products here run at
// the library's matmul speed (bench/RESULTS.md). Internal API: reproduce/ may use it, users
// should not.
import { runtime, view } from '../src/runtime.js'

/** Scratch areas in the library's memory, grown when a product needs more. */
const areas: { ptr: number; floats: number }[] = []

function area(i: number, floats: number): number {
  const arena = runtime().arena
  const a = areas[i]
  if (a && a.floats >= floats) return a.ptr
  if (a) arena.free(a.ptr)
  const grown = Math.max(floats, Math.ceil((a?.floats ?? 0) * 1.5))
  areas[i] = { ptr: arena.alloc(4 * grown), floats: grown }
  return areas[i].ptr
}

/**
 * C (m × n) = op(A) · op(B), where op(A) is m × k (A given as k × m when `transA`) and op(B) is
 * k × n (B given as n × k when `transB`); a new Float32Array.
 */
export function gemm(
  a: Float32Array,
  b: Float32Array,
  m: number,
  k: number,
  n: number,
  transA = false,
  transB = false,
): Float32Array {
  if (a.length !== m * k || b.length !== k * n)
    throw new RangeError(`gemm: A has ${a.length} floats, B ${b.length}; expected ${m * k} and ${k * n}`)
  const kernels = runtime().kernels
  const pa = area(0, m * k)
  const pt = area(1, Math.max(m * k, k * n))
  const pb = area(2, k * n)
  const pc = area(3, m * n)
  view(pa, m * k).set(a)
  let left = pa
  if (transA) {
    kernels.transpose(pa, pt, k, m)
    left = pt
  }
  view(pb, k * n).set(b)
  const packed = transA ? area(4, k * n) : pt
  if (transB) kernels.packT(pb, packed, n, k)
  else kernels.pack(pb, packed, k, n)
  kernels.matmul(left, packed, pc, m, k, n)
  return view(pc, m * n).slice()
}
