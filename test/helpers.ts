// Shared by the suites: seeded random data and a bit-for-bit comparison.
import { readState } from '../src/compact.js'
import type { Slot } from '../src/walk.js'

/** Seeded uniform [0, 1) generator (mulberry32): the tests are repeatable. */
export function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Standard normal samples from a uniform generator (Box–Muller). */
export function normal(u: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u())
}

/**
 * Random float32 test data: values N(0, 1); gradients N(0, 1)·scale with a per-element scale
 * spread over 1e-3..1e3 and a few exact zeros (sign(0) and the M-SVAG m = v = 0 guard). A
 * fraction `tiny` of the elements instead gets a scale spread over 1e-44..1e-15: subnormal
 * gradients, and normal ones whose squares and moving averages are subnormal.
 */
export function randomData(
  n: number,
  steps: number,
  seed: number,
  tiny = 0,
): { theta: Float32Array; grads: Float32Array[] } {
  const u = rng(seed)
  const z = normal(u)
  const theta = Float32Array.from({ length: n }, z)
  const scale = Float32Array.from({ length: n }, () =>
    tiny > 0 && u() < tiny ? 10 ** (29 * u() - 44) : 10 ** (6 * u() - 3),
  )
  const zeros = Uint8Array.from({ length: n }, () => (u() < 0.05 ? 1 : 0))
  const grads = Array.from({ length: steps }, () =>
    Float32Array.from({ length: n }, (_, i) => (zeros[i] ? 0 : z() * scale[i])),
  )
  return { theta, grads }
}

/** Index of the first element whose bits differ (any NaN equals any NaN), or -1. */
export function firstBitDifference(a: Float32Array, b: ArrayLike<number>): number {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length)
  const bb = Float32Array.from(b)
  const y = new Uint32Array(bb.buffer)
  if (a.length !== bb.length) return Math.min(a.length, bb.length)
  for (let i = 0; i < a.length; i++) {
    if (x[i] !== y[i] && !(Number.isNaN(a[i]) && Number.isNaN(bb[i]))) return i
  }
  return -1
}

/** A parameter's state buffers as float32 copies, decoded where they are compact (stateDtype). */
export function stateValues(slot: Slot): Record<string, Float32Array> {
  return Object.fromEntries(Object.entries(slot.state).map(([k, ptr]) => [k, readState(ptr, slot.z.fmt, slot.n, k)]))
}

/** Whether two byte sequences are equal (Node's Buffer.equals, in browsers too). */
export function sameBytes(a: ArrayBuffer | ArrayBufferView, b: ArrayBuffer | ArrayBufferView): boolean {
  const bytes = (x: ArrayBuffer | ArrayBufferView) =>
    ArrayBuffer.isView(x) ? new Uint8Array(x.buffer, x.byteOffset, x.byteLength) : new Uint8Array(x)
  const [x, y] = [bytes(a), bytes(b)]
  return x.length === y.length && x.every((v, i) => v === y[i])
}
