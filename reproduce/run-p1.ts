// The paper's P1, Fashion-MNIST with its CNN (reproduce/p1.ts): part of `npm run reproduce`.
//
//   tsx reproduce/run-p1.ts           the full run: a learning-rate grid of short runs, then each
//                                     method at the paper's learning rate over several seeds; about
//                                     an hour on a 2-core machine. Writes reproduce/results/p1.json
//                                     (after every run, so --resume can pick up after a stop) and
//                                     docs/p1.svg, and prints the tables in the README.
//   tsx reproduce/run-p1.ts --quick   half a minute: every method at the paper's learning rate for
//                                     12 steps, one seed, 1,000 test images; writes
//                                     output/p1-quick.json and .svg (test/p1.test.ts runs it).
//   tsx reproduce/run-p1.ts --report  the tables and figure again from the results file.
//
// Runs go to child processes, as many at a time as the machine has cores (P1's step runs on one
// thread: its matrix products are wasm-optim's single-threaded matmul, the rest TF.js's WASM
// backend without its thread pool). Each child prints its result as one JSON line.
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { figure, type Series } from '../examples/plot.js'
import { lensCharts } from './lens.js'
import { BEST, loadFashion, METHODS, type Point, type Run, train } from './p1.js'

/** The {1, 3}×10^k values on either side of the paper's best learning rates (BEST, reproduce/p1.ts). */
const GRID: Record<string, number[]> = {
  msgd: [0.03, 0.1, 0.3],
  mssd: [1e-4, 3e-4, 1e-3],
  msvag: [0.1, 0.3, 1],
  adam: [3e-4, 1e-3, 3e-3],
}
/** Final test accuracies in the paper's Fig. 3 (P1), as read off the figure by an independent reproduction. */
const PAPER: Record<string, number> = { adam: 0.918, mssd: 0.915, msvag: 0.91, msgd: 0.908 }

const SIZES = {
  full: { steps: 1200, seeds: [1, 2, 3], gridSteps: 300, evalEvery: 100, probe: 200, testPerClass: 1000 },
  quick: { steps: 12, seeds: [1], gridSteps: 0, evalEvery: 6, probe: 20, testPerClass: 100 },
}

interface Job {
  kind: 'grid' | 'main'
  m: string
  lr: number
  seed: number
  steps: number
  evalEvery: number
  probe: number
  /** Test images per class for the final evaluation (1,000: all of them). */
  testPerClass?: number
}
type Result = Job & Run

const key = (j: Job) => `${j.kind} ${j.m} ${j.lr} ${j.seed}`

if (process.argv.includes('--job')) {
  // A child: one run, its result on stdout.
  const job = JSON.parse(process.argv[process.argv.indexOf('--job') + 1]) as Job
  const run = await train(
    loadFashion(6000, job.testPerClass ?? 1000),
    job.m,
    job.lr,
    job.seed,
    job.steps,
    job.evalEvery,
    job.probe,
  )
  process.stdout.write(`${JSON.stringify({ ...job, ...run })}\n`)
  process.exit(0)
}

const quick = process.argv.includes('--quick')
const size = quick ? SIZES.quick : SIZES.full
const file = quick ? 'output/p1-quick.json' : 'reproduce/results/p1.json'
const svg = quick ? 'output/p1-quick.svg' : 'docs/p1.svg'
const started = performance.now()
const job = (kind: Job['kind'], m: string, lr: number, seed: number, steps: number, evalEvery: number): Job => ({
  kind,
  m,
  lr,
  seed,
  steps,
  evalEvery,
  probe: size.probe,
  testPerClass: size.testPerClass,
})
const jobs: Job[] = [
  ...Object.keys(GRID).flatMap((m) =>
    size.gridSteps ? GRID[m].map((lr) => job('grid', m, lr, 1, size.gridSteps, size.gridSteps)) : [],
  ),
  ...Object.keys(BEST).flatMap((m) =>
    size.seeds.map((seed) => job('main', m, BEST[m], seed, size.steps, size.evalEvery)),
  ),
]

let results: Result[] = []
if (process.argv.includes('--report') || process.argv.includes('--resume')) {
  if (!existsSync(file))
    throw new Error(`${file} does not exist: nothing to report or resume; run without either first`)
  results = JSON.parse(readFileSync(file, 'utf8')) as Result[]
}
if (!process.argv.includes('--report')) await runAll(jobs.filter((j) => !results.some((r) => key(r) === key(j))))
report()

/** Runs the jobs in child processes, as many at once as there are cores, saving after each. */
async function runAll(todo: Job[]): Promise<void> {
  const workers = Math.max(1, Math.min(availableParallelism(), todo.length))
  console.log(
    `P1: Fashion-MNIST CNN, batch 64; ${todo.length} runs on ${workers} processes: ` +
      `${size.gridSteps ? `a grid of ${size.gridSteps}-step runs, then ` : ''}${size.steps} steps × ${size.seeds.length} seed(s) per method`,
  )
  mkdirSync(file.slice(0, file.lastIndexOf('/')), { recursive: true })
  let next = 0
  const worker = async () => {
    while (next < todo.length) {
      const job = todo[next++]
      const t = performance.now()
      const r = await child(job)
      results.push(r)
      writeFileSync(file, `${JSON.stringify(results, null, 1)}\n`)
      console.log(
        `${key(job).padEnd(24)} test accuracy ${(100 * r.final.testAccuracy).toFixed(2)}%, ` +
          `${r.stepMs.toFixed(0)} ms/step, ${((performance.now() - t) / 1000).toFixed(0)} s`,
      )
    }
  }
  await Promise.all(Array.from({ length: workers }, worker))
}

function child(job: Job): Promise<Result> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', 'reproduce/run-p1.ts', '--job', JSON.stringify(job)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    p.stdout.on('data', (d) => {
      out += d
    })
    p.on('error', reject)
    p.on('close', (code) => {
      const line = out.trim().split('\n').at(-1) ?? ''
      if (code !== 0 || !line.startsWith('{')) reject(new Error(`P1 run ${key(job)} failed (exit ${code})`))
      else resolve(JSON.parse(line) as Result)
    })
  })
}

function report(): void {
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
  const spread = (xs: number[]) =>
    Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)) * (xs.length / Math.max(1, xs.length - 1)))
  const pct = (x: number) => (100 * x).toFixed(1)
  const grid = results.filter((r) => r.kind === 'grid')
  if (grid.length) {
    console.log(`\nLearning-rate grid, seed 1, ${size.gridSteps} steps: test accuracy (the paper's value in bold)\n`)
    console.log('| method | learning rate: test accuracy |\n|---|---|')
    for (const m of Object.keys(GRID)) {
      const cells = grid
        .filter((r) => r.m === m)
        .sort((a, b) => a.lr - b.lr)
        .map((r) =>
          r.lr === BEST[m] ? `**${r.lr}: ${pct(r.final.testAccuracy)}%**` : `${r.lr}: ${pct(r.final.testAccuracy)}%`,
        )
      console.log(`| ${METHODS[m].label} | ${cells.join(' · ')} |`)
    }
  }
  const main = Object.keys(BEST)
    .map((m) => ({ m, rs: results.filter((r) => r.kind === 'main' && r.m === m) }))
    .filter((b) => b.rs.length)
  if (!main.length) return
  const steps = main[0].rs[0].steps
  console.log(
    `\nP1 at the paper's learning rates, ${steps} steps, mean ± standard deviation over ${main[0].rs.length} seed(s)\n`,
  )
  console.log(
    '| method | lr | test accuracy | paper (6,000 steps) | test loss | training loss (EMA) | mean γ | P(sign right) | ms/step |',
  )
  console.log('|---|---|---|---|---|---|---|---|---|')
  for (const { m, rs } of [...main].sort(
    (a, b) => mean(b.rs.map((r) => r.final.testAccuracy)) - mean(a.rs.map((r) => r.final.testAccuracy)),
  )) {
    const acc = rs.map((r) => r.final.testAccuracy)
    const last = (f: (p: Point) => number | null) => mean(rs.map((r) => f(r.points.at(-1)!) ?? Number.NaN))
    const opt = (x: number) => (Number.isNaN(x) ? '–' : x.toFixed(2))
    console.log(
      `| ${METHODS[m].label} | ${BEST[m]} | ${pct(mean(acc))} ± ${(100 * spread(acc)).toFixed(1)}% | ${pct(PAPER[m])}% | ` +
        `${mean(rs.map((r) => r.final.testLoss)).toFixed(3)} | ${last((p) => p.trainLoss).toFixed(3)} | ` +
        `${opt(last((p) => p.gamma))} | ${opt(last((p) => p.signProbability))} | ${mean(rs.map((r) => r.stepMs)).toFixed(0)} |`,
    )
  }
  const series = (f: (p: Point) => number | null): Series[] =>
    main.map(({ m, rs }) => ({
      key: m,
      label: `${METHODS[m].label} (lr ${BEST[m]})`,
      color: METHODS[m].color,
      points: rs[0].points.map(
        (p, k) => [p.step, mean(rs.map((r) => f(r.points[k]) ?? Number.NaN))] as [number, number],
      ),
    }))
  const charts = lensCharts(series, {
    title: `test accuracy (${main[0].rs[0].probe * 10} test images; axis from 0.7)`,
    range: [0.7, 0.95],
  })
  mkdirSync(svg.slice(0, svg.lastIndexOf('/')), { recursive: true })
  writeFileSync(
    svg,
    figure(
      charts,
      2,
      480,
      280,
      `P1, Fashion-MNIST CNN: mean of ${main[0].rs.length} seed(s), the paper's learning rates`,
    ),
  )
  console.log(`\nwrote ${svg} (${((performance.now() - started) / 1000).toFixed(0)} s)`)
}
