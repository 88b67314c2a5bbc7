// wasm-optim/tfjs with an unshared memory (a page that is not cross-origin isolated): on the cpu
// backend it cannot alias variables to wasm memory (growth would detach them), so it copies, and
// still gives tf.train's bits; the memory growing between steps changes nothing. (A vitest file
// gets its own module instance: its own memory.)
import * as tf from '@tensorflow/tfjs'
import { describe, expect, it } from 'vitest'
import { init, memoryStats, parameter } from '../src/index.js'
import { tfjsOptimizers } from '../src/tfjs/index.js'
import { firstBitDifference, randomData } from './helpers.js'

describe('wasm-optim/tfjs on an unshared memory', () => {
  it("copies instead of aliasing, gives tf.train.adam's bits, and survives the memory growing", async () => {
    await init({ shared: false })
    await tf.setBackend('cpu')
    const wo = await tfjsOptimizers(tf)
    const { theta, grads } = randomData(300, 20, 4)
    const run = (opt: tf.Optimizer, grow: boolean) => {
      const v = tf.variable(tf.tensor1d(theta))
      for (const [i, g] of grads.entries()) {
        const t = tf.tensor1d(g)
        opt.applyGradients([{ name: v.name, tensor: t }])
        t.dispose()
        if (grow && i === 10) parameter(memoryStats().freeBytes / 4 + 1_000_000) // more than is free: the memory grows
      }
      const out = Float32Array.from(v.dataSync())
      expect((v.dataSync() as Float32Array).buffer instanceof SharedArrayBuffer).toBe(false)
      v.dispose()
      opt.dispose()
      return out
    }
    expect(firstBitDifference(run(wo.adam(0.01), true), run(tf.train.adam(0.01), false))).toBe(-1)
  })
})
