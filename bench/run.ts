// npm run bench [-- --quick]: throughput of every optimizer step in Gelem/s (parameters updated
// per second / 1e9), SIMD and scalar builds against a plain TypeScript loop measured in the same
// run, Adam also against TensorFlow.js (CPU and WASM backends); then what things cost against a
// step (bench/costs.ts), helper threads (bench/threads.ts), compact state (bench/state.ts), Muon
// (bench/muon.ts) and TF.js training (bench/training.ts), and the targets of bench/RESULTS.md as
// ratios. Writes bench/results.json and the tables between the markers in bench/RESULTS.md.
// Medians of tinybench samples; each sample runs enough steps to last about 0.1 ms or more.
import { execFileSync } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import os from 'node:os'
import { Adam, init, type OptimizerName, optimizers } from '../src/index.js'
import { costBench, costTables, costTargets } from './costs.js'
import { BUDGET_MS, f, measure, quick, random, repeat, repsFor, type Target, targetRow, wasmTask } from './measure.js'
import { muonBench, muonTable, muonTargets } from './muon.js'
import { PLAIN } from './plain.js'
import { stateDtypeBench, stateTable, stateTargets } from './state.js'
import { threadScaling, threadTable, threadTargets } from './threads.js'
import { tfjsTraining, trainingKernels, trainingSummary, trainingTables } from './training.js'

const only = process.argv
  .find((a) => a.startsWith('--only='))
  ?.slice(7)
  .split(',')
const SIZES = quick ? [1e3, 1e6] : [1e3, 1e5, 1e6, 1e7]

function plainTask(name: OptimizerName, n: number, reps: number): () => void {
  const plain = PLAIN[name]
  if (!plain) throw new Error(`bench/plain.ts has no baseline for ${name}`)
  const arrays: Record<string, Float32Array> = { p: random(n), g: random(n) }
  for (const s of plain.state) arrays[s] = new Float32Array(n)
  let t = 0
  return repeat(reps, () => plain.step(arrays, ++t))
}

async function throughput() {
  const rows: { optimizer: string; n: number; simd: number; keep: number; scalar: number; plain: number }[] = []
  // Muon steps matrices: it has its own section (muonBench); the rest are per element.
  const names = (Object.keys(optimizers) as OptimizerName[]).filter((o) => !optimizers[o].matrices)
  for (const name of names.filter((o) => !only || only.includes(o))) {
    for (const n of SIZES) {
      const reps = repsFor(n)
      const r: Record<string, number> = {}
      for (const simd of [true, false]) {
        await init({ simd })
        const task = wasmTask(name, n, reps)
        r[simd ? 'simd' : 'scalar'] = (await measure({ run: task.run }, n * reps, BUDGET_MS)).run
        task.free()
      }
      // The SIMD step again with subnormals kept: what flushing costs on ordinary data.
      await init({ simd: true })
      const keep = wasmTask(name, n, reps, { subnormals: 'keep' })
      r.keep = (await measure({ run: keep.run }, n * reps, BUDGET_MS)).run
      keep.free()
      r.plain = (await measure({ run: plainTask(name, n, reps) }, n * reps, BUDGET_MS)).run
      rows.push({ optimizer: name, n, simd: r.simd, keep: r.keep, scalar: r.scalar, plain: r.plain })
      console.log(
        `${name.padEnd(8)} n=${n.toExponential(0)}  simd ${r.simd.toFixed(3)} (keep ${r.keep.toFixed(3)})  scalar ${r.scalar.toFixed(3)}  plain ${r.plain.toFixed(3)} Gelem/s`,
      )
    }
  }
  return rows
}

/** Adam through the copying path (plain Float32Arrays) and through TensorFlow.js's backends. */
async function adamExtras() {
  await init({ simd: true })
  // TF.js runs in a process of its own: importing @tensorflow/tfjs slows every plain typed-array
  // loop in the importing process about 2× (RMSprop's plain loop: 0.34 → 0.16 Gelem/s), which
  // would flatter our ratios against the plain loop.
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', 'bench/tfjs.ts', JSON.stringify({ sizes: SIZES, budget: BUDGET_MS })],
    { encoding: 'utf8' },
  )
  const tfRows: { n: number; cpu: number; wasm: number }[] = JSON.parse(out.trim().split('\n').at(-1)!)
  const rows: { n: number; plainArrays: number; tfCpu: number; tfWasm: number }[] = []
  for (const n of SIZES) {
    const tfjs = tfRows.find((r) => r.n === n)!
    const reps = repsFor(n)
    const spec = { param: random(n), grad: random(n) }
    const opt = new Adam([spec])
    const plainArrays = (await measure({ run: repeat(reps, () => opt.step()) }, n * reps, BUDGET_MS)).run
    opt.dispose()
    rows.push({ n, plainArrays, tfCpu: tfjs.cpu, tfWasm: tfjs.wasm })
    console.log(
      `Adam     n=${n.toExponential(0)}  plain arrays ${plainArrays.toFixed(3)}  TF.js cpu ${tfjs.cpu.toFixed(4)}  TF.js wasm ${tfjs.wasm.toFixed(3)} Gelem/s`,
    )
  }
  return rows
}
const machine = {
  date: new Date().toISOString().slice(0, 10),
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cores: os.cpus().length,
  node: process.version,
  quick,
}
console.log(`${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, ${machine.date}${quick ? ' (quick)' : ''}`)
const rows = await throughput()
const adam = await adamExtras()
const costs = await costBench()
const threads = await threadScaling()
const state = await stateDtypeBench(BUDGET_MS / 2)
const muon = await muonBench()
const training = tfjsTraining()
const kernelRows = trainingKernels()
await writeFile(
  'bench/results.json',
  `${JSON.stringify({ machine, rows, adam, ...costs, threads, state, muon, tfjs: training, kernels: kernelRows }, null, 2)}\n`,
)

// Targets of issue #2, as ratios within this run.
const at = (name: string, n: number) => rows.find((r) => r.optimizer === name && r.n === n)
const N = 1e6
const adamRow = at('Adam', N)
const adamX = adam.find((r) => r.n === N)
const targets: Target[] = []
if (adamRow && adamX) {
  targets.push(['Adam, parameter() buffers / plain loop', adamRow.simd / adamRow.plain, 5.5, 'min'])
  targets.push(['Adam, parameter() buffers / TF.js WASM backend', adamRow.simd / adamX.tfWasm, 6, 'min'])
  targets.push(['M-SVAG / plain loop', at('MSVAG', N)!.simd / at('MSVAG', N)!.plain, 3.8, 'min'])
  for (const r of rows.filter((r) => r.n === N))
    targets.push([`${r.optimizer} / plain loop (every optimizer)`, r.simd / r.plain, 3, 'min'])
  targets.push(['Adam, plain-array (copying) path / plain loop', adamX.plainArrays / adamRow.plain, 3, 'min'])
  targets.push(['Adam, scalar build / plain loop', adamRow.scalar / adamRow.plain, 1.4, 'min'])
}
targets.push(...threadTargets(threads), ...muonTargets(muon), ...stateTargets(state), ...costTargets(costs))
const md = [
  `Measured ${machine.date} on ${machine.cpu} (${machine.cores} cores), Node ${machine.node}${quick ? ', quick run' : ''}.`,
  '',
  '### Targets at 1e6 elements (ratios within this run)',
  '',
  '| target | measured | required | |',
  '|---|---|---|---|',
  ...targets.map(targetRow),
  '',
  '### Throughput, Gelem/s (parameters updated per second / 1e9), parameter() buffers',
  '',
  "SIMD is the default build with the default `subnormals: 'flush'`; 'keep' the same build with strict IEEE",
  'subnormals, on the same ordinary data (no subnormals in it): the difference is what flushing costs.',
  '',
  "| optimizer | n | SIMD | SIMD, 'keep' | scalar | plain TS loop | SIMD / plain | scalar / plain |",
  '|---|---|---|---|---|---|---|---|',
  ...rows.map(
    (r) =>
      `| ${r.optimizer} | ${r.n.toExponential(0)} | ${f(r.simd)} | ${f(r.keep)} | ${f(r.scalar)} | ${f(r.plain)} | ${f(r.simd / r.plain, 2)}× | ${f(r.scalar / r.plain, 2)}× |`,
  ),
  '',
  '### Adam: the copying path and TensorFlow.js 4.22, Gelem/s',
  '',
  '| n | parameter() SIMD | plain arrays SIMD | TF.js CPU | TF.js WASM | SIMD / TF.js WASM |',
  '|---|---|---|---|---|---|',
  ...adam.map((a) => {
    const simd = at('Adam', a.n)!.simd
    return `| ${a.n.toExponential(0)} | ${f(simd)} | ${f(a.plainArrays)} | ${f(a.tfCpu, 4)} | ${f(a.tfWasm)} | ${f(simd / a.tfWasm, 1)}× |`
  }),
  '',
  ...costTables(costs),
  '',
  ...threadTable(threads),
  '',
  ...stateTable(state),
  '',
  ...muonTable(muon),
  '',
  ...trainingTables(training, kernelRows),
]
const summary = [
  `Measured ${machine.date} on ${machine.cpu} (${machine.cores} cores), Node ${machine.node}.`,
  '',
  '| optimizer | SIMD | scalar | plain TS loop | SIMD / plain |',
  '|---|---|---|---|---|',
  ...rows
    .filter((r) => r.n === N)
    .map(
      (r) => `| ${r.optimizer} | ${f(r.simd, 2)} | ${f(r.scalar, 2)} | ${f(r.plain, 2)} | ${f(r.simd / r.plain, 1)}× |`,
    ),
  ...(adamX
    ? [
        '',
        `Adam with plain Float32Arrays (staged copies): ${f(adamX.plainArrays, 2)}; TF.js CPU backend ${f(adamX.tfCpu, 4)}, WASM backend ${f(adamX.tfWasm, 2)}.`,
      ]
    : []),
]

/** Replaces the text between `<!-- tag:start -->` and `<!-- tag:end -->` in a file. */
async function splice(file: string, tag: string, lines: string[]): Promise<void> {
  const text = await readFile(file, 'utf8')
  const [head, rest] = text.split(`<!-- ${tag}:start -->`)
  const tail = rest?.split(`<!-- ${tag}:end -->`)[1]
  if (tail === undefined) throw new Error(`${file} has no <!-- ${tag}:start/end --> markers`)
  await writeFile(file, `${head}<!-- ${tag}:start -->\n${lines.join('\n')}\n<!-- ${tag}:end -->${tail}`)
}
if (!quick && !only) {
  await splice('bench/RESULTS.md', 'results', md)
  await splice('README.md', 'bench-summary', summary)
  await splice('README.md', 'tfjs-summary', [
    `Measured ${machine.date} on ${machine.cpu} (${machine.cores} cores), Node ${machine.node}.`,
    '',
    ...trainingSummary(training),
  ])
  console.log('wrote bench/results.json, bench/RESULTS.md and the summary in README.md')
} else {
  console.log(md.join('\n'))
  console.log('quick run: bench/results.json written; RESULTS.md and README.md left as they were')
}
