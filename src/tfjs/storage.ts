// How a training kernel reaches TF.js's storage (the wasm backend's heap, the cpu backend's
// arrays; TF.js 4.x internals, checked before use), and the fused epilogues TF.js's kernels have.
import type * as tfc from '@tensorflow/tfjs-core'

/** A tensor as a kernel sees it. */
export type TensorInfo = { dataId: object; shape: number[]; dtype: string }
type Attrs = Record<string, unknown>
/** What a kernel gets, as TF.js passes it. */
export interface KernelArgs {
  inputs: Record<string, TensorInfo | undefined>
  attrs: Attrs
  backend: unknown
}
/** TF.js's own kernel of that name on that backend, if it has one: where ours does not apply. */
export type Fallback = ((args: KernelArgs) => TensorInfo) | undefined
/** A kernel of ours: TensorInfo, or undefined where it does not apply (then TF.js's runs). */
export type Ours = (tf: typeof tfc, args: KernelArgs) => TensorInfo | undefined

/** The backends' storage, as the kernels reach it (TF.js 4.x internals, checked before use). */
interface Storage {
  typedArrayFromHeap?(t: TensorInfo): Float32Array
  makeOutput?(shape: number[], dtype: string): TensorInfo
  makeTensorInfo?(shape: number[], dtype: string, values: Float32Array): TensorInfo
  data?: { get(id: object): { values?: unknown } | undefined }
}

/** A float32 tensor's values where the backend keeps them (no copy), or undefined (then TF.js's kernel runs). */
export function valuesOf(backend: unknown, t: TensorInfo | undefined): Float32Array | undefined {
  if (t?.dtype !== 'float32') return undefined
  const b = backend as Storage
  if (typeof b.typedArrayFromHeap === 'function') return b.typedArrayFromHeap(t)
  const v = b.data?.get(t.dataId)?.values
  return v instanceof Float32Array ? v : undefined
}

/** A new float32 tensor of TF.js's, filled by `fill` with its n values. */
export function output(backend: unknown, shape: number[], fill: (out: Float32Array) => void): TensorInfo {
  const b = backend as Storage
  if (typeof b.makeOutput === 'function' && typeof b.typedArrayFromHeap === 'function') {
    const out = b.makeOutput(shape, 'float32')
    fill(b.typedArrayFromHeap(out))
    return out
  }
  const values = new Float32Array(shape.reduce((a, d) => a * d, 1))
  fill(values)
  return b.makeTensorInfo!(shape, 'float32', values)
}

/** The fused epilogues TF.js has: bias, then an activation. */
export const ACTIVATIONS: Record<string, ((x: number, alpha: number) => number) | undefined> = {
  linear: (x) => x,
  relu: (x) => Math.max(x, 0),
  relu6: (x) => (x < 0 ? 0 : Math.min(x, 6)),
  elu: (x) => (x >= 0 ? x : Math.exp(x) - 1),
  leakyrelu: (x, a) => (x < 0 ? a * x : x),
  prelu: (x, a) => (x < 0 ? a * x : x),
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
}

/**
 * Adds a bias and applies a fused activation in place over `c` (rows of n), as TF.js's fused
 * kernels do; bias and PReLU weights per column (n values) or one value. Returns false where the
 * shapes are not those (TF.js's kernel then runs).
 */
export function epilogue(
  c: Float32Array,
  n: number,
  bias: Float32Array | undefined,
  activation: string,
  alpha: Float32Array | number | undefined,
): boolean {
  const f = ACTIVATIONS[activation]
  if (!f) return false
  if (bias && bias.length !== n && bias.length !== 1) return false
  if (alpha instanceof Float32Array && alpha.length !== n && alpha.length !== 1) return false
  if (!bias && activation === 'linear') return true
  const a = Math.fround
  for (let i = 0; i < c.length; i++) {
    const j = i % n
    const x = bias ? a(c[i] + bias[bias.length === 1 ? 0 : j]) : c[i]
    const al = alpha instanceof Float32Array ? alpha[alpha.length === 1 ? 0 : j] : (alpha ?? 0.2)
    c[i] = f(x, al)
  }
  return true
}

/** A clear error for an attribute no kernel (ours nor TF.js's) takes. */
export function unsupported(kernel: string, attr: string, value: unknown): Error {
  return new RangeError(
    `wasm-optim/tfjs: ${kernel} with ${attr} = ${JSON.stringify(value)} is not supported here, and this backend has no kernel of its own for it`,
  )
}
