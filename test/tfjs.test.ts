// TensorFlow.js (pure-JS CPU backend) as an independent oracle for the optimizers it shares with
// us: SGD, momentum, Nesterov momentum and Adam, 50 steps on the same random data. TF.js runs its
// own float32 arithmetic, for Adam in another operation order (and it tracks β^t by repeated
// multiplication), so agreement is within |Δθ| ≤ tol·(|θ| + path), path being the summed length
// of TF.js's own steps. Measured worst cases: SGD, momentum and Nesterov 0 (identical bits),
// Adam 7.7e-6; the tolerances are 1e-6 and 5e-5.
import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { Adam, init, type Optimizer, SGD } from '../src/index.js'
import { randomData } from './helpers.js'

const N = 257
const STEPS = 50

type Spec = { param: Float32Array; grad: Float32Array }
const ORACLES: [string, () => tf.Optimizer, (spec: Spec) => Optimizer<object>, number][] = [
  ['SGD', () => tf.train.sgd(0.01), (s) => new SGD([s], { lr: 0.01 }), 1e-6],
  ['momentum', () => tf.train.momentum(0.01, 0.9), (s) => new SGD([s], { lr: 0.01, momentum: 0.9 }), 1e-6],
  [
    'Nesterov',
    () => tf.train.momentum(0.01, 0.9, true),
    (s) => new SGD([s], { lr: 0.01, momentum: 0.9, nesterov: true }),
    1e-6,
  ],
  [
    'Adam',
    () => tf.train.adam(0.01, 0.9, 0.999, 1e-8),
    (s) => new Adam([s], { lr: 0.01, betas: [0.9, 0.999], eps: 1e-8 }),
    5e-5,
  ],
  [
    'Adam β=(0.5, 0.9)',
    () => tf.train.adam(0.05, 0.5, 0.9, 1e-6),
    (s) => new Adam([s], { lr: 0.05, betas: [0.5, 0.9], eps: 1e-6 }),
    5e-5,
  ],
]

describe('agrees with TensorFlow.js', () => {
  beforeAll(async () => {
    await init()
    await tf.setBackend('cpu')
  })

  it.each(ORACLES)('%s', (_, makeTf, makeOurs, tol) => {
    const { theta, grads } = randomData(N, STEPS, 3)
    const spec = { param: Float32Array.from(theta), grad: new Float32Array(N) }
    const ours = makeOurs(spec)
    const oracle = makeTf()
    const w = tf.variable(tf.tensor1d(theta), true, 'w')
    const path = new Float64Array(N)
    let before = Float32Array.from(theta)
    for (let t = 0; t < STEPS; t++) {
      spec.grad.set(grads[t])
      ours.step()
      tf.tidy(() => oracle.applyGradients([{ name: 'w', tensor: tf.tensor1d(grads[t]) }]))
      const theirs = w.dataSync() as Float32Array
      let worst = 0
      for (let i = 0; i < N; i++) {
        path[i] += Math.abs(theirs[i] - before[i])
        worst = Math.max(worst, Math.abs(spec.param[i] - theirs[i]) / (Math.abs(theirs[i]) + path[i]))
      }
      before = Float32Array.from(theirs)
      expect(worst, `step ${t + 1}`).toBeLessThanOrEqual(tol)
    }
    expect(path.filter((x) => x > 0).length).toBeGreaterThan(N / 2)
    w.dispose()
    oracle.dispose()
    ours.dispose()
  })
})
