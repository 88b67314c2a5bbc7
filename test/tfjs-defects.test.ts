// The TF.js adapter's share of the defect classes of issue #19, on the cpu and wasm backends, in
// Node and in Chromium: arrays the user holds keep their values (2), accumulation with variables
// missing from a call (3), the learning rate never dropped (7), setWeights refused whole (9),
// disposed variables' state dropped (12), use after dispose (13), a model saved before it was
// ever trained (14).
import * as tf from '@tensorflow/tfjs'
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm'
import { beforeAll, describe, expect, it } from 'vitest'
import { memoryStats } from '../src/index.js'
import type { NamedTensor, TfjsOptimizers } from '../src/tfjs/index.js'
import { mlp, optimizersOn, reload } from './tfjs-model.js'

if (typeof window !== 'undefined') setWasmPaths('/node_modules/@tensorflow/tfjs-backend-wasm/dist/')

describe.each(['cpu', 'wasm'])('wasm-optim/tfjs on the %s backend: nothing silently wrong', (backend) => {
  let wo: TfjsOptimizers
  beforeAll(async () => {
    wo = await optimizersOn(backend)
  })

  const step = (opt: tf.Optimizer, v: tf.Variable, g: number[]) => {
    const t = tf.tensor1d(g)
    opt.applyGradients([{ name: v.name, tensor: t }])
    t.dispose()
  }

  it('arrays read from a variable with dataSync() or data() keep their values when the next step runs (2)', async () => {
    const v = tf.variable(tf.tensor1d([1, 2, 3, 4]))
    const opt = wo.adam(0.1)
    step(opt, v, [1, 1, 1, 1])
    const held = v.dataSync()
    const heldAsync = await v.data()
    const copy = Array.from(held)
    step(opt, v, [1, 1, 1, 1])
    expect(Array.from(held)).toEqual(copy)
    expect(Array.from(heldAsync)).toEqual(copy)
    expect(Array.from(v.dataSync())).not.toEqual(copy)
    opt.dispose()
    v.dispose()
  })

  it('accumulate: k sums each variable over the calls it appears in, and steps every variable seen in the cycle (3)', () => {
    const a = tf.variable(tf.tensor1d([0]))
    const b = tf.variable(tf.tensor1d([0]))
    const opt = wo.sgd(1, { accumulate: 2 })
    const apply = (list: [tf.Variable, number][]) => {
      const ts = list.map(([v, g]) => ({ name: v.name, tensor: tf.tensor1d([g]) }))
      opt.applyGradients(ts)
      tf.dispose(ts.map((t) => t.tensor))
    }
    // Cycle 1: a gets 10 and 20 → −30.
    apply([[a, 10]])
    apply([[a, 20]])
    expect(a.dataSync()[0]).toBe(-30)
    // Cycle 2: a absent from the first call: 50 alone (not 20 + 50 from the last cycle) → −80.
    apply([[b, 1]])
    apply([
      [a, 50],
      [b, 2],
    ])
    expect(a.dataSync()[0]).toBe(-80)
    expect(b.dataSync()[0]).toBe(-3)
    // Cycle 3: b only in the call that does not step: it still steps, with its gradient.
    apply([[b, 4]])
    apply([[a, 1]])
    expect(b.dataSync()[0]).toBe(-7)
    expect(a.dataSync()[0]).toBe(-81)
    opt.dispose()
    tf.dispose([a, b])
  })

  it('the learning rate is never dropped: lr is learningRate, a number is the learning rate, both at once is refused (7)', () => {
    const run = (opt: tf.Optimizer) => {
      const v = tf.variable(tf.tensor1d([0, 0]))
      step(opt, v, [1, -1])
      const out = Array.from(v.dataSync())
      v.dispose()
      opt.dispose()
      return out
    }
    const expected = run(wo.lion({ learningRate: 0.5 }))
    expect(expected).toEqual([-0.5, 0.5])
    expect(run(wo.lion({ lr: 0.5 } as never))).toEqual(expected)
    expect(run(wo.lion(0.5 as never))).toEqual(expected)
    expect(run(wo.create('Lion', { lr: 0.5 } as never))).toEqual(expected)
    expect(() => wo.lion({ lr: 0.5, learningRate: 0.1 } as never)).toThrow(/as learningRate or lr, got both/)
    expect(() => wo.lion('fast' as never)).toThrow(/options must be an object \(or a number, the learning rate\)/)
    const saved = wo.lion({ lr: 0.5 } as never)
    expect(saved.getConfig()).toMatchObject({ learningRate: 0.5 })
    expect(saved.getConfig()).not.toHaveProperty('lr')
    saved.dispose()
  })

  it.each([
    ['a missing slot', (w: NamedTensor[]) => w.slice(0, -1)],
    ['a slot of the wrong size', (w: NamedTensor[]) => [...w.slice(0, -1), { name: 'x/v', tensor: tf.zeros([3]) }]],
    ['a NaN iter', (w: NamedTensor[]) => [{ name: 'iter', tensor: tf.scalar(Number.NaN) }, ...w.slice(1)]],
    ['a negative iter', (w: NamedTensor[]) => [{ name: 'iter', tensor: tf.scalar(-3, 'int32') }, ...w.slice(1)]],
  ])('setWeights with %s is refused and changes nothing; the optimizer steps on (9)', async (_, spoil) => {
    const v = tf.variable(tf.tensor1d([1, 2, 3, 4]))
    const opt = wo.adam(0.1)
    step(opt, v, [1, 1, 1, 1])
    const weights = await opt.getWeights()
    const kept = weights.map((w) => Array.from(w.tensor.dataSync()))
    const iterations = opt.iterations
    await expect(opt.setWeights(spoil(weights))).rejects.toThrow(/setWeights\(\)/)
    expect(opt.iterations).toBe(iterations)
    expect((await opt.getWeights()).map((w) => Array.from(w.tensor.dataSync()))).toEqual(kept)
    step(opt, v, [1, 1, 1, 1])
    expect(opt.iterations).toBe(iterations + 1)
    opt.dispose()
    v.dispose()
  })

  it('a binding refused at the next step puts iterations back and drops the weights (9)', async () => {
    const source = wo.adam(0.1)
    const v = tf.variable(tf.tensor1d([1, 2, 3, 4]))
    step(source, v, [1, 1, 1, 1])
    const opt = wo.adam(0.1)
    await opt.setWeights(await source.getWeights())
    expect(opt.iterations).toBe(1)
    const w = tf.variable(tf.tensor1d([1, 2, 3]))
    expect(() => step(opt, w, [1, 1, 1])).toThrow(/has 4 values, variable/)
    expect(opt.iterations).toBe(0)
    step(opt, w, [1, 1, 1])
    expect(opt.iterations).toBe(1)
    for (const x of [source, opt]) x.dispose()
    tf.dispose([v, w])
  })

  it('one optimizer reused by 60 models in turn keeps only the live ones (12)', () => {
    const opt = wo.adam(0.01)
    let used = 0
    for (let i = 0; i < 60; i++) {
      const v = tf.variable(tf.randomNormal([256]))
      step(
        opt,
        v,
        Array.from({ length: 256 }, () => 0.1),
      )
      v.dispose()
      if (i === 5) used = memoryStats().usedBytes
    }
    expect(memoryStats().usedBytes).toBeLessThanOrEqual(used)
    opt.dispose()
  })

  it('minimize() after dispose() throws, as the main entry does (13)', () => {
    const v = tf.variable(tf.tensor1d([1, 2]))
    const opt = wo.adamw({ learningRate: 0.1 })
    opt.minimize(() => tf.sum(tf.square(v)) as tf.Scalar)
    opt.dispose()
    const used = memoryStats().usedBytes
    expect(() => opt.minimize(() => tf.sum(tf.square(v)) as tf.Scalar)).toThrow(/was disposed/)
    expect(memoryStats().usedBytes).toBe(used)
    v.dispose()
  })

  it('a model compiled but never trained, saved with its optimizer and loaded, trains (14)', async () => {
    const m = mlp()
    const opt = wo.adamw({ learningRate: 0.01 })
    m.model.compile({ optimizer: opt, loss: 'categoricalCrossentropy' })
    const loaded = await reload(m.model)
    const h = await loaded.fit(m.x, m.y, { epochs: 1, batchSize: 32, verbose: 0 })
    expect(Number.isFinite(h.history.loss[0] as number)).toBe(true)
    for (const o of [opt, loaded.optimizer]) o.dispose()
    tf.dispose([m.x, m.y])
    m.model.dispose()
    loaded.dispose()
  })
})
