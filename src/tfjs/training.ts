// Training kernels for TF.js's wasm and cpu backends on wasm-optim's SIMD matrix product: the
// matrix products of a forward and a backward pass (BatchMatMul, _FusedMatMul with every
// transpose, broadcast batch, bias and fused activation) and the convolutions (conv.ts). Operands
// are read from TF.js's own storage (the wasm backend's heap, the cpu backend's arrays), copied
// into the library's memory, multiplied there (split over the helper threads, the same bits on
// any number), and the result written into a tensor TF.js owns. What a kernel does not cover
// goes to TF.js's own kernel; where there is none, a clear error names the kernel, the attribute
// and the value.
import type * as tfc from '@tensorflow/tfjs-core'
import { init, internals } from '../index.js'
import { CONV_KERNELS, forgetPatches } from './conv.js'
import { loadFlavours } from './flavours.js'
import {
  ACTIVATIONS,
  epilogue,
  type Fallback,
  type KernelArgs,
  type Ours,
  output,
  type TensorInfo,
  unsupported,
  valuesOf,
} from './storage.js'

type TF = typeof tfc
type Attrs = Record<string, unknown>

/** The batch offsets of a broadcast product: for each output batch, the index of A's and of B's. */
function batches(tf: TF, a: number[], b: number[]): { out: number[]; ia: number[]; ib: number[] } {
  const out = tf.broadcast_util.assertAndGetBroadcastShape(a, b)
  const count = out.reduce((x, d) => x * d, 1)
  const index = (shape: number[], flat: number) => {
    let at = 0
    let stride = 1
    let rest = flat
    for (let d = out.length - 1; d >= 0; d--) {
      const k = rest % out[d]
      rest = Math.floor(rest / out[d])
      const dim = shape[d - (out.length - shape.length)] ?? 1
      if (dim !== 1) at += k * stride
      stride *= dim
    }
    return at
  }
  const ia: number[] = []
  const ib: number[] = []
  for (let i = 0; i < count; i++) {
    ia.push(index(a, i))
    ib.push(index(b, i))
  }
  return { out, ia, ib }
}

/** BatchMatMul and _FusedMatMul: op(A)·op(B) per broadcast batch, then the fused epilogue. */
function matMul(tf: TF, { inputs, attrs, backend }: KernelArgs): TensorInfo | undefined {
  const { a, b, bias, preluActivationWeights } = inputs
  const va = valuesOf(backend, a)
  const vb = valuesOf(backend, b)
  if (!a || !b || !va || !vb || a.shape.length < 2 || b.shape.length < 2) return undefined
  const transA = attrs.transposeA === true
  const transB = attrs.transposeB === true
  const ra = a.shape.length
  const rb = b.shape.length
  const m = transA ? a.shape[ra - 1] : a.shape[ra - 2]
  const k = transA ? a.shape[ra - 2] : a.shape[ra - 1]
  const kb = transB ? b.shape[rb - 1] : b.shape[rb - 2]
  const n = transB ? b.shape[rb - 2] : b.shape[rb - 1]
  if (k !== kb) return undefined // TF.js's kernel says what is wrong
  const activation = (attrs.activation as string | undefined) ?? 'linear'
  const vbias = bias ? valuesOf(backend, bias) : undefined
  const valpha = preluActivationWeights ? valuesOf(backend, preluActivationWeights) : undefined
  if ((bias && !vbias) || (preluActivationWeights && !valpha) || !ACTIVATIONS[activation]) return undefined
  if (vbias && vbias.length !== n && vbias.length !== 1) return undefined
  if (valpha && valpha.length !== n && valpha.length !== 1) return undefined
  const { out, ia, ib } = batches(tf, a.shape.slice(0, -2), b.shape.slice(0, -2))
  const pa = internals.stage('a', va)
  const pb = internals.stage('b', vb)
  const pc = internals.scratch('c', ia.length * m * n)
  for (let i = 0; i < ia.length; i++) {
    internals.gemm(pa + 4 * ia[i] * m * k, pb + 4 * ib[i] * k * n, pc + 4 * i * m * n, m, k, n, transA, transB)
  }
  const c = internals.view(pc, ia.length * m * n)
  const alpha = valpha ?? (attrs.leakyreluAlpha as number | undefined)
  epilogue(c, n, vbias, activation, alpha)
  return output(backend, [...out, m, n], (o) => o.set(c))
}

/** The kernels registered, by name: each ours, given the fallback of TF.js's own. */
const KERNELS: Record<string, Ours> = {
  BatchMatMul: matMul,
  _FusedMatMul: matMul,
  ...CONV_KERNELS,
}

/** What registerTrainingKernels takes. */
export interface TrainingKernelsOptions {
  /** The backends to register on: 'wasm', 'cpu' or both (the default). */
  backends?: readonly ('wasm' | 'cpu')[]
}

/** What registerTrainingKernels returns. */
export interface TrainingKernels {
  /** Each kernel registered, as 'Kernel@backend'. */
  readonly registered: readonly string[]
  /** Puts TF.js's own kernels back exactly (and removes those TF.js lacked); frees the products' scratch memory. */
  unregister(): void
}

/** Marks our kernel functions, so that registering twice wraps nothing twice. */
const OURS = Symbol('wasm-optim training kernel')

/**
 * Registers, on the TF.js you pass, wasm-optim's kernels for the matrix products and convolutions
 * of training (BatchMatMul, _FusedMatMul, Conv2D, Conv2DBackpropInput, Conv2DBackpropFilter,
 * FusedConv2D, and on wasm the depthwise convolutions' gradients it lacks), on the wasm and cpu
 * backends (those registered in that TF.js; `options.backends` narrows them). Everything a
 * kernel does not cover runs TF.js's own kernel. Returns a handle whose `unregister()` puts
 * TF.js's kernels back. Registering again while registered changes nothing.
 *
 * @example
 * import * as tf from '@tensorflow/tfjs'
 * import '@tensorflow/tfjs-backend-wasm'
 * import { registerTrainingKernels } from 'wasm-optim/tfjs'
 * await tf.setBackend('wasm')
 * const kernels = await registerTrainingKernels(tf) // conv nets now train on wasm, and fast
 */
export async function registerTrainingKernels(tf: TF, options: TrainingKernelsOptions = {}): Promise<TrainingKernels> {
  await init()
  await loadFlavours() // the module of assembly/tfjs/, whose convolution loops conv.ts calls
  const backends = options.backends ?? ['wasm', 'cpu']
  for (const b of backends) {
    if (b !== 'wasm' && b !== 'cpu')
      throw new TypeError(
        `wasm-optim/tfjs: registerTrainingKernels(): backends must be 'wasm' or 'cpu', got ${JSON.stringify(b)}`,
      )
  }
  const restore: (() => void)[] = []
  const registered: string[] = []
  for (const backendName of backends) {
    if (!tf.findBackendFactory(backendName)) continue
    for (const [kernelName, ours] of Object.entries(KERNELS)) {
      const original = tf.getKernel(kernelName, backendName)
      if ((original?.kernelFunc as { [OURS]?: boolean } | undefined)?.[OURS]) continue
      const fallback = original?.kernelFunc as Fallback
      // The depthwise gradients are registered only where TF.js has none (wasm); elsewhere TF.js's own stay.
      if (kernelName.startsWith('DepthwiseConv2dNativeBackprop') && original) continue
      const kernelFunc = Object.assign(
        (args: KernelArgs) => {
          const out = ours(tf, args)
          if (out) return out
          if (fallback) return fallback(args)
          throw missing(kernelName, args.attrs)
        },
        { [OURS]: true },
      )
      if (original) tf.unregisterKernel(kernelName, backendName)
      tf.registerKernel({ ...original, kernelName, backendName, kernelFunc } as tfc.KernelConfig)
      registered.push(`${kernelName}@${backendName}`)
      restore.push(() => {
        tf.unregisterKernel(kernelName, backendName)
        if (original) tf.registerKernel(original)
      })
    }
  }
  let done = false
  return {
    registered,
    unregister() {
      if (done) return
      done = true
      for (const r of restore.reverse()) r()
      forgetPatches()
      internals.freeScratch()
    },
  }
}

/** The error for a kernel TF.js lacks, called with what ours does not cover: the attribute that made it decline. */
function missing(kernel: string, attrs: Attrs): Error {
  for (const [attr, value] of Object.entries(attrs)) {
    if (attr === 'dataFormat' && value !== 'NHWC') return unsupported(kernel, attr, value)
    if (attr === 'dilations' && [value].flat().some((d) => d !== 1)) return unsupported(kernel, attr, value)
  }
  return unsupported(kernel, 'dtype', 'not float32')
}
