// P1 (Fashion-MNIST, the paper's 2c2d, reproduce/p1.ts) with compact optimizer state (docs/state.md):
//
//   npx tsx reproduce/run-p1-state.ts <method> <seed> <f32|bf16|q8>…
//       trains that method at its learning rate (LR below) for 1,200 steps, once per dtype given,
//       and prints each final test accuracy as a JSON line.
//   npx tsx reproduce/run-p1-state.ts --grid <method> <lr>…
//       the learning-rate grid for the methods the paper has none for: 300 steps, seed 1, f32,
//       once per learning rate, scored on the whole test set.
//   npx tsx reproduce/run-p1-state.ts --nudge <method> <seed> f32
//       the control: f32 with the learning rate times 1 + 2⁻²⁰, a change far below any state
//       format's rounding. How far its final accuracy moves from f32's is how far any perturbation
//       of the trajectory moves it, which is the scale to read a dtype's difference against.
//
// Run several at once, one per core (the step runs on one thread).
import type { StateDtype } from '../src/index.js'
import { BEST, loadFashion, train } from './p1.js'

/**
 * The learning rates: the paper's for its methods (BEST); for AdamW and Lion the best of a
 * 300-step grid (--grid; AdamW 3e-4, 1e-3, 3e-3; Lion 3e-5, 1e-4, 3e-4, 1e-3; docs/state.md has the scores).
 */
export const LR: Record<string, number> = { ...BEST, adamw: 1e-3, lion: 3e-4 }

const data = loadFashion(6000, 1000)
if (process.argv[2] === '--grid') {
  const [method, ...lrs] = process.argv.slice(3)
  for (const lr of lrs.map(Number)) {
    const run = await train(data, method, lr, 1, 300, 300, 200)
    console.log(JSON.stringify({ method, lr, seed: 1, steps: 300, ...run.final, stepMs: run.stepMs }))
  }
} else {
  const nudge = process.argv[2] === '--nudge'
  const [method, seed, ...dtypes] = process.argv.slice(nudge ? 3 : 2)
  const lr = LR[method] * (nudge ? 1 + 2 ** -20 : 1)
  for (const stateDtype of dtypes as StateDtype[]) {
    const run = await train(data, method, lr, Number(seed), 1200, 1200, 200, undefined, { stateDtype })
    const row = { method, seed: Number(seed), stateDtype, ...(nudge ? { nudge: true } : {}) }
    console.log(JSON.stringify({ ...row, ...run.final, stepMs: run.stepMs }))
  }
}
process.exit(0)
