// How numbers cross between a TF.js backend and the library's memory, per backend, each fast path
// guarded by a check of the TF.js internals it relies on, falling back to the public path:
// - cpu: the gradient is read where the backend stores it (dataSync() returns the stored array,
//   no copy); the variable's storage *is* the parameter's view of wasm memory (tf.tensor() wraps
//   a Float32Array without copying), so the kernel updates the variable in place. Only with a
//   shared memory, whose views never detach when it grows.
// - wasm: the gradient is read through a view of TF.js's own heap (typedArrayFromHeap), the
//   variable written through a new tensor: XNNPACK caches weights packed by tensor id, so writing
//   a variable's memory in place would be silently ignored.
// - any other backend (webgl, webgpu, tensorflow): dataSync() copies back, a new tensor uploads.
import type * as tfc from '@tensorflow/tfjs-core'
import type { Parameter } from '../index.js'

type TF = typeof tfc
/** What the backends' internals look like where a fast path relies on them (TF.js 4.x). */
interface BackendInternals {
  refCount?(dataId: object): number
  typedArrayFromHeap?(t: { shape: number[]; dtype: string; dataId: object }): Float32Array
  move?(dataId: object, values: Float32Array, shape: number[], dtype: string, refCount: number): void
}

/** How the numbers of one variable cross. */
export type Path = 'alias' | 'heap' | 'copy'

/** The path for the current backend: `copy` if forced, or where a fast path's internals are missing. */
export function choosePath(tf: TF, forced: 'auto' | 'copy', shared: boolean): Path {
  if (forced === 'copy') return 'copy'
  const name = tf.getBackend()
  const backend = tf.backend() as unknown as BackendInternals
  if (name === 'cpu' && shared && typeof backend.refCount === 'function') return 'alias'
  if (name === 'wasm' && typeof backend.typedArrayFromHeap === 'function') return 'heap'
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
 * Makes the variable's storage the parameter's memory (cpu, shared memory): its values are copied
 * in first. If the variable's data already is that memory but another tensor shares it (a clone
 * someone kept), the others get a snapshot of their own before the kernel writes to it. Returns
 * false if the backend made a copy after all, or lacks what this needs (then the caller copies).
 */
export function alias(tf: TF, variable: tfc.Variable, p: Parameter): boolean {
  const view = p.param
  const backend = tf.backend() as unknown as BackendInternals
  const current = variable.dataSync() as Float32Array
  if (current === view) {
    if (typeof backend.move !== 'function') return false
    backend.move(variable.dataId, view.slice(), variable.shape, 'float32', backend.refCount!(variable.dataId))
  } else {
    view.set(current)
  }
  const t = tf.tensor(view, variable.shape, 'float32')
  variable.assign(t)
  t.dispose()
  return variable.dataSync() === view
}

/**
 * Whether an aliased variable still has the parameter's memory to itself: nothing else was
 * assigned to it, and no other tensor shares its data (the kernel would change that tensor too).
 */
export function aliasIntact(tf: TF, variable: tfc.Variable, dataId: object, p: Parameter): boolean {
  if (variable.dataId !== dataId) return false
  const backend = tf.backend() as unknown as BackendInternals
  return backend.refCount!(dataId) === 1 && variable.dataSync() === p.param
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
