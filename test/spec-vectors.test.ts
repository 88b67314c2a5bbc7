// docs/algorithms.md §4: the float64 test vectors, three steps from θ₀ = [0.5, −1, 2] at β = 0.9, lr = 0.1.
import { beforeAll, describe, expect, it } from 'vitest'
import { init, type OptimizerName } from '../src/index.js'
import { OPTIMIZERS } from './registry.js'

const theta0 = [0.5, -1, 2]
const grads = [
  [1, -2, 0.5],
  [0.5, 1, 0.5],
  [1.5, -0.5, 0],
]
const fixed = [
  [1, -2, 0],
  [1, -2, 0],
  [1, -2, 0],
]

// [optimizer, options, gradients, expected θ after steps 1, 2, 3, float32 tolerance]
const VECTORS: [OptimizerName, object, number[][], number[][], number][] = [
  [
    'MSVAG',
    { lr: 0.1, beta: 0.9 },
    grads,
    [
      [0.4, -0.8, 1.95],
      [0.3339411995, -0.7969325705, 1.9],
      [0.2400977188, -0.787006534, 1.8756493651],
    ],
    2e-3,
  ],
  [
    'MSSD',
    { lr: 0.1, beta: 0.9 },
    grads,
    [
      [0.4, -0.9, 1.9],
      [0.3, -0.8, 1.8],
      [0.2, -0.7, 1.7],
    ],
    1e-6,
  ],
  [
    'MSGD',
    { lr: 0.1, beta: 0.9 },
    grads,
    [
      [0.4, -0.8, 1.95],
      [0.3263157895, -0.7578947368, 1.9],
      [0.224470771, -0.7128762867, 1.8684501845],
    ],
    1e-6,
  ],
  [
    'SVAG',
    { lr: 0.1, beta: 0.9 },
    grads,
    [
      [0.4, -0.8, 1.95],
      [0.3593571799, -0.8037903465, 1.9],
      [0.2397323423, -0.7994532576, 1.9],
    ],
    2e-3,
  ],
  [
    'SSD',
    { lr: 0.1 },
    grads,
    [
      [0.4, -0.9, 1.9],
      [0.3, -1.0, 1.8],
      [0.2, -0.9, 1.8],
    ],
    1e-6,
  ],
  [
    'Adam',
    { lr: 0.1, betas: [0.9, 0.999], eps: 1e-8 },
    grads,
    [
      [0.400000001, -0.9000000005, 1.900000002],
      [0.3067820383, -0.8733662967, 1.800000004],
      [0.2125087216, -0.8393233821, 1.7226997161],
    ],
    1e-6,
  ],
  [
    'MSVAG',
    { lr: 0.1, beta: 0.9 },
    fixed,
    [
      [0.4, -0.8, 2.0],
      [0.3, -0.6, 2.0],
      [0.2, -0.4, 2.0],
    ],
    1e-6,
  ],
  [
    'MSSD',
    { lr: 0.1, beta: 0.9 },
    fixed,
    [
      [0.4, -0.9, 2.0],
      [0.3, -0.8, 2.0],
      [0.2, -0.7, 2.0],
    ],
    1e-6,
  ],
]

describe.each([true, false])('the test vectors of docs/algorithms.md (simd: %s)', (simd) => {
  beforeAll(async () => {
    await init({ simd })
  })

  it.each(VECTORS)('%s %j', (name, options, gs, expected, tol) => {
    const param = new Float32Array(theta0)
    const grad = new Float32Array(3)
    const opt = new OPTIMIZERS[name]([{ param, grad }], options)
    gs.forEach((g, step) => {
      grad.set(g)
      opt.step()
      param.forEach((x, i) => {
        expect(Math.abs(x - expected[step][i]), `step ${step + 1}, θ[${i}]`).toBeLessThanOrEqual(tol)
      })
    })
    opt.dispose()
  })
})
