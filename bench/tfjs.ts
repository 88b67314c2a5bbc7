// TensorFlow.js 4.22's Adam (tf.train.adam) on its CPU and WASM backends, Gelem/s, in a process
// of its own (see bench/run.ts). Argument: JSON { sizes, budget }; prints JSON rows last.
import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'
import { measure, random, repeat } from './measure.js'

const { sizes, budget } = JSON.parse(process.argv[2]) as { sizes: number[]; budget: number }
const rows: { n: number; cpu: number; wasm: number }[] = []
for (const n of sizes) {
  const row = { n, cpu: 0, wasm: 0 }
  for (const backend of ['cpu', 'wasm'] as const) {
    await tf.setBackend(backend)
    const w = tf.variable(tf.tensor1d(random(n)), true, 'w')
    const g = tf.tensor1d(random(n))
    const grads = [{ name: 'w', tensor: g }]
    const adam = tf.train.adam(1e-3)
    // The CPU backend takes seconds per step at 1e7: few steps, small budget there.
    const reps = Math.max(1, Math.ceil(1e4 / n))
    row[backend] = (
      await measure(
        { run: repeat(reps, () => adam.applyGradients(grads)) },
        n * reps,
        backend === 'cpu' && n >= 1e6 ? 1 : budget,
      )
    ).run
    adam.dispose()
    w.dispose()
    g.dispose()
  }
  rows.push(row)
}
console.log(JSON.stringify(rows))
