// Run by test/threads-tsx.test.ts under tsx (`node --import tsx`): steps with helper threads,
// turning the event loop between steps so that a helper's death is reported; prints the outcome.
import { Adam, init, parameter } from '../../src/index.js'

try {
  const { threads } = await init({ threads: 2 })
  const w = parameter(1_000_000)
  w.grad.fill(0.5)
  const opt = new Adam([w], { lr: 0.1 })
  for (let i = 0; i < 5; i++) {
    opt.step()
    await new Promise((r) => setTimeout(r, 50))
  }
  console.log(JSON.stringify({ threads, last: w.param[999_999] }))
} catch (e) {
  console.log(JSON.stringify({ error: String((e as Error).message) }))
}
process.exit(0)
