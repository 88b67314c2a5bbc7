// Convolutions for training (NHWC, float32, dilations 1) as products on wasm-optim's matmul:
// im2col writes each output position's receptive field as a row of a patch matrix P (batch·outH·
// outW rows, fh·fw·inC columns) in the library's memory (assembly/tfjs/conv.ts); then
//   Conv2D:               Y  = P · W                      (W the filter as fh·fw·inC × outC)
//   Conv2DBackpropFilter: dW = Pᵀ · dY
//   Conv2DBackpropInput:  dX = col2im(dY · Wᵀ)            (col2im: each row of dP added back where it was read)
// and the depthwise convolutions' two gradients, which TF.js's wasm backend lacks (wasm loops too).
// Anything else (NCHW, dilations > 1, int32) returns undefined: TF.js's own kernel runs.
import type * as tfc from '@tensorflow/tfjs-core'
import { internals } from '../index.js'
import { flavourKernels } from './flavours.js'
import { GEOMETRY } from './kernels.js'
import { epilogue, type KernelArgs, type Ours, output, valuesOf } from './storage.js'

type TF = typeof tfc
type Info = ReturnType<TF['backend_util']['computeConv2DInfo']>

/** The convolution's geometry, or undefined where ours does not apply (NCHW, dilations > 1). */
function geometry(
  tf: TF,
  xShape: number[],
  filterShape: number[],
  attrs: Record<string, unknown>,
  depthwise = false,
): Info | undefined {
  const format = (attrs.dataFormat as string | undefined) ?? 'NHWC'
  const dilations = (attrs.dilations as number | [number, number] | undefined) ?? 1
  if (format !== 'NHWC' || [dilations].flat().some((d) => d !== 1)) return undefined
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides as [number, number],
    1,
    attrs.pad as 'valid',
    attrs.dimRoundingMode as 'round' | undefined,
    depthwise,
    'channelsLast',
  )
}

/** The geometry as assembly/tfjs/conv.ts reads it (GEOMETRY i32 in the library's memory): its address. */
function geometryOf(c: Info | ReturnType<TF['backend_util']['computePool2DInfo']>): number {
  const ptr = internals.scratch('geometry', GEOMETRY)
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, filterHeight, filterWidth } = c
  new Int32Array(internals.runtime().memory.buffer, ptr, GEOMETRY).set([
    batchSize,
    inHeight,
    inWidth,
    inChannels,
    outHeight,
    outWidth,
    filterHeight,
    filterWidth,
    c.strideHeight,
    c.strideWidth,
    c.padInfo.top,
    c.padInfo.left,
  ])
  return ptr
}

/** A new TF.js tensor of `shape` whose values `write` puts at the address it is given (scratch of the library's), copied out. */
function written(backend: unknown, shape: number[], write: (at: number) => void) {
  const size = shape.reduce((a, d) => a * d, 1)
  const at = internals.scratch('dx', size)
  write(at)
  const values = internals.view(at, size)
  return output(backend, shape, (o) => o.set(values))
}

/**
 * The last few patch matrices, by the input's data and the geometry: a layer's filter gradient
 * (Conv2DBackpropFilter) reads the same P as its forward pass, so it is unfolded once per step.
 * TF.js's tensors are immutable: the same data object holds the same values.
 */
const recent: { id: object; key: string; role: string }[] = []

/** P for this geometry in the library's memory (reused where the same input was unfolded lately): its address, rows and columns. */
function patches(c: Info, x: Float32Array, id: object): { ptr: number; rows: number; cols: number } {
  const rows = c.batchSize * c.outHeight * c.outWidth
  const cols = c.filterHeight * c.filterWidth * c.inChannels
  const key = JSON.stringify([c.inShape, c.filterHeight, c.filterWidth, c.strideHeight, c.strideWidth, c.padInfo])
  const hit = recent.find((r) => r.id === id && r.key === key)
  if (hit) return { ptr: internals.scratch(hit.role, rows * cols), rows, cols }
  // Four areas, the oldest reused: enough for the convolutions of a small network's step.
  const role = recent.length < 4 ? `patches${recent.length}` : recent.shift()!.role
  recent.push({ id, key, role })
  const ptr = internals.scratch(role, rows * cols)
  const px = internals.stage('x', x)
  flavourKernels().unfold(px, ptr, geometryOf(c))
  return { ptr, rows, cols }
}

/** Forgets the cached patches (their areas are freed with the rest of the scratch). */
export function forgetPatches(): void {
  recent.length = 0
}

/** Conv2D and FusedConv2D: Y = P · W, then the fused bias and activation. */
function conv2d(tf: TF, { inputs, attrs, backend }: KernelArgs) {
  const { x, filter, bias, preluActivationWeights } = inputs
  const vx = valuesOf(backend, x)
  const vw = valuesOf(backend, filter)
  const c = x && filter && vx && vw ? geometry(tf, x.shape, filter.shape, attrs) : undefined
  if (!c || !vx || !vw) return undefined
  const vbias = bias ? valuesOf(backend, bias) : undefined
  const valpha = preluActivationWeights ? valuesOf(backend, preluActivationWeights) : undefined
  if ((bias && !vbias) || (preluActivationWeights && !valpha)) return undefined
  const n = c.outChannels
  const p = patches(c, vx, x!.dataId)
  const pw = internals.stage('b', vw)
  const pc = internals.scratch('c', p.rows * n)
  internals.gemm(p.ptr, pw, pc, p.rows, p.cols, n, false, false)
  const y = internals.view(pc, p.rows * n)
  const alpha = valpha ?? (attrs.leakyreluAlpha as number | undefined)
  if (!epilogue(y, n, vbias, (attrs.activation as string | undefined) ?? 'linear', alpha)) return undefined
  return output(backend, [c.batchSize, c.outHeight, c.outWidth, n], (o) => o.set(y))
}

/** Conv2DBackpropFilter: dW = Pᵀ · dY, as the filter's shape. */
function backpropFilter(tf: TF, { inputs, attrs, backend }: KernelArgs) {
  const { x, dy } = inputs
  const vx = valuesOf(backend, x)
  const vdy = valuesOf(backend, dy)
  const shape = attrs.filterShape as number[]
  const c = x && vx && vdy ? geometry(tf, x.shape, shape, attrs) : undefined
  if (!c || !vx || !vdy) return undefined
  const p = patches(c, vx, x!.dataId)
  const pdy = internals.stage('b', vdy)
  const pw = internals.scratch('c', p.cols * c.outChannels)
  internals.gemm(p.ptr, pdy, pw, p.cols, p.rows, c.outChannels, true, false)
  const dw = internals.view(pw, p.cols * c.outChannels)
  return output(backend, shape, (o) => o.set(dw))
}

/** Conv2DBackpropInput: dX = col2im(dY · Wᵀ). */
function backpropInput(tf: TF, { inputs, attrs, backend }: KernelArgs) {
  const { dy, filter } = inputs
  const vdy = valuesOf(backend, dy)
  const vw = valuesOf(backend, filter)
  const shape = attrs.inputShape as number[]
  const c = filter && vdy && vw ? geometry(tf, shape, filter.shape, attrs) : undefined
  if (!c || !vdy || !vw) return undefined
  const rows = c.batchSize * c.outHeight * c.outWidth
  const cols = c.filterHeight * c.filterWidth * c.inChannels
  const pdy = internals.stage('a', vdy)
  const pw = internals.stage('b', vw)
  const pp = internals.scratch('dpatches', rows * cols)
  internals.gemm(pdy, pw, pp, rows, c.outChannels, cols, false, true)
  return written(backend, shape, (dx) => flavourKernels().fold(pp, dx, geometryOf(c)))
}

/**
 * The depthwise convolution's gradients (TF.js's wasm backend has none), in wasm
 * (assembly/tfjs/conv.ts): the filter's from {x, dy}, or the input's from {dy, filter}.
 */
function depthwiseGradient(tf: TF, { inputs, attrs, backend }: KernelArgs, toFilter: boolean) {
  const [a, b] = toFilter ? [inputs.x, inputs.dy] : [inputs.dy, inputs.filter]
  const va = valuesOf(backend, a)
  const vb = valuesOf(backend, b)
  const shape = (toFilter ? attrs.filterShape : attrs.inputShape) as number[]
  const [xShape, wShape] = toFilter ? [a?.shape, shape] : [shape, b?.shape]
  const c = va && vb && xShape && wShape ? geometry(tf, xShape, wShape, attrs, true) : undefined
  if (!c || !va || !vb) return undefined
  const pa = internals.stage('x', va)
  const pb = internals.stage('a', vb)
  const mult = c.outChannels / c.inChannels
  const k = flavourKernels()
  return written(backend, shape, (out) =>
    toFilter ? k.depthwiseFilter(pa, pb, out, geometryOf(c), mult) : k.depthwiseInput(pa, pb, out, geometryOf(c), mult),
  )
}

/**
 * MaxPoolGrad (NHWC, dilation 1): each output's gradient added to the first largest input of its
 * window (scanned row by row, as TF.js's cpu kernel does), in wasm (assembly/tfjs/conv.ts).
 * TF.js's wasm kernel took 75 ms of a P1 step of 480, a JavaScript loop 35; this, with its
 * copies, 4.8 ms for both layers.
 */
function maxPoolGrad(tf: TF, { inputs, attrs, backend }: KernelArgs) {
  const { dy, input } = inputs
  const vdy = valuesOf(backend, dy)
  const vx = valuesOf(backend, input)
  if (!input || !vdy || !vx) return undefined
  const c = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    attrs.filterSize as [number, number],
    attrs.strides as [number, number],
    1,
    attrs.pad as 'valid',
    attrs.dimRoundingMode as 'round' | undefined,
  )
  const px = internals.stage('x', vx)
  const pdy = internals.stage('a', vdy)
  return written(backend, input.shape, (dx) => flavourKernels().maxPoolGrad(px, pdy, dx, geometryOf(c)))
}

/** The convolution kernels, by TF.js's names. */
export const CONV_KERNELS: Record<string, Ours> = {
  Conv2D: conv2d,
  FusedConv2D: conv2d,
  Conv2DBackpropFilter: backpropFilter,
  Conv2DBackpropInput: backpropInput,
  DepthwiseConv2dNativeBackpropFilter: (tf, args) => depthwiseGradient(tf, args, true),
  DepthwiseConv2dNativeBackpropInput: (tf, args) => depthwiseGradient(tf, args, false),
  MaxPoolGrad: maxPoolGrad,
}
