// Compact optimizer state against float32 (stateDtype; docs/state.md): the MNIST perceptron of
// `npm start` (784-64-10, batch 64, 1,000 steps, the learning rates below), three seeds, with
// Adam, AdamW, M-SVAG and Lion keeping their moments in f32, bf16 and q8. Prints the final test
// accuracy of each and writes reproduce/results/state-dtype.json. `npx tsx reproduce/run-state.ts`.
import { mkdirSync, writeFileSync } from 'node:fs'
import { Adam, AdamW, Lion, MSVAG, type Optimizer, type Parameter, type StateDtype } from '../src/index.js'
import { loadDigits, train } from './mnist.js'

const STEPS = 1000
const SEEDS = [1, 2, 3]
const DTYPES: StateDtype[] = ['f32', 'bf16', 'q8']
const METHODS: Record<string, { lr: number; make: (p: Parameter, lr: number, d: StateDtype) => Optimizer<object> }> = {
  Adam: { lr: 1e-3, make: (p, lr, stateDtype) => new Adam([p], { lr, stateDtype }) },
  AdamW: { lr: 1e-3, make: (p, lr, stateDtype) => new AdamW([p], { lr, weightDecay: 0.01, stateDtype }) },
  'M-SVAG': { lr: 0.3, make: (p, lr, stateDtype) => new MSVAG([p], { lr, beta: 0.9, stateDtype }) },
  Lion: { lr: 1e-4, make: (p, lr, stateDtype) => new Lion([p], { lr, stateDtype }) },
}

const data = loadDigits()
const rows: { method: string; dtype: StateDtype; accuracy: number[]; mean: number }[] = []
console.log(`MNIST perceptron, ${STEPS} steps, seeds ${SEEDS.join(', ')}: final test accuracy (%)`)
for (const [method, m] of Object.entries(METHODS)) {
  for (const dtype of DTYPES) {
    const accuracy: number[] = []
    for (const seed of SEEDS) {
      const out = await train(data, (p, lr) => m.make(p, lr, dtype), m.lr, seed, STEPS, STEPS)
      accuracy.push(100 * out.points.at(-1)!.testAccuracy)
    }
    const mean = accuracy.reduce((a, b) => a + b, 0) / accuracy.length
    rows.push({ method, dtype, accuracy, mean })
    console.log(
      `${method.padEnd(7)} ${dtype.padEnd(5)} ${accuracy.map((a) => a.toFixed(2)).join(' ')}  mean ${mean.toFixed(2)}`,
    )
  }
}
console.log('\n| method | f32 | bf16 | q8 | bf16 − f32 | q8 − f32 |\n|---|---|---|---|---|---|')
for (const method of Object.keys(METHODS)) {
  const [f, b, q] = DTYPES.map((d) => rows.find((r) => r.method === method && r.dtype === d)!.mean)
  console.log(
    `| ${method} | ${f.toFixed(2)} | ${b.toFixed(2)} | ${q.toFixed(2)} | ${(b - f).toFixed(2)} | ${(q - f).toFixed(2)} |`,
  )
}
mkdirSync('reproduce/results', { recursive: true })
writeFileSync(
  'reproduce/results/state-dtype.json',
  `${JSON.stringify({ date: new Date().toISOString(), steps: STEPS, rows }, null, 1)}\n`,
)
