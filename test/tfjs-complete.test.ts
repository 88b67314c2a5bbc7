// The adapter, complete: every optimizer of the main entry through create() and model.fit; Muon
// over a whole model; Schedule-Free AdamW with eval() and train(); a wasm-optim scheduler as the
// learning rate, saved in the config. Each resumes from model.save/loadLayersModel to the bit: a
// run saved and loaded halfway ends with the bits of the run that was not. Node and Chromium.
import * as tf from '@tensorflow/tfjs'
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm'
import { beforeAll, describe, expect, it } from 'vitest'
import { CosineAnnealingLR, type OptimizerName, optimizers, parameter, ScheduleFreeAdamW } from '../src/index.js'
import type { TfjsOptimizers, WasmOptimizer } from '../src/tfjs/index.js'
import { firstBitDifference, rng } from './helpers.js'
import { mlp, optimizersOn, reload } from './tfjs-model.js'

if (typeof window !== 'undefined') setWasmPaths('/node_modules/@tensorflow/tfjs-backend-wasm/dist/')

const FIT = { epochs: 1, batchSize: 32, shuffle: false, verbose: 0 } as const

/** The model's weights, as arrays. */
const weightsOf = (model: tf.LayersModel) => model.getWeights().map((w) => Float32Array.from(w.dataSync()))

function expectSameBits(a: Float32Array[], b: Float32Array[]) {
  expect(a.length).toBe(b.length)
  for (const [i, x] of a.entries()) expect(firstBitDifference(x, b[i]), `weight ${i}`).toBe(-1)
}

describe.each(['cpu', 'wasm'])('wasm-optim/tfjs, complete, on the %s backend', (backend) => {
  let wo: TfjsOptimizers
  beforeAll(async () => {
    wo = await optimizersOn(backend)
  })

  type Hook = (opt: WasmOptimizer, model: tf.LayersModel) => void
  /**
   * Two epochs of model.fit with `make()`'s optimizer, in one go and with a save and load between
   * them: the same bits. `beforeSave` and `afterLoad` run at the halfway point in both runs, the
   * save and load between them in the second.
   */
  async function resumes(make: () => WasmOptimizer, beforeSave?: Hook, afterLoad?: Hook, hidden = 16) {
    const straight = mlp(3, hidden)
    straight.model.compile({ optimizer: make(), loss: 'categoricalCrossentropy' })
    await straight.model.fit(straight.x, straight.y, FIT)
    beforeSave?.(straight.model.optimizer as WasmOptimizer, straight.model)
    afterLoad?.(straight.model.optimizer as WasmOptimizer, straight.model)
    await straight.model.fit(straight.x, straight.y, FIT)

    const halves = mlp(3, hidden)
    halves.model.compile({ optimizer: make(), loss: 'categoricalCrossentropy' })
    await halves.model.fit(halves.x, halves.y, FIT)
    beforeSave?.(halves.model.optimizer as WasmOptimizer, halves.model)
    const loaded = await reload(halves.model)
    afterLoad?.(loaded.optimizer as WasmOptimizer, loaded)
    await loaded.fit(halves.x, halves.y, FIT)
    expectSameBits(weightsOf(loaded), weightsOf(straight.model))
    const config = (loaded.optimizer as WasmOptimizer).getConfig()
    for (const m of [straight.model, halves.model, loaded]) {
      m.optimizer.dispose()
      m.dispose()
    }
    tf.dispose([straight.x, straight.y, halves.x, halves.y])
    return config
  }

  it('every optimizer of the main entry trains a model through create() and model.fit', async () => {
    for (const name of Object.keys(optimizers) as OptimizerName[]) {
      const { model, x, y } = mlp()
      const before = weightsOf(model)
      model.compile({ optimizer: wo.create(name, { learningRate: 1e-3 }), loss: 'categoricalCrossentropy' })
      await model.fit(x, y, FIT)
      const after = weightsOf(model)
      expect(
        after.every((w, i) => firstBitDifference(w, before[i]) >= 0),
        `${name}: every weight moved`,
      ).toBe(true)
      model.optimizer.dispose()
      model.dispose()
      tf.dispose([x, y])
    }
  })

  it('Muon over a whole model (kernels with Muon, biases with its AdamW) resumes through save and load', async () => {
    await resumes(() => wo.muon({ learningRate: 0.02, adamw: { lr: 3e-3 } }))
  })

  it("Schedule-Free: eval() and train() move the variables as the main entry's do, to the bit", async () => {
    const u = rng(5)
    const shape = [4, 6]
    const init0 = Float32Array.from({ length: 24 }, () => u() - 0.5)
    const v = tf.variable(tf.tensor(init0, shape))
    const p = parameter(init0)
    const ours = wo.scheduleFreeAdamW({ learningRate: 0.01, warmupSteps: 3 })
    const theirs = new ScheduleFreeAdamW([p], { lr: 0.01, warmupSteps: 3 })
    const same = () => expect(firstBitDifference(Float32Array.from(v.dataSync()), p.param)).toBe(-1)
    for (let t = 0; t < 8; t++) {
      const g = Float32Array.from({ length: 24 }, () => u() - 0.5)
      const tensor = tf.tensor(g, shape)
      ours.applyGradients([{ name: v.name, tensor }])
      tensor.dispose()
      p.grad.set(g)
      theirs.step()
      same()
      if (t % 3 === 2) {
        ours.eval()
        theirs.eval()
        same()
        // In eval mode a step is refused, changing nothing.
        const g0 = tf.zerosLike(v)
        expect(() => ours.applyGradients([{ name: v.name, tensor: g0 }])).toThrow(
          /eval mode.*call opt\.train\(\) first/,
        )
        g0.dispose()
        same()
        ours.train()
        theirs.train()
        same()
      }
    }
    expect(() => wo.adam(0.01).eval()).toThrow(/only Schedule-Free AdamW switches/)
    ours.dispose()
    theirs.dispose()
    v.dispose()
    p.dispose()
  })

  it('Schedule-Free resumes through save and load, saved in train mode and saved in eval mode', async () => {
    const make = () => wo.scheduleFreeAdamW({ learningRate: 0.01, warmupSteps: 2 })
    await resumes(make)
    // Evaluated and saved at x, loaded, put back at y (the loaded model's state is bound to its
    // variables by train(model)): the run goes on as the one that was not saved.
    await resumes(
      make,
      (opt) => opt.eval(),
      (opt, model) => opt.train(model),
    )
  })

  it('a wasm-optim scheduler as the learning rate steps once per step, is saved in the config and resumes', async () => {
    const schedule = new CosineAnnealingLR(0.02, { tMax: 5 })
    const opt = wo.adamw({ learningRate: schedule })
    const v = tf.variable(tf.ones([3]))
    const lrs: number[] = []
    for (let t = 0; t < 4; t++) {
      const g = tf.onesLike(v)
      opt.applyGradients([{ name: v.name, tensor: g }])
      g.dispose()
      lrs.push(opt.paramGroups[0].lr)
    }
    const reference = new CosineAnnealingLR(0.02, { tMax: 5 })
    const expected = [0, 1, 2, 3].map((e) => {
      reference.seek(e)
      return reference.getLastLr()[0]
    })
    expect(lrs).toEqual(expected)
    expect(opt.getConfig().learningRate).toEqual({
      scheduler: 'CosineAnnealingLR',
      options: { tMax: 5, etaMin: 0 },
      initialLr: 0.02,
      epoch: 3,
    })
    opt.dispose()
    v.dispose()
    const config = await resumes(() => wo.adamw({ learningRate: new CosineAnnealingLR(0.02, { tMax: 4 }) }))
    expect(config.learningRate).toMatchObject({ scheduler: 'CosineAnnealingLR', epoch: 5 })
  })

  it('stateDtype: compact state through model.fit; float32 slots in getWeights(); a save and load resumes to the bit', async () => {
    for (const stateDtype of ['bf16', 'q8'] as const) {
      // 256 hidden units: the first kernel (5,120 elements) is large enough for q8.
      await resumes(() => wo.adamw({ learningRate: 0.01, stateDtype }), undefined, undefined, 256)
      const opt = wo.adamw({ learningRate: 0.01, stateDtype })
      const v = tf.variable(tf.ones([80, 64]))
      opt.applyGradients([{ name: v.name, tensor: tf.fill([80, 64], 0.5) }])
      const slots = await opt.getWeights()
      expect(slots.map((w) => w.tensor.dtype)).toEqual(['int32', 'float32', 'float32'])
      // m after one step is (1 − β1)·g = 0.05, within the format's rounding.
      expect(Math.abs((await slots[1].tensor.data())[0] - 0.05)).toBeLessThan(0.05 / 8)
      opt.dispose()
      v.dispose()
    }
  })

  it('a function as the learning rate is refused at save time, saying to use a scheduler', async () => {
    const { model, x, y } = mlp()
    model.compile({ optimizer: wo.adam(() => 0.01), loss: 'categoricalCrossentropy' })
    await model.fit(x, y, FIT)
    await expect(reload(model)).rejects.toThrow(/learning rate is a function.*give a wasm-optim scheduler/)
    model.optimizer.dispose()
    model.dispose()
    tf.dispose([x, y])
  })
})
