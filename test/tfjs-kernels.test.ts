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
/** Max pooling's gradient (MaxPoolGrad: TF.js's wasm kernel was slow). */
function maxPool(c: ConvCase, [x, dy]: tf.Tensor[]): tf.Tensor[] {
  const f = (xx: tf.Tensor) =>
    tf
      .maxPool(xx as tf.Tensor4D, c.w[0], c.stride, c.pad)
      .mul(dy)
      .sum()
  return [tf.grad(f)(x)]
}
const POOLS: ConvCase[] = [
  { x: [2, 28, 28, 4], w: [3, 3], stride: 2, pad: 'same' },
  { x: [1, 9, 9, 3], w: [2, 2], stride: 2, pad: 'valid' },
  { x: [2, 8, 7, 6], w: [3, 3], stride: 1, pad: 'valid' },
]

const DEPTHWISE: ConvCase[] = [
  { x: [2, 7, 7, 3], w: [3, 3, 3, 2], stride: 1, pad: 'same' },
  { x: [1, 9, 9, 4], w: [3, 3, 4, 1], stride: 2, pad: 'valid' },
  { x: [2, 8, 8, 6], w: [3, 3, 6, 1], stride: 1, pad: 'same' },
]

/** The largest difference relative to the largest magnitude of the reference. */
function relError(ours: Float32Array | number[], ref: Float32Array | number[]): number {
  let scale = 0
  let worst = 0
  for (let i = 0; i < ref.length; i++) scale = Math.max(scale, Math.abs(ref[i]))
  for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(ours[i] - ref[i]))
  return scale === 0 ? worst : worst / scale
}

/** Whether two float arrays hold the same bits (NaNs included). */
const sameBits = (
  a: ArrayLike<number> & { buffer: ArrayBufferLike },
  b: ArrayLike<number> & { buffer: ArrayBufferLike },
) =>
  a.length === b.length &&
  new Uint32Array(a.buffer, 0, a.length).every((x, i) => x === new Uint32Array(b.buffer, 0, b.length)[i])

const values = (ts: tf.Tensor[]) => ts.map((t) => Array.from(t.dataSync()))

describe('training kernels against TF.js', () => {
  let matInputs: tf.Tensor[][]
  let convInputs: tf.Tensor[][]
  let dwInputs: tf.Tensor[][]
  let poolInputs: tf.Tensor[][]
  let refs: { mats: number[][]; convs: number[][][]; dws: number[][][]; pools: number[][][] }

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
    poolInputs = POOLS.map((c) => {
      const y = tf.maxPool(tf.zeros(c.x as never) as tf.Tensor4D, c.w[0], c.stride, c.pad)
      return [rand(c.x), rand(y.shape)]
    })
    refs = {
      mats: matInputs.map((inputs, i) => Array.from(matmul(MATS[i], inputs).dataSync())),
      convs: convInputs.map((inputs, i) => values(conv(CONVS[i], inputs))),
      dws: dwInputs.map((inputs, i) => values(depthwise(DEPTHWISE[i], inputs))),
      pools: poolInputs.map((inputs, i) => values(maxPool(POOLS[i], inputs))),
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
        for (const [j, o] of ours.entries())
          expect(relError(o, refs.convs[i][j]), ['y', 'dx', 'dw'][j]).toBeLessThan(1e-4)
      },
    )

    it.each(DEPTHWISE.map((c, i) => [JSON.stringify(c), i] as const))(
      'depthwise %s: value and gradients within 1e-4',
      (_, i) => {
        const ours = values(depthwise(DEPTHWISE[i], dwInputs[i]))
        for (const [j, o] of ours.entries())
          expect(relError(o, refs.dws[i][j]), ['y', 'dx', 'dw'][j]).toBeLessThan(1e-4)
      },
    )

    it.each(POOLS.map((c, i) => [JSON.stringify(c), i] as const))('max pooling %s: gradient within 1e-6', (_, i) => {
      const [ours] = values(maxPool(POOLS[i], poolInputs[i]))
      expect(relError(ours, refs.pools[i][0])).toBeLessThan(1e-6)
    })

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
      expect(sameBits(two, one)).toBe(true)
      tf.dispose([a, b])
    })

    it('the SIMD and the scalar build give the same bits (both transposes, a conv and its gradients, max pooling, depthwise gradients)', async () => {
      const a = rand([37, 29])
      const b = rand([23, 37])
      const x = rand([2, 9, 9, 3])
      const w = rand([3, 3, 3, 5])
      const dy = rand([2, 9, 9, 5])
      // Six channels: four in SIMD lanes, two after them; windows that overlap (3, stride 2).
      const px = rand([2, 9, 9, 6])
      const pdy = rand([2, 5, 5, 6])
      const pw = rand([3, 3, 6, 1])
      const pdy2 = rand([2, 9, 9, 6])
      const run = () => [
        tf.matMul(a, b, true, true).dataSync(),
        ...conv({ x: x.shape, w: w.shape, stride: 1, pad: 'same' }, [x, w, dy]).map((t) => t.dataSync()),
        ...maxPool({ x: px.shape, w: [3, 3], stride: 2, pad: 'same' }, [px, pdy]).map((t) => t.dataSync()),
        ...depthwise({ x: px.shape, w: pw.shape, stride: 1, pad: 'same' }, [px, pw, pdy2]).map((t) => t.dataSync()),
      ]
      await init({ simd: false })
      const scalar = run()
      await init({ simd: true })
      const simd = run()
      for (const [i, v] of simd.entries()) expect(sameBits(v, scalar[i]), String(i)).toBe(true)
      tf.dispose([a, b, x, w, dy, px, pdy, pw, pdy2])
    })

    it('registering twice is harmless; the kernels are ours', async () => {
      expect(kernels.registered).toContain(`BatchMatMul@${backend}`)
      const again = await registerTrainingKernels(tf)
      expect(again.registered).toEqual([])
      again.unregister()
      expect(tf.getKernel('BatchMatMul', backend)?.kernelFunc).toBe(tf.getKernel('BatchMatMul', backend)?.kernelFunc)
    })
  })

  it("a conv net's weights after 3 trainOnBatch on wasm with the kernels are within 1e-4 of TF.js's cpu run", async () => {
    const net = () => {
      const m = tf.sequential({
        layers: [
          tf.layers.conv2d({ inputShape: [12, 12, 2], filters: 6, kernelSize: 3, activation: 'relu' }),
          tf.layers.maxPooling2d({ poolSize: 2 }),
          tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
          tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same' }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 4, activation: 'softmax' }),
        ],
      })
      m.compile({ optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy' })
      return m
    }
    const run = async (backend: string, withKernels: boolean) => {
      await tf.setBackend(backend)
      const k = withKernels ? await registerTrainingKernels(tf) : undefined
      const m = net()
      m.setWeights(start.map((w) => tf.tensor(w.data, w.shape)))
      const x = tf.tensor(xs, [16, 12, 12, 2])
      const y = tf.oneHot(
        tf.tensor1d(
          Int32Array.from({ length: 16 }, (_, i) => i % 4),
          'int32',
        ),
        4,
      )
      for (let i = 0; i < 3; i++) await m.trainOnBatch(x, y)
      const out = m.getWeights().map((w) => Array.from(w.dataSync()))
      k?.unregister()
      m.dispose()
      tf.dispose([x, y])
      return out
    }
    await tf.setBackend('cpu')
    const probe = net()
    const start = probe.getWeights().map((w) => ({ data: Float32Array.from(w.dataSync()), shape: w.shape }))
    probe.dispose()
    const xs = Float32Array.from({ length: 16 * 12 * 12 * 2 }, () => u())
    const want = await run('cpu', false)
    const got = await run('wasm', true)
    for (const [i, w] of got.entries()) expect(relError(w, want[i]), `weight ${i}`).toBeLessThan(1e-4)
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
