// wasm-optim/tfjs on TF.js's webgl backend (in headless Chromium: SwiftShader, software WebGL):
// tensors live on the device, so every step reads the gradients back and uploads the parameters;
// no speed to gain, but the same training. Agreement with tf.train.adam through model.fit, within
// float32 rounding of the GPU's arithmetic (1e-5).
import * as tf from '@tensorflow/tfjs'
import { describe, expect, it } from 'vitest'
import { tfjsOptimizers } from '../../src/tfjs/index.js'
import { mlp } from '../tfjs-model.js'

describe('wasm-optim/tfjs on the webgl backend', () => {
  it('trains through model.fit as tf.train.adam does, within 1e-5', async () => {
    expect(await tf.setBackend('webgl')).toBe(true)
    const wo = await tfjsOptimizers(tf)
    const a = mlp()
    const b = mlp()
    a.model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' })
    b.model.compile({ optimizer: wo.adam(0.01), loss: 'categoricalCrossentropy' })
    await a.model.fit(a.x, a.y, { batchSize: 8, epochs: 1, shuffle: false, verbose: 0 })
    await b.model.fit(b.x, b.y, { batchSize: 8, epochs: 1, shuffle: false, verbose: 0 })
    const wa = a.model.getWeights().map((w) => w.dataSync())
    const wb = b.model.getWeights().map((w) => w.dataSync())
    let worst = 0
    wa.forEach((w, i) => {
      for (let j = 0; j < w.length; j++) worst = Math.max(worst, Math.abs(w[j] - wb[i][j]))
    })
    console.log(`webgl: max |Δw| after 12 steps ${worst.toExponential(1)}, backend ε ${tf.backend().epsilon()}`)
    expect(worst).toBeLessThan(1e-5)
    await tf.setBackend('cpu')
  })
})
