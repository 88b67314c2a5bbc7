// Compact optimizer state on a noisy quadratic (docs/state.md): f(x) = ½ Σ hᵢxᵢ² over 8,192
// coordinates, hᵢ log-uniform in [0.01, 1], gradients hᵢxᵢ + σ√hᵢ·ξ (ξ standard normal), for
// Adam, M-SVAG and Lion keeping their moments in f32, bf16 and q8; σ 1 and 0.1, four seeds, 1,500
// steps. The score is the loss averaged over the last 250 steps; each dtype's against f32's of
// the same seed (the same start, curvatures and noise draws). Prints the ratios and writes
// reproduce/results/quadratic-state.json. `npx tsx reproduce/run-quadratic-state.ts` (minutes).
import { mkdirSync, writeFileSync } from 'node:fs'
import { rng } from '../examples/rng.js'
import { Adam, init, Lion, MSVAG, type Optimizer, type Parameter, parameter, type StateDtype } from '../src/index.js'

const D = 8192
const STEPS = 1500
const LAST = 250
const SEEDS = [1, 2, 3, 4]
const DTYPES: StateDtype[] = ['f32', 'bf16', 'q8']
const METHODS: Record<string, (p: Parameter, stateDtype: StateDtype) => Optimizer<object>> = {
  'M-SVAG': (p, stateDtype) => new MSVAG([p], { lr: 0.3, stateDtype }),
  Adam: (p, stateDtype) => new Adam([p], { lr: 1e-2, stateDtype }),
  Lion: (p, stateDtype) => new Lion([p], { lr: 1e-3, stateDtype }),
}

/** The loss averaged over the last LAST steps of one run. */
function run(make: (p: Parameter) => Optimizer<object>, sigma: number, seed: number): number {
  const r = rng(seed)
  const h = Float64Array.from({ length: D }, () => 10 ** (-2 * r()))
  const p = parameter(Float32Array.from({ length: D }, () => 2 * r() - 1))
  const opt = make(p)
  const noise = rng(1000 + seed)
  let score = 0
  for (let t = 1; t <= STEPS; t++) {
    for (let i = 0; i < D; i++) {
      const xi = Math.sqrt(-2 * Math.log(1 - noise())) * Math.cos(2 * Math.PI * noise())
      p.grad[i] = h[i] * p.param[i] + sigma * Math.sqrt(h[i]) * xi
    }
    opt.step()
    if (t > STEPS - LAST) {
      let loss = 0
      for (let i = 0; i < D; i++) loss += 0.5 * h[i] * p.param[i] ** 2
      score += loss / LAST
    }
  }
  opt.dispose()
  p.dispose()
  return score
}

await init()
const rows: { method: string; sigma: number; dtype: StateDtype; loss: number[]; ratio: number[] }[] = []
for (const sigma of [1, 0.1]) {
  for (const [method, make] of Object.entries(METHODS)) {
    const loss = Object.fromEntries(DTYPES.map((d) => [d, SEEDS.map((seed) => run((p) => make(p, d), sigma, seed))]))
    for (const dtype of DTYPES) {
      const ratio = loss[dtype].map((x, i) => x / loss.f32[i])
      rows.push({ method, sigma, dtype, loss: loss[dtype], ratio })
      console.log(
        `σ ${sigma} ${method.padEnd(6)} ${dtype.padEnd(4)} loss / f32's: ${ratio.map((x) => x.toFixed(3)).join(' ')}`,
      )
    }
  }
}
mkdirSync('reproduce/results', { recursive: true })
const date = new Date().toISOString().slice(0, 10)
const setup = { d: D, steps: STEPS, last: LAST, seeds: SEEDS }
writeFileSync('reproduce/results/quadratic-state.json', `${JSON.stringify({ date, ...setup, rows }, null, 2)}\n`)
process.exit(0)
