// npm start: every optimizer on the paper's noisy, ill-conditioned quadratic (Balles & Hennig
// 2018, §5): L(θ) = ½ Σ λᵢ (θᵢ − x*ᵢ)², axis-aligned, 90% of the λᵢ ~ U[0, 1] and
// 10% ~ U[30, 60], stochastic gradient gᵢ = λᵢ(θᵢ − x*ᵢ) + ν·λᵢ·zᵢ with ν = 0.1, θ₀ = 0,
// x* ~ U[−10, 10]. Each optimizer's learning rate is tuned on a {1, 3}×10^k grid on a small
// copy of the problem, then it runs on a large one; the table shows the final loss and the
// optimizer's own throughput (gradient sampling excluded).
import { init, type Optimizer, type OptimizerClass, optimizers, type Parameter, parameter } from '../src/index.js'
import { rng } from './rng.js'

type Make = (params: Parameter[], lr: number) => Optimizer<object>
/** Every element-wise optimizer of the library (its registry; Muon takes matrices), and SGD with momentum besides. */
const OPTIMIZERS: [string, Make][] = (Object.entries(optimizers) as [string, OptimizerClass][])
  .filter(([, cls]) => !cls.matrices)
  .flatMap(([name, cls]): [string, Make][] => [
    [name, (p, lr) => new cls(p, { lr })],
    ...(name === 'SGD'
      ? [['SGD + momentum 0.9', (p: Parameter[], lr: number) => new cls(p, { lr, momentum: 0.9 })] as [string, Make]]
      : []),
  ])
const GRID = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1]
const NU = 0.1
const STEPS = 200

interface Problem {
  d: number
  lambda: Float32Array
  xstar: Float32Array
}

function problem(d: number, seed: number): Problem {
  const u = rng(seed)
  const lambda = Float32Array.from({ length: d }, (_, i) => (i % 10 === 9 ? 30 + 30 * u() : u()))
  const xstar = Float32Array.from({ length: d }, () => 20 * u() - 10)
  return { d, lambda, xstar }
}

function loss({ lambda, xstar }: Problem, theta: Float32Array): number {
  let sum = 0
  for (let i = 0; i < theta.length; i++) sum += 0.5 * lambda[i] * (theta[i] - xstar[i]) ** 2
  return sum
}

/** Runs STEPS steps; returns the final loss relative to the initial one and the ms spent in step(). */
function run(pr: Problem, make: Make, lr: number, seed: number): { rel: number; stepMs: number } {
  const p = parameter(pr.d)
  const opt = make([p], lr)
  const u = rng(seed)
  const initial = loss(pr, p.param)
  let stepMs = 0
  for (let t = 0; t < STEPS; t++) {
    const { param, grad } = p
    for (let i = 0; i < pr.d; i += 2) {
      // Two standard normals per Box–Muller draw.
      const r = Math.sqrt(-2 * Math.log(1 - u())),
        a = 2 * Math.PI * u()
      grad[i] = pr.lambda[i] * (param[i] - pr.xstar[i] + NU * r * Math.cos(a))
      if (i + 1 < pr.d) grad[i + 1] = pr.lambda[i + 1] * (param[i + 1] - pr.xstar[i + 1] + NU * r * Math.sin(a))
    }
    const t0 = performance.now()
    opt.step()
    stepMs += performance.now() - t0
  }
  const rel = loss(pr, p.param) / initial
  opt.dispose()
  p.dispose()
  return { rel: Number.isFinite(rel) ? rel : Infinity, stepMs }
}

const started = performance.now()
const { simd } = await init()
const small = problem(1_000, 1)
const large = problem(200_000, 2)
console.log(
  `wasm-optim demo: the noisy ill-conditioned quadratic (ν = ${NU}), ${STEPS} steps, ` +
    `${simd ? 'SIMD' : 'scalar'} build. Learning rates tuned on d = ${small.d}, final run on d = ${large.d}.\n`,
)
const rows: string[][] = []
for (const [name, make] of OPTIMIZERS) {
  const best = GRID.map((lr) => ({ lr, rel: run(small, make, lr, 3).rel })).reduce((a, b) => (b.rel < a.rel ? b : a))
  const { rel, stepMs } = run(large, make, best.lr, 4)
  rows.push([
    name,
    String(best.lr),
    rel.toExponential(2),
    (stepMs / STEPS).toFixed(3),
    ((large.d * STEPS) / stepMs / 1e6).toFixed(2),
  ])
  console.log(`  ${name.padEnd(20)} done`)
}
const head = ['optimizer', 'best lr', 'final / initial loss', 'ms per step', 'Gelem/s']
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)))
const line = (cells: string[]) =>
  cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')
console.log(`\n${line(head)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`)
for (const r of [...rows].sort((a, b) => Number(a[2]) - Number(b[2]))) console.log(line(r))
console.log(`\nfinished in ${((performance.now() - started) / 1000).toFixed(1)} s`)
