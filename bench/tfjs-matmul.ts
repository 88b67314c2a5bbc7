// TensorFlow.js 4.22's tf.matMul on its WASM backend (XNNPACK, SIMD) on one thread, GFLOP/s, in a
// process of its own (see bench/run.ts). Argument: JSON { sizes, reps }; prints JSON rows last.
// The time includes reading the product back (dataSync), as a training step would not, which
// flatters ours by the time of one n × n copy (measured: under 1% at n = 256).
import * as tf from '@tensorflow/tfjs'
import { setThreadsCount } from '@tensorflow/tfjs-backend-wasm'

const { sizes, reps } = JSON.parse(process.argv[2]) as { sizes: number[]; reps: number }
setThreadsCount(1)
await tf.setBackend('wasm')
const rows: { n: number; gflops: number }[] = []
for (const n of sizes) {
  const a = tf.randomUniform([n, n], -0.5, 0.5)
  const b = tf.randomUniform([n, n], -0.5, 0.5)
  for (let i = 0; i < 3; i++) tf.matMul(a, b).dispose()
  const times: number[] = []
  for (let i = 0; i < reps; i++) {
    const t = performance.now()
    const c = tf.matMul(a, b)
    c.dataSync()
    times.push(performance.now() - t)
    c.dispose()
  }
  times.sort((x, y) => x - y)
  rows.push({ n, gflops: (2 * n ** 3) / (times[times.length >> 1] * 1e6) })
  a.dispose()
  b.dispose()
}
console.log(JSON.stringify(rows))
