// wasm-optim/tfjs's training kernels over a long run: 1,000 trainOnBatch steps of a small conv
// net on the wasm backend leave TF.js's tensor count and the library's used bytes flat (the
// products' scratch and the patch matrices are reused, never leaked); unregister() frees them.
import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'
import { describe, expect, it } from 'vitest'
import { init, memoryStats } from '../../src/index.js'
import { registerTrainingKernels, tfjsOptimizers } from '../../src/tfjs/index.js'

describe('training kernels over 1,000 steps', () => {
  it('numTensors and the library memory stay flat; unregister() gives the scratch back', async () => {
    await init()
    await tf.setBackend('wasm')
    await tf.ready()
    const wo = await tfjsOptimizers(tf)
    const before = memoryStats().usedBytes
    const kernels = await registerTrainingKernels(tf)
    const m = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [12, 12, 1], filters: 4, kernelSize: 3, activation: 'relu' }),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 3, activation: 'softmax' }),
      ],
    })
    const opt = wo.adam(1e-3)
    m.compile({ optimizer: opt, loss: 'categoricalCrossentropy' })
    const x = tf.randomUniform([8, 12, 12, 1], 0, 1, 'float32', 1)
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1], 'int32'), 3)
    let tensors = 0
    let used = 0
    for (let i = 0; i < 1000; i++) {
      await m.trainOnBatch(x, y)
      if (i === 9) {
        tensors = tf.memory().numTensors
        used = memoryStats().usedBytes
      }
    }
    expect(tf.memory().numTensors).toBe(tensors)
    expect(memoryStats().usedBytes).toBe(used)
    opt.dispose()
    m.dispose()
    tf.dispose([x, y])
    kernels.unregister()
    expect(memoryStats().usedBytes).toBe(before)
  }, 300_000)
})
