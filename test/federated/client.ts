// A client process of the federated test: registers wasm-optim's optimizers with its own TF.js
// (before it loads a model saved with one), loads the server's model with its optimizer, then
// runs the rounds it is sent, keeping its optimizer, and reports its optimizer's iteration count.
import * as tf from '@tensorflow/tfjs'
import { tfjsOptimizers } from '../../src/tfjs/index.js'
import { round } from './round.js'

type Message =
  | { type: 'model'; artifacts: tf.io.ModelArtifacts }
  | { type: 'round'; weights: Float32Array[]; client: number; round: number }

await tfjsOptimizers(tf)
let model: tf.LayersModel | undefined
process.on('message', async (m: Message) => {
  if (m.type === 'model') {
    model = await tf.loadLayersModel(tf.io.fromMemory(m.artifacts))
    process.send!({ type: 'ready', optimizer: model.optimizer.getClassName() })
  } else {
    const weights = await round(model!, m.weights, m.client, m.round)
    process.send!({ type: 'weights', weights, iterations: model!.optimizer.iterations })
  }
})
process.send!({ type: 'started' })
