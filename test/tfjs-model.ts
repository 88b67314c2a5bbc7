// The small TF.js model the adapter's tests train: in Node and in Chromium (no Node API here).
import * as tf from '@tensorflow/tfjs'
import { init } from '../src/index.js'
import { type TfjsOptimizers, tfjsOptimizers } from '../src/tfjs/index.js'
import { rng } from './helpers.js'

/** A 20-16-3 MLP with fixed initial weights, and 96 fixed samples. */
export function mlp(seed = 3, hidden = 16) {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [20], units: hidden, activation: 'relu' }),
      tf.layers.dense({ units: 3, activation: 'softmax' }),
    ],
  })
  const u = rng(seed)
  model.setWeights(
    model.getWeights().map((w) =>
      tf.tensor(
        Float32Array.from({ length: w.size }, () => u() - 0.5),
        w.shape,
      ),
    ),
  )
  const x = tf.tensor2d(
    Float32Array.from({ length: 96 * 20 }, () => 2 * u() - 1),
    [96, 20],
  )
  const y = tf.oneHot(
    tf.tensor1d(
      Int32Array.from({ length: 96 }, () => Math.floor(3 * u())),
      'int32',
    ),
    3,
  )
  return { model, x, y }
}

/** Saves a model with its optimizer into memory (as disco's server does before it sends the model out). */
export async function saved(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let artifacts: tf.io.ModelArtifacts | undefined
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }
    }),
    { includeOptimizer: true },
  )
  return artifacts!
}

/** Saves a model with its optimizer into memory and loads it back (as another process would from disk). */
export async function reload(model: tf.LayersModel): Promise<tf.LayersModel> {
  return tf.loadLayersModel(tf.io.fromMemory(await saved(model)))
}

/** wasm-optim/tfjs's factories on a TF.js backend made current and ready. */
export async function optimizersOn(backend: string): Promise<TfjsOptimizers> {
  await init()
  await tf.setBackend(backend)
  await tf.ready()
  return tfjsOptimizers(tf)
}
