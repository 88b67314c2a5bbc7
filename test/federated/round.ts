// What a federated round does, as epfml/disco's federated mode does it, written once for the
// cross-process test and its one-process reference: each client sets the weights it was sent,
// trains on its own data with the optimizer it keeps from round to round, and returns its
// weights; the server averages them.
import * as tf from '@tensorflow/tfjs'
import { CosineAnnealingLR } from '../../src/index.js'
import type { TfjsOptimizers } from '../../src/tfjs/index.js'
import { rng } from '../helpers.js'

/** The server's model: compiled with a wasm-optim optimizer whose learning rate is a schedule. */
export function serverModel(wo: TfjsOptimizers): tf.LayersModel {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({
        inputShape: [10],
        units: 12,
        activation: 'relu',
        kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
      }),
      tf.layers.dense({
        units: 2,
        activation: 'softmax',
        kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }),
      }),
    ],
  })
  const optimizer = wo.adamw({
    learningRate: new CosineAnnealingLR(0.02, { tMax: 12 }),
    weightDecay: 0.01,
    clipNorm: 1,
  })
  model.compile({ optimizer, loss: 'categoricalCrossentropy' })
  return model
}

/** Client `client`'s data for round `r`: 48 samples of its own distribution. */
function data(client: number, r: number) {
  const u = rng(100 * client + r + 7)
  const x = Float32Array.from({ length: 48 * 10 }, () => 2 * u() - 1 + 0.3 * client)
  const labels = Int32Array.from({ length: 48 }, (_, i) => (x[10 * i] + x[10 * i + 1] > 0.3 * client ? 1 : 0))
  return { x: tf.tensor2d(x, [48, 10]), y: tf.oneHot(tf.tensor1d(labels, 'int32'), 2) }
}

/** One client's round: set the sent weights, one epoch of 3 batches, return its weights. */
export async function round(model: tf.LayersModel, weights: Float32Array[], client: number, r: number) {
  const tensors = weights.map((w, i) => tf.tensor(w, model.weights[i].shape as number[]))
  model.setWeights(tensors)
  tf.dispose(tensors)
  const { x, y } = data(client, r)
  await model.fit(x, y, { epochs: 1, batchSize: 16, shuffle: false, verbose: 0 })
  tf.dispose([x, y])
  return model.getWeights().map((w) => Float32Array.from(w.dataSync()))
}

/** The server's mean of the clients' weights, in float32. */
export const average = (all: Float32Array[][]) =>
  all[0].map((_, i) => all[0][i].map((_, j) => Math.fround(all.reduce((s, w) => s + w[i][j], 0) / all.length)))

export const ROUNDS = 3
export const CLIENTS = 2
