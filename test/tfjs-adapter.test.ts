// wasm-optim/tfjs against TensorFlow.js itself, on its cpu and wasm backends, in Node and in
// Chromium: the seven factories
// give tf.train's bits (open loop and through model.fit), a saved and reloaded model resumes to
// the bit, the TF.js contract holds (compile/fit, fitDataset, trainOnBatch, minimize, instanceof,
// iterations), wasm-optim's own optimizers and options equal the same optimizer driven directly,
// alternating variable lists keep per-variable state, nothing leaks, and bad input is refused
// with nothing changed.
import * as tf from '@tensorflow/tfjs'
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AdamW, Lion, MSVAG, Muon, memoryStats, type Optimizer, parameter } from '../src/index.js'
import { type TfjsOptimizers, tfjsOptimizers, type WasmOptimizer } from '../src/tfjs/index.js'
import { firstBitDifference, rng } from './helpers.js'
import { mlp, optimizersOn, reload } from './tfjs-model.js'

const N = 1027
const STEPS = 100
// In a page (vitest's browser mode) the wasm backend fetches its .wasm from where Vite serves node_modules.
if (typeof window !== 'undefined') setWasmPaths('/node_modules/@tensorflow/tfjs-backend-wasm/dist/')

/** θ₀ in [−1, 1), gradients spanning 1e-5 … 1 by element. */
function data(seed: number) {
  const u = rng(seed)
  const theta = Float32Array.from({ length: N }, () => 2 * u() - 1)
  const grads = Array.from({ length: STEPS }, () =>
    Float32Array.from({ length: N }, (_, i) => (2 * u() - 1) * 10 ** (-5 + (5 * (i % 11)) / 10)),
  )
  return { theta, grads }
}

type Make = (wo: TfjsOptimizers | typeof tf.train) => tf.Optimizer
/** Each factory with the same arguments on both sides. */
const FACTORIES: [string, Make][] = [
  ['sgd', (t) => t.sgd(0.1)],
  ['momentum', (t) => t.momentum(0.1, 0.9)],
  ['momentum, Nesterov', (t) => t.momentum(0.1, 0.9, true)],
  ['rmsprop', (t) => t.rmsprop(0.01)],
  ['rmsprop, momentum', (t) => t.rmsprop(0.01, 0.9, 0.5)],
  ['rmsprop, centered', (t) => t.rmsprop(0.01, 0.9, 0.5, undefined, true)],
  ['adagrad', (t) => t.adagrad(0.1)],
  ['adadelta', (t) => t.adadelta(1)],
  ['adamax', (t) => t.adamax(0.01, 0.9, 0.999, undefined, 0.01)],
  ['adam', (t) => t.adam(0.01)],
]

function openLoop(opt: tf.Optimizer, d: ReturnType<typeof data>): Float32Array {
  const v = tf.variable(tf.tensor1d(d.theta))
  for (const g of d.grads) {
    const t = tf.tensor1d(g)
    opt.applyGradients([{ name: v.name, tensor: t }])
    t.dispose()
  }
  const out = Float32Array.from(v.dataSync())
  v.dispose()
  opt.dispose()
  return out
}

const weights = (m: tf.LayersModel) => m.getWeights().map((w) => Float32Array.from(w.dataSync()))

describe.each(['cpu', 'wasm'])('wasm-optim/tfjs on the %s backend', (backend) => {
  let wo: TfjsOptimizers
  beforeAll(async () => {
    wo = await optimizersOn(backend)
  })

  it.each(FACTORIES)('%s: the same bits as tf.train, 100 steps × 1,027 elements', (_, make) => {
    const d = data(5)
    const theirs = openLoop(make(tf.train), d)
    const ours = openLoop(make(wo), d)
    expect(firstBitDifference(ours, theirs)).toBe(-1)
  })

  it.each(FACTORIES)('%s: the same weights as tf.train after 12 model.fit steps', async (_, make) => {
    const a = mlp()
    const b = mlp()
    const optA = make(tf.train)
    const optB = make(wo)
    a.model.compile({ optimizer: optA, loss: 'categoricalCrossentropy' })
    b.model.compile({ optimizer: optB, loss: 'categoricalCrossentropy' })
    await a.model.fit(a.x, a.y, { batchSize: 8, epochs: 1, shuffle: false, verbose: 0 })
    await b.model.fit(b.x, b.y, { batchSize: 8, epochs: 1, shuffle: false, verbose: 0 })
    expect(optB.iterations).toBe(12)
    weights(a.model).forEach((w, i) => {
      expect(firstBitDifference(weights(b.model)[i], w), `weights[${i}]`).toBe(-1)
    })
    for (const m of [a, b]) {
      tf.dispose([m.x, m.y])
      m.model.dispose()
    }
    optA.dispose()
    optB.dispose()
  })

  it.each(FACTORIES)(
    '%s: 24 steps, save with the optimizer, load, 24 more = 48 uninterrupted, to the bit',
    async (_, make) => {
      const straight = mlp()
      const opt = make(wo)
      straight.model.compile({ optimizer: opt, loss: 'categoricalCrossentropy' })
      const epoch = (m: tf.LayersModel, x: tf.Tensor, y: tf.Tensor) =>
        m.fit(x, y, { batchSize: 8, epochs: 1, shuffle: false, verbose: 0 })
      for (let e = 0; e < 4; e++) await epoch(straight.model, straight.x, straight.y)
      const first = mlp()
      const opt2 = make(wo)
      first.model.compile({ optimizer: opt2, loss: 'categoricalCrossentropy' })
      for (let e = 0; e < 2; e++) await epoch(first.model, first.x, first.y)
      const loaded = await reload(first.model)
      expect(loaded.optimizer.getClassName()).toBe(opt2.getClassName())
      for (let e = 0; e < 2; e++) await epoch(loaded, first.x, first.y)
      weights(straight.model).forEach((w, i) => {
        expect(firstBitDifference(weights(loaded)[i], w), `weights[${i}]`).toBe(-1)
      })
      for (const o of [opt, opt2, loaded.optimizer]) o.dispose()
      for (const m of [straight, first]) {
        tf.dispose([m.x, m.y])
        m.model.dispose()
      }
      loaded.dispose()
    },
  )

  it('keeps the TF.js optimizer contract: compile + fit, fitDataset, trainOnBatch, minimize, instanceof, iterations', async () => {
    const { model, x, y } = mlp()
    const opt = wo.adamw({ learningRate: 1e-2, weightDecay: 0.01 })
    expect(opt instanceof tf.Optimizer).toBe(true)
    model.compile({ optimizer: opt, loss: 'categoricalCrossentropy' })
    const h = await model.fit(x, y, { batchSize: 32, epochs: 2, verbose: 0 })
    expect(h.history.loss[1]).toBeLessThan(h.history.loss[0] as number)
    const ds = tf.data.zip({ xs: tf.data.array(x.unstack()), ys: tf.data.array(y.unstack()) }).batch(32)
    await model.fitDataset(ds, { epochs: 1, verbose: 0 })
    await model.trainOnBatch(x, y)
    expect(opt.iterations).toBe(2 * 3 + 3 + 1)
    // minimize, with and without a variable list, with and without the cost
    const w = tf.variable(tf.tensor1d([3, -4]))
    const other = tf.variable(tf.tensor1d([1]))
    const sgd = wo.sgd(0.1)
    const loss = () => tf.sum(tf.square(w)) as tf.Scalar
    const cost = sgd.minimize(loss, true, [w])
    expect(cost?.dataSync()[0]).toBe(25)
    cost?.dispose()
    expect([...w.dataSync()]).toEqual([Math.fround(2.4), Math.fround(-3.2)])
    expect(sgd.minimize(() => tf.sum(tf.square(other)) as tf.Scalar)).toBe(null)
    expect(other.dataSync()[0]).toBe(Math.fround(0.8))
    sgd.dispose()
    opt.dispose()
    tf.dispose([w, other, x, y])
    model.dispose()
  })

  it("state moves both ways between tf.train's optimizers and these, and Adamax's too", async () => {
    const d = data(9)
    for (const [name, make] of FACTORIES) {
      // 10 steps with TF.js's, its weights into ours, 10 more; against 20 with TF.js's.
      const straight = openLoop(make(tf.train), { ...d, grads: d.grads.slice(0, 20) })
      const v = tf.variable(tf.tensor1d(d.theta))
      const theirs = make(tf.train)
      const ours = make(wo)
      const step = (o: tf.Optimizer, g: Float32Array) => {
        const t = tf.tensor1d(g)
        o.applyGradients([{ name: v.name, tensor: t }])
        t.dispose()
      }
      if (name === 'adamax') {
        // TF.js's Adamax has no getWeights: ours to ours.
        for (let i = 0; i < 10; i++) step(ours, d.grads[i])
        const again = make(wo)
        await again.setWeights(await ours.getWeights())
        const theirsAll = openLoop(make(tf.train), { ...d, grads: d.grads.slice(0, 20) })
        for (let i = 10; i < 20; i++) step(again, d.grads[i])
        expect(firstBitDifference(Float32Array.from(v.dataSync()), theirsAll), name).toBe(-1)
        again.dispose()
      } else {
        for (let i = 0; i < 10; i++) step(theirs, d.grads[i])
        await ours.setWeights(await theirs.getWeights())
        for (let i = 10; i < 20; i++) step(ours, d.grads[i])
        expect(firstBitDifference(Float32Array.from(v.dataSync()), straight), name).toBe(-1)
        // and back: ours → TF.js's
        const back = make(tf.train)
        if (name !== 'sgd') await back.setWeights(await ours.getWeights())
        back.dispose()
      }
      theirs.dispose()
      ours.dispose()
      v.dispose()
    }
  })

  it("wasm-optim's own optimizers and options equal the same optimizer driven directly", () => {
    const d = data(13)
    const cases: [WasmOptimizer, Optimizer<object>, { clip?: number; clipValue?: number; k?: number }][] = []
    const spec = () => parameter(d.theta)
    const pa = spec()
    const pb = spec()
    const pc = spec()
    cases.push([
      wo.adamw({ learningRate: 1e-2, weightDecay: 0.05, clipNorm: 0.5 }),
      new AdamW([pa], { lr: 1e-2, weightDecay: 0.05 }),
      { clip: 0.5 },
    ])
    cases.push([wo.lion({ learningRate: 1e-3, clipValue: 0.01 }), new Lion([pb], { lr: 1e-3 }), { clipValue: 0.01 }])
    cases.push([wo.msvag({ learningRate: 0.1, accumulate: 3 }), new MSVAG([pc], { lr: 0.1 }), { k: 3 }])
    for (const [ours, direct, how] of cases) {
      const v = tf.variable(tf.tensor1d(d.theta))
      const p = direct.slots[0][0]
      const param = [pa, pb, pc][cases.findIndex((c) => c[0] === ours)]
      const k = how.k ?? 1
      for (let i = 0; i < 30; i++) {
        const t = tf.tensor1d(d.grads[i])
        ours.applyGradients([{ name: v.name, tensor: t }])
        t.dispose()
        if (i % k === 0) param.grad.set(d.grads[i])
        else for (let j = 0; j < N; j++) param.grad[j] = Math.fround(param.grad[j] + d.grads[i][j])
        if ((i + 1) % k === 0) {
          if (how.clip !== undefined) direct.clipGradNorm(how.clip)
          if (how.clipValue !== undefined) direct.clipGradValue(how.clipValue)
          direct.step()
        }
      }
      void p
      expect(firstBitDifference(Float32Array.from(v.dataSync()), param.param)).toBe(-1)
      expect(ours.stats().total.gradNorm).toBeGreaterThan(0)
      ours.dispose()
      direct.dispose()
      v.dispose()
    }
    for (const p of [pa, pb, pc]) p.dispose()
  })

  it("Muon takes a whole model: matrices with Muon, the rest with its AdamW; the same bits as Muon's two groups, resumes from its weights", async () => {
    const u = rng(29)
    // A dense kernel, a convolution kernel, a bias and an embedding table (by its TF.js name).
    const shapes = [[6, 9], [5, 5, 2, 3], [3], [7, 4]]
    const names = [undefined, undefined, undefined, 'embedding_1/embeddings']
    const init0 = shapes.map((sh) => Float32Array.from({ length: sh.reduce((a, b) => a * b) }, () => 2 * u() - 1))
    const grads = Array.from({ length: 12 }, () => init0.map((x) => Float32Array.from(x, () => 2 * u() - 1)))
    const vars = shapes.map((sh, i) => tf.variable(tf.tensor(init0[i], sh), true, names[i]))
    const direct = shapes.map((sh, i) => parameter(init0[i], { shape: sh }))
    const options: Parameters<typeof wo.muon>[0] = {
      learningRate: 0.02,
      weightDecay: 0.01,
      adamw: { lr: 3e-3, weightDecay: 0.02, betas: [0.9, 0.95] },
    }
    const ours = wo.muon(options)
    const adamw = { mode: 'adamw' as const, lr: 3e-3, weightDecay: 0.02, adamwBetas: [0.9, 0.95] as [number, number] }
    const theirs = new Muon([{ params: [direct[0]] }, { params: direct.slice(1), ...adamw }], {
      lr: 0.02,
      weightDecay: 0.01,
    })
    /** One step of `opt` on the variables and one of Muon on the parameters, with gradients t. */
    const step = (opt: WasmOptimizer, t: number, withDirect = true) => {
      const ts = grads[t].map((x, i) => tf.tensor(x, shapes[i]))
      opt.applyGradients(ts.map((tensor, i) => ({ name: vars[i].name, tensor })))
      tf.dispose(ts)
      if (!withDirect) return
      for (const [i, g] of grads[t].entries()) direct[i].grad.set(g)
      theirs.step()
    }
    const same = () => {
      for (const [i, v] of vars.entries())
        expect(firstBitDifference(Float32Array.from(v.dataSync()), direct[i].param)).toBe(-1)
    }
    for (let t = 0; t < 6; t++) step(ours, t)
    // Saved after 6 steps and loaded into a fresh one, which takes the last 6: the same bits.
    const weights = await ours.getWeights()
    // The documented order: iter, the matrices' momentum, then the others' m, then their v.
    const slot = (w: { name: string }) => w.name.slice(w.name.lastIndexOf('/') + 1)
    expect(weights.map(slot)).toEqual(['iter', 'b', 'm', 'm', 'm', 'v', 'v', 'v'])
    const copies = vars.map((v) => v.clone())
    for (let t = 6; t < 12; t++) step(ours, t)
    same()
    for (const [i, v] of vars.entries()) v.assign(copies[i])
    const resumed = wo.muon(options)
    await resumed.setWeights(weights)
    for (let t = 6; t < 12; t++) step(resumed, t, false)
    same()
    // Convolution kernels opted in step with Muon; an unknown AdamW option is refused.
    const conv = wo.muon({ learningRate: 0.02, convolutions: true })
    const ts = grads[0].map((x, i) => tf.tensor(x, shapes[i]))
    conv.applyGradients(ts.map((tensor, i) => ({ name: vars[i].name, tensor })))
    expect((await conv.getWeights()).map(slot)).toEqual(['iter', 'b', 'b', 'm', 'm', 'v', 'v'])
    expect(() => wo.muon({ adamw: { beta1: 0.9 } } as never)).toThrow(
      /adamw has an unknown option 'beta1'; the options are lr, betas, eps, weightDecay/,
    )
    tf.dispose([...ts, ...copies, ...vars])
    for (const o of [ours, resumed, theirs, conv]) o.dispose()
    for (const p of direct) p.dispose()
  })

  it('takes its data path: the wasm gradient is read in its heap; no variable ever lives in wasm memory', () => {
    const v = tf.variable(tf.tensor1d([1, 2, 3, 4]))
    const opt = wo.sgd(0.5)
    const g = tf.tensor1d([1, 1, 1, 1])
    opt.applyGradients([{ name: v.name, tensor: g }])
    const data = v.dataSync() as Float32Array
    const isShared = (a: ArrayBufferLike) => a.constructor.name === 'SharedArrayBuffer'
    // A variable's storage is its own (an array a user read keeps its values: tfjs-defects.test.ts).
    expect(isShared(data.buffer)).toBe(false)
    expect([...data]).toEqual([0.5, 1.5, 2.5, 3.5])
    opt.dispose()
    expect([...v.dataSync()]).toEqual([0.5, 1.5, 2.5, 3.5])
    tf.dispose([v, g])
  })

  it('a clone taken of a variable keeps its values when the next step changes the variable', () => {
    const v = tf.variable(tf.tensor1d([1, 2]))
    const opt = wo.sgd(1)
    const g = tf.tensor1d([1, 1])
    opt.applyGradients([{ name: v.name, tensor: g }])
    const snapshot = v.clone()
    opt.applyGradients([{ name: v.name, tensor: g }])
    expect([...snapshot.dataSync()]).toEqual([0, 1])
    expect([...v.dataSync()]).toEqual([-1, 0])
    opt.dispose()
    tf.dispose([v, g, snapshot])
  })

  it('alternating variable lists (a GAN, trainable toggled) keep each variable its own state', () => {
    const d = data(17)
    const gen = tf.variable(tf.tensor1d(d.theta.subarray(0, 500)))
    const disc = tf.variable(tf.tensor1d(d.theta.subarray(500)))
    const opt = wo.adam(0.01)
    const refG = tf.variable(tf.tensor1d(d.theta.subarray(0, 500)))
    const refD = tf.variable(tf.tensor1d(d.theta.subarray(500)))
    const optG = wo.adam(0.01)
    const optD = wo.adam(0.01)
    for (let i = 0; i < 20; i++) {
      const onG = i % 2 === 0
      const g = tf.tensor1d(onG ? d.grads[i].subarray(0, 500) : d.grads[i].subarray(500))
      opt.applyGradients([{ name: onG ? gen.name : disc.name, tensor: g }])
      ;(onG ? optG : optD).applyGradients([{ name: onG ? refG.name : refD.name, tensor: g }])
      g.dispose()
    }
    expect(firstBitDifference(Float32Array.from(gen.dataSync()), refG.dataSync())).toBe(-1)
    expect(firstBitDifference(Float32Array.from(disc.dataSync()), refD.dataSync())).toBe(-1)
    for (const o of [opt, optG, optD]) o.dispose()
    tf.dispose([gen, disc, refG, refD])
  })

  it('1,000 create, step, save, dispose cycles leave no tensor and no wasm memory behind', async () => {
    const v = tf.variable(tf.tensor1d(new Float32Array(100).fill(1)))
    const g = tf.tensor1d(new Float32Array(100).fill(0.5))
    const tensors = tf.memory().numTensors
    const used = memoryStats().usedBytes
    for (let i = 0; i < 1000; i++) {
      const opt = i % 2 ? wo.adam(0.01) : wo.msvag({ learningRate: 0.1 })
      opt.applyGradients([{ name: v.name, tensor: g }])
      if (i % 100 === 0) await opt.getWeights()
      opt.dispose()
    }
    expect(tf.memory().numTensors).toBe(tensors)
    expect(memoryStats().usedBytes).toBe(used)
    tf.dispose([v, g])
  })

  it('refuses bad input with a clear error and changes nothing', async () => {
    await expect(tfjsOptimizers({} as typeof tf)).rejects.toThrow(
      /tfjsOptimizers\(tf\) takes TensorFlow\.js 4\.x .*without Optimizer/,
    )
    expect(() => wo.adamw({ lrr: 1 } as never)).toThrow(/has an unknown option 'lrr'/)
    expect(() => wo.adam(-1)).toThrow(/lr must be in \[0, ∞\), got -1/)
    expect(() => wo.msvag({ accumulate: 0 })).toThrow(/accumulate must be an integer ≥ 1, got 0/)
    expect(() => wo.create('Nope' as never)).toThrow(/no optimizer here is named "Nope"/)
    // create() types its options by name: Adam's betas pass, a misspelling does not compile.
    wo.create('Adam', { betas: [0.9, 0.99], learningRate: 1e-3 }).dispose()
    // @ts-expect-error: 'beta' is not an option of Adam
    expect(() => wo.create('Adam', { beta: 0.9 })).toThrow(/unknown option 'beta'/)
    const v = tf.variable(tf.tensor1d([1, 2, 3]))
    const opt = wo.adam(0.1)
    const bad = tf.tensor1d([1, 2])
    expect(() => opt.applyGradients([{ name: v.name, tensor: bad }])).toThrow(
      /the gradient of '.*' has shape \[2\], the variable \[3\]/,
    )
    expect([...v.dataSync()]).toEqual([1, 2, 3])
    expect(opt.iterations).toBe(0)
    expect(() => opt.applyGradients([{ name: 'no such variable', tensor: bad }])).toThrow(
      /no variable is named 'no such variable'/,
    )
    // setWeights with the wrong count: refused when it is bound, at the next step, which then changes nothing.
    await opt.setWeights([
      { name: 'iter', tensor: tf.scalar(3, 'int32') },
      { name: 'x/m', tensor: tf.zeros([3]) },
    ])
    const g = tf.tensor1d([1, 1, 1])
    expect(() => opt.applyGradients([{ name: v.name, tensor: g }])).toThrow(
      /got 1 weights besides iter for 1 variables; this optimizer keeps 2 for them \(m, v\)/,
    )
    expect([...v.dataSync()]).toEqual([1, 2, 3])
    tf.dispose([v, bad, g])
    opt.dispose()
  })

  afterAll(() => {
    tf.disposeVariables()
  })
})
