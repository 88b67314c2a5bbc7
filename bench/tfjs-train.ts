// wasm-optim/tfjs against tf.train.adam inside TF.js training: trainOnBatch on MLPs of 50,890
// (784-64-10) and 1,068,810 (784-1024-256-10) parameters, batch 64, on TF.js's cpu and wasm
// backends. The two arms alternate step by step on twin models (same weights, same batches);
// medians of the steps after a warm-up. applyGradients() is timed inside the step by wrapping
// it; the adapter's own overhead is its applyGradients minus a step of the same kernel over
// parameter()s of the same sizes. Runs in a process of its own (bench/run.ts; TF.js slows plain
// typed-array loops in the process that imports it). Argument: JSON { steps, warmup }; prints
// JSON rows last.
import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'
import { init, parameter } from '../src/index.js'
import { TFAdam } from '../src/tfjs/flavours.js'
import { tfjsOptimizers } from '../src/tfjs/index.js'

const { steps, warmup } = JSON.parse(process.argv[2] ?? '{"steps":20,"warmup":5}') as { steps: number; warmup: number }
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

function model(hidden: number[]) {
  const layers = [...hidden, 10].map((units, i) =>
    tf.layers.dense({
      units,
      activation: i === hidden.length ? 'softmax' : 'relu',
      ...(i === 0 && { inputShape: [784] }),
    }),
  )
  const m = tf.sequential({ layers })
  return m
}

/** Per-step times (ms) of trainOnBatch and of the optimizer's applyGradients inside it. */
function timed(opt: tf.Optimizer) {
  const apply = opt.applyGradients.bind(opt)
  const times = { apply: 0 }
  opt.applyGradients = (g) => {
    const t0 = performance.now()
    apply(g)
    times.apply = performance.now() - t0
  }
  return times
}

/** The kernel alone: a step of the TF.js-flavoured Adam the adapter runs, over parameter()s of these sizes (ms). */
function kernelMs(sizes: number[]): number {
  const ps = sizes.map((n) => parameter(n))
  for (const p of ps) p.grad.fill(1e-3)
  const opt = new TFAdam(ps, { lr: 1e-3 })
  const t: number[] = []
  for (let i = 0; i < 50; i++) {
    const t0 = performance.now()
    opt.step()
    t.push(performance.now() - t0)
  }
  opt.dispose()
  for (const p of ps) p.dispose()
  return median(t.slice(10))
}

await init()
const rows = []
for (const backend of ['cpu', 'wasm']) {
  await tf.setBackend(backend)
  await tf.ready()
  const wo = await tfjsOptimizers(tf)
  for (const hidden of [[64], [1024, 256]]) {
    const a = model(hidden)
    const b = model(hidden)
    b.setWeights(a.getWeights())
    const ta = tf.train.adam(1e-3)
    const tb = wo.adam(1e-3)
    a.compile({ optimizer: ta, loss: 'categoricalCrossentropy' })
    b.compile({ optimizer: tb, loss: 'categoricalCrossentropy' })
    const timesA = timed(ta)
    const timesB = timed(tb)
    const x = tf.randomUniform([64, 784], 0, 1, 'float32', 1)
    const y = tf.oneHot(tf.randomUniform([64], 0, 10, 'int32', 2), 10)
    const arms = {
      tfjs: { step: [] as number[], apply: [] as number[] },
      ours: { step: [] as number[], apply: [] as number[] },
    }
    for (let i = 0; i < warmup + steps; i++) {
      for (const [arm, m, times] of [
        ['tfjs', a, timesA],
        ['ours', b, timesB],
      ] as const) {
        const t0 = performance.now()
        await m.trainOnBatch(x, y)
        const ms = performance.now() - t0
        if (i >= warmup) {
          arms[arm].step.push(ms)
          arms[arm].apply.push(times.apply)
        }
      }
    }
    const params = a.countParams()
    const sizes = a.getWeights().map((w) => w.size)
    const kernel = kernelMs(sizes)
    const row = {
      backend,
      model: `784-${hidden.join('-')}-10`,
      params,
      stepTfjs: median(arms.tfjs.step),
      stepOurs: median(arms.ours.step),
      applyTfjs: median(arms.tfjs.apply),
      applyOurs: median(arms.ours.apply),
      kernel,
    }
    rows.push(row)
    console.error(JSON.stringify(row))
    ta.dispose()
    tb.dispose()
    a.dispose()
    b.dispose()
    tf.dispose([x, y])
  }
}
console.log(JSON.stringify(rows))
