// How numbers cross between a TF.js backend and the library's memory, per backend, each fast path
// guarded by a check of the TF.js internals it relies on, falling back to the public path:
// - cpu: the gradient is read where the backend stores it (dataSync() returns the stored array,
//   no copy); the variable is written through a new tensor holding a copy of the parameter. (It
//   once was the parameter's view of wasm memory, updated in place: then an array a user had read
//   with dataSync() changed under them at the next step, which tf.train never does.)
// - wasm: the gradient is read through a view of TF.js's own heap (typedArrayFromHeap), the
//   variable written through a new tensor: XNNPACK caches weights packed by tensor id, so writing
//   a variable's memory in place would be silently ignored.
// - any other backend (webgl, webgpu, tensorflow): dataSync() copies back, a new tensor uploads.
import type * as tfc from '@tensorflow/tfjs-core'
import type { Parameter } from '../index.js'

type TF = typeof tfc
/** What the backends' internals look like where a fast path relies on them (TF.js 4.x). */
interface BackendInternals {
  typedArrayFromHeap?(t: { shape: number[]; dtype: string; dataId: object }): Float32Array
}

/** How the numbers of one variable cross. */
export type Path = 'heap' | 'copy'

/** The path for the current backend: `copy` if forced, or where a fast path's internals are missing. */
export function choosePath(tf: TF, forced: 'auto' | 'copy'): Path {
  if (forced === 'copy') return 'copy'
  const backend = tf.backend() as unknown as BackendInternals
  if (tf.getBackend() === 'wasm' && typeof backend.typedArrayFromHeap === 'function') return 'heap'
  return 'copy'
}

/** Copies a gradient into the parameter's gradient buffer, without an intermediate copy where the backend allows. */
export function readGradient(tf: TF, path: Path, grad: tfc.Tensor, into: Float32Array): void {
  if (path === 'heap') {
    into.set((tf.backend() as unknown as BackendInternals).typedArrayFromHeap!(grad as never))
    return
  }
  // cpu: the stored array itself; elsewhere a copy (a GPU readback).
  into.set(grad.dataSync() as Float32Array)
}

/**
 * Writes the parameter's values into the variable through a new tensor (the public path; on wasm
 * the only safe one). The wasm backend copies the values into its heap at once; the others may
 * keep the array itself (cpu) or upload it later (webgl), so they get a copy of their own.
 */
export function writeVariable(tf: TF, path: Path, variable: tfc.Variable, p: Parameter): void {
  const t = tf.tensor(path === 'heap' ? p.param : p.param.slice(), variable.shape, 'float32')
  variable.assign(t)
  t.dispose()
}
