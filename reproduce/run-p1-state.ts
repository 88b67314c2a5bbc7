// P1 (Fashion-MNIST, the paper's 2c2d, reproduce/p1.ts) with compact optimizer state (docs/state.md):
// `npx tsx reproduce/run-p1-state.ts <method> <seed> <f32|bf16|q8>…` trains that method at the paper's
// learning rate for 1,200 steps, once per dtype given, and prints each final test accuracy as a
// JSON line. Run several at once, one per core (the step runs on one thread).
import type { StateDtype } from '../src/index.js'
import { BEST, loadFashion, train } from './p1.js'

const [method, seed, ...dtypes] = process.argv.slice(2)
for (const stateDtype of dtypes as StateDtype[]) {
  const run = await train(loadFashion(6000, 1000), method, BEST[method], Number(seed), 1200, 1200, 200, undefined, {
    stateDtype,
  })
  console.log(JSON.stringify({ method, seed: Number(seed), stateDtype, ...run.final, stepMs: run.stepMs }))
}
process.exit(0)
