// npm run bench [-- --quick]: throughput of every optimizer step in Gelem/s (parameters updated
// per second / 1e9), SIMD and scalar builds against a plain TypeScript loop measured in the same
// run, Adam also against TensorFlow.js (CPU and WASM backends); then the per-call overhead and
// the targets of bench/RESULTS.md as ratios. Writes bench/results.json and the tables between
// the markers in bench/RESULTS.md. Medians of tinybench samples; each sample runs enough steps
// to last about 0.1 ms or more.
import { execFileSync, spawn } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import os from 'node:os'
import {
  Adam,
  init,
  Muon,
  type OptimizerClass,
  type OptimizerName,
  optimizers,
  type Parameter,
  parameter,
  shutdown,
} from '../src/index.js'
import { runtime, view } from '../src/runtime.js'
import { measure, random, repeat, repsFor } from './measure.js'
import { PLAIN } from './plain.js'
import { stateDtypeBench, stateTable, stateTargets } from './state.js'

const quick = process.argv.includes('--quick')
const only = process.argv
  .find((a) => a.startsWith('--only='))
  ?.slice(7)
  .split(',')
const SIZES = quick ? [1e3, 1e6] : [1e3, 1e5, 1e6, 1e7]
const BUDGET_MS = quick ? 150 : 400

/**
 * The classes typed as one loose constructor: `new CLASSES[name](…)` on the union of every class
 * makes TypeScript intersect every class's parameter types (out of memory at seventeen).
 */
const CLASSES: Record<OptimizerName, OptimizerClass> = optimizers

/** One optimizer over one parameter() of n elements, stepped reps times per call. */
function wasmTask(
  name: OptimizerName,
  n: number,
  reps: number,
  options: object = {},
): { run: () => void; free: () => void } {
  const p: Parameter = parameter(random(n))
  p.grad.set(random(n))
  const opt = new CLASSES[name]([p], options)
  return {
    run: repeat(reps, () => opt.step()),
    free: () => {
      opt.dispose()
      p.dispose()
    },
  }
}

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

/** One Adam step over 100 parameters of 1e3 elements against one of 1e5: the cost of many calls. */
async function overhead() {
  await init({ simd: true })
  const many = Array.from({ length: 100 }, () => parameter(random(1000)))
  const one = parameter(random(100_000))
  const optMany = new Adam(many)
  const optOne = new Adam([one])
  const r = await measure(
    { many: repeat(2, () => optMany.step()), one: repeat(2, () => optOne.step()) },
    2e5,
    BUDGET_MS,
  )
  optMany.dispose()
  optOne.dispose()
  for (const p of [...many, one]) p.dispose()
  const ratio = r.one / r.many
  console.log(`100 x 1e3 costs ${ratio.toFixed(2)}x one 1e5 tensor (Adam, SIMD)`)
  return { many: r.many, one: r.one, ratio }
}

/** What the non-finite check and gradient clipping cost, against one Adam step, SIMD, parameter() buffers. */
async function robustness() {
  await init({ simd: true })
  const rows: { n: number; adam: number; adamChecked: number; clipNorm: number; clipValue: number }[] = []
  for (const n of quick ? [1e6] : [1e5, 1e6]) {
    const reps = repsFor(n)
    const w = parameter(random(n))
    w.grad.set(random(n))
    const plain = new Adam([w])
    const checked = new Adam([w], { nonFinite: 'skip' })
    const clip = new Adam([w])
    plain.step()
    // Medians of per-call times (ms); clipGradNorm(1e9) measures the norm pass alone (no scaling).
    const r = await measure(
      {
        adam: repeat(reps, () => plain.step()),
        adamChecked: repeat(reps, () => checked.step()),
        clipNorm: repeat(reps, () => clip.clipGradNorm(1e9)),
        clipValue: repeat(reps, () => clip.clipGradValue(1e9)),
      },
      n * reps,
      BUDGET_MS,
    )
    for (const o of [plain, checked, clip]) o.dispose()
    w.dispose()
    const ms = (k: string) => (n * reps) / (r[k] * 1e6)
    rows.push({
      n,
      adam: ms('adam'),
      adamChecked: ms('adamChecked'),
      clipNorm: ms('clipNorm'),
      clipValue: ms('clipValue'),
    })
    console.log(
      `n=${n.toExponential(0)}: non-finite check +${((ms('adamChecked') / ms('adam') - 1) * 100).toFixed(0)}% of an Adam step, ` +
        `clipGradNorm ${((ms('clipNorm') / ms('adam')) * 100).toFixed(0)}%, clipGradValue ${((ms('clipValue') / ms('adam')) * 100).toFixed(0)}%`,
    )
  }
  return rows
}

/**
 * What asking opt.stats() after every step costs, against the step itself: one parameter() of n
 * elements, and the MNIST perceptron's four (784×64, 64, 64×10, 10) in one group. Default sample.
 */
async function diagnostics() {
  await init({ simd: true })
  const methods: [string, OptimizerName, object][] = [
    ['Adam', 'Adam', {}],
    ['M-SVAG', 'MSVAG', {}],
    ['M-SGD (trackVariance)', 'MSGD', { trackVariance: true }],
    // The cheapest steps: M-SGD without v (norms, signs and the update norm) and SGD (norms only).
    ['M-SGD', 'MSGD', {}],
    ['SGD', 'SGD', {}],
  ]
  const shapes: [string, number[]][] = [
    ...(quick ? [1e4, 1e6] : [1e3, 1e4, 1e5, 1e6]).map((n): [string, number[]] => [n.toExponential(0), [n]]),
    ['MNIST MLP (4 tensors, 50,890)', MNIST_MLP],
  ]
  const rows: { shape: string; method: string; step: number; stats: number }[] = []
  for (const [shape, sizes] of shapes) {
    const n = sizes.reduce((a, b) => a + b)
    const reps = repsFor(n)
    const ws = sizes.map((k) => parameter(random(k)))
    for (const w of ws) w.grad.set(random(w.param.length))
    for (const [method, name, options] of methods) {
      const opt = new CLASSES[name](ws, options)
      opt.step()
      const r = await measure(
        { step: repeat(reps, () => opt.step()), stats: repeat(reps, () => opt.stats()) },
        n * reps,
        BUDGET_MS,
      )
      opt.dispose()
      const us = (k: string) => (n / r[k]) * 1e-3
      rows.push({ shape, method, step: us('step'), stats: us('stats') })
      console.log(
        `${shape} ${method}: step ${us('step').toFixed(2)} us, stats() ${us('stats').toFixed(2)} us (${(us('stats') / us('step')).toFixed(2)}x)`,
      )
    }
    for (const w of ws) w.dispose()
  }
  return rows
}

/** The MNIST perceptron's tensors (784×64, 64, 64×10, 10): 50,890 parameters. */
const MNIST_MLP = [784 * 64, 64, 64 * 10, 10]

/**
 * What subnormal values cost, flushed (the default) and kept: an Adam and an M-SVAG step over the
 * MNIST perceptron's tensors with ordinary gradients and with gradients of about 1e-20, whose
 * squares (in v) are subnormal. Each arm has its own parameters and state.
 */
async function subnormalCost() {
  await init({ simd: true })
  const n = MNIST_MLP.reduce((a, b) => a + b)
  const reps = repsFor(n)
  const rows: { method: string; mode: string; ordinary: number; tiny: number }[] = []
  for (const [method, name] of [
    ['Adam', 'Adam'],
    ['M-SVAG', 'MSVAG'],
  ] as const) {
    const arms: Record<string, () => void> = {}
    const made: { dispose(): void }[] = []
    for (const mode of ['flush', 'keep'] as const) {
      for (const [data, scale] of [
        ['ordinary', 1],
        ['tiny', 1e-20],
      ] as const) {
        const ws = MNIST_MLP.map((k) => parameter(random(k)))
        for (const w of ws) w.grad.set(random(w.param.length).map((x) => x * scale))
        const opt = new CLASSES[name](ws, { subnormals: mode })
        for (let i = 0; i < 10; i++) opt.step()
        arms[`${mode} ${data}`] = repeat(reps, () => opt.step())
        made.push(opt, ...ws)
      }
    }
    const r = await measure(arms, n * reps, BUDGET_MS)
    for (const o of made) o.dispose()
    const ms = (k: string) => n / (r[k] * 1e6)
    for (const mode of ['flush', 'keep']) {
      rows.push({ method, mode, ordinary: ms(`${mode} ordinary`), tiny: ms(`${mode} tiny`) })
      console.log(
        `${method}, subnormals '${mode}': ordinary ${ms(`${mode} ordinary`).toFixed(4)} ms, 1e-20 gradients ${ms(`${mode} tiny`).toFixed(4)} ms (${(ms(`${mode} tiny`) / ms(`${mode} ordinary`)).toFixed(2)}x)`,
      )
    }
  }
  return rows
}

/** Gelem/s of `task` on 1 and on 2 threads: the medians of four measurements each, taken in turn (ABAB…: drift cancels). */
async function onThreads(
  make: () => { run: () => void; free: () => void },
  elems: number,
): Promise<{ one: number; two: number }> {
  const got: { one: number[]; two: number[] } = { one: [], two: [] }
  for (const threads of [1, 2, 1, 2, 1, 2, 1, 2]) {
    await init({ threads })
    const task = make()
    got[threads === 1 ? 'one' : 'two'].push((await measure({ run: task.run }, elems, BUDGET_MS / 2)).run)
    task.free()
  }
  shutdown()
  const median = (x: number[]) => {
    const s = [...x].sort((a, b) => a - b)
    return (s[1] + s[2]) / 2
  }
  return { one: median(got.one), two: median(got.two) }
}

/**
 * Helper threads: Adam and M-SVAG steps on 1 and 2 threads from 1e2 to 1e7 elements, 100
 * tensors of 1e4, the staged plain-array path (which stays on the calling thread), the passes
 * over gradients and the diagnostics at 1e6, and what a pool costs a step too small to split.
 */
async function threadScaling() {
  await init({ simd: true })
  const rows: { what: string; n: number; one: number; two: number }[] = []
  const add = (what: string, n: number, r: { one: number; two: number }) => {
    rows.push({ what, n, ...r })
    console.log(`threads: ${what} n=${n.toExponential(0)}: 2 threads / 1 = ${(r.two / r.one).toFixed(2)}x`)
  }
  const sizes = quick ? [1e3, 1e5, 1e6] : [1e2, 1e3, 1e4, 3e4, 1e5, 1e6, 1e7]
  for (const name of ['Adam', 'MSVAG'] as const) {
    for (const n of sizes) {
      const reps = repsFor(n)
      add(name, n, await onThreads(() => wasmTask(name, n, reps), n * reps))
    }
  }
  /** One Adam over `count` parameter()s of `n` elements. */
  const tensors = (count: number, n: number) => () => {
    const ws = Array.from({ length: count }, () => parameter(random(n)))
    for (const w of ws) w.grad.set(random(n))
    const opt = new Adam(ws)
    return {
      run: () => opt.step(),
      free: () => {
        opt.dispose()
        for (const w of ws) w.dispose()
      },
    }
  }
  add('Adam, 100 tensors of 1e4', 1e6, await onThreads(tensors(100, 1e4), 1e6))
  add('Adam, 200 tensors of 5e3', 1e6, await onThreads(tensors(200, 5e3), 1e6))
  // Another process busy on a core (a loop in a child process): 2 threads must cost no more than 1.
  for (const n of quick ? [1e6] : [1e5, 1e6]) {
    const hog = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' })
    try {
      add(
        'Adam, another process busy on a core',
        n,
        await onThreads(() => wasmTask('Adam', n, repsFor(n)), n * repsFor(n)),
      )
    } finally {
      hog.kill()
    }
  }
  const staged = () => {
    const opt = new Adam([{ param: random(1e6), grad: random(1e6) }])
    return { run: () => opt.step(), free: () => opt.dispose() }
  }
  add('Adam, plain Float32Arrays (staged)', 1e6, await onThreads(staged, 1e6))
  const onGradient = (kind: 'clipGradNorm' | 'nonFinite' | 'stats') => () => {
    const w = parameter(random(1e6))
    w.grad.set(random(1e6))
    // A NaN at the very end: a step under 'skip' runs the whole check, then changes nothing.
    if (kind === 'nonFinite') w.grad[1e6 - 1] = Number.NaN
    const opt = new Adam([w], { nonFinite: 'skip' })
    if (kind === 'stats') {
      w.grad[1e6 - 1] = 0
      opt.step()
    }
    const pass =
      kind === 'clipGradNorm'
        ? () => opt.clipGradNorm(1e9)
        : kind === 'nonFinite'
          ? () => opt.step()
          : () => opt.stats()
    return {
      run: pass,
      free: () => {
        opt.dispose()
        w.dispose()
      },
    }
  }
  // Steps with 2 ms of other work (a busy loop) in between, as in training: the helpers sleep.
  for (const n of quick ? [1e6] : [3e4, 1e5, 3e5, 1e6]) {
    const best = { one: 0, two: 0 }
    for (const threads of [1, 2, 1, 2]) {
      await init({ threads })
      const w = parameter(random(n))
      w.grad.set(random(n))
      const opt = new Adam([w])
      const times: number[] = []
      for (let i = 0; i < (quick ? 50 : 200); i++) {
        const until = performance.now() + 2
        while (performance.now() < until) {}
        const t = performance.now()
        opt.step()
        times.push(performance.now() - t)
      }
      times.sort((a, b) => a - b)
      const key = threads === 1 ? 'one' : 'two'
      best[key] = Math.max(best[key], n / (times[times.length >> 1] * 1e6))
      opt.dispose()
      w.dispose()
    }
    shutdown()
    add('Adam, 2 ms of other work between steps (median step)', n, best)
  }
  add('clipGradNorm (the norm pass)', 1e6, await onThreads(onGradient('clipGradNorm'), 1e6))
  add("the non-finite check (nonFinite: 'skip')", 1e6, await onThreads(onGradient('nonFinite'), 1e6))
  add('stats()', 1e6, await onThreads(onGradient('stats'), 1e6))
  // What the pool costs a step it does not split: µs per 1e3-element Adam step, without and with helpers.
  const tiny = await onThreads(() => wasmTask('Adam', 1e3, 100), 1e5)
  const poolCost = (1e5 / tiny.two - 1e5 / tiny.one) / 100 / 1e3
  console.log(`threads: a 1e3-element Adam step costs ${poolCost.toFixed(3)} us more with a pool`)
  return { rows, poolCost, small: tiny }
}

/** Median milliseconds of `reps` calls of fn (after one warm-up call). */
function medianMs(fn: () => void, reps: number): number {
  fn()
  const times: number[] = []
  for (let i = 0; i < reps; i++) {
    const t = performance.now()
    fn()
    times.push(performance.now() - t)
  }
  times.sort((a, b) => a - b)
  return times[times.length >> 1]
}

/** The plain TypeScript triple loop a careful user writes: i, k, j order, the row of B streamed. */
function plainMatmul(a: Float32Array, b: Float32Array, c: Float32Array, n: number): void {
  c.fill(0)
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const x = a[i * n + k]
      const row = k * n
      const out = i * n
      for (let j = 0; j < n; j++) c[out + j] += x * b[row + j]
    }
  }
}

/**
 * Muon: the matrix multiply (packing included) against a plain TypeScript triple loop and
 * TF.js's WASM backend tf.matMul, one thread each, in GFLOP/s (2n³ per product); then Muon steps
 * on the MNIST perceptron's hidden matrix and on 1024 × 1024, with the share of Newton–Schulz.
 */
async function muonBench() {
  await init({ simd: true, threads: 1 })
  const sizes = quick ? [256] : [256, 512, 1024]
  const tf: { n: number; gflops: number }[] = JSON.parse(
    execFileSync(
      process.execPath,
      ['--import', 'tsx', 'bench/tfjs-matmul.ts', JSON.stringify({ sizes, reps: quick ? 5 : 15 })],
      {
        encoding: 'utf8',
      },
    )
      .trim()
      .split('\n')
      .at(-1)!,
  )
  const rows: { n: number; ours: number; plain: number; tfjs: number }[] = []
  const r = runtime()
  for (const n of sizes) {
    const [a, b, bp, c] = [0, 1, 2, 3].map(() => r.arena.alloc(4 * n * n))
    view(a, n * n).set(random(n * n))
    view(b, n * n).set(random(n * n))
    const flop = 2 * n ** 3
    const ours =
      flop /
      (medianMs(
        () => {
          r.kernels.pack(b, bp, n, n)
          r.kernels.matmul(a, bp, c, n, n, n)
        },
        quick ? 5 : 15,
      ) *
        1e6)
    const [pa, pb, pc] = [random(n * n), random(n * n), new Float32Array(n * n)]
    const plain = flop / (medianMs(() => plainMatmul(pa, pb, pc, n), n >= 1024 ? 1 : 3) * 1e6)
    for (const x of [a, b, bp, c]) r.arena.free(x)
    const tfjs = tf.find((t) => t.n === n)!.gflops
    rows.push({ n, ours, plain, tfjs })
    console.log(`matmul n=${n}: ${ours.toFixed(1)} GFLOP/s, plain ${plain.toFixed(2)}, TF.js wasm ${tfjs.toFixed(1)}`)
  }
  const steps: { shape: string; threads: number; ms: number; ns: number }[] = []
  for (const [rows_, cols] of quick
    ? [[64, 784]]
    : [
        [64, 784],
        [1024, 1024],
      ]) {
    for (const threads of [1, 2]) {
      await init({ threads })
      const n = rows_ * cols
      const w = parameter(random(n), { shape: [rows_, cols] })
      w.grad.set(random(n))
      const time = (nsSteps: number) => {
        const opt = new Muon([w], { lr: 0.02, nsSteps })
        const ms = medianMs(() => opt.step(), rows_ >= 1024 ? 3 : 30)
        opt.dispose()
        return ms
      }
      const five = time(5)
      const one = time(1)
      // Newton–Schulz's share: five iterations, each (five − one)/4.
      steps.push({ shape: `${rows_} × ${cols}`, threads, ms: five, ns: (5 * (five - one)) / 4 / five })
      console.log(
        `Muon ${rows_} x ${cols}, ${threads} thread(s): ${five.toFixed(2)} ms per step, Newton-Schulz ${(((5 * (five - one)) / 4 / five) * 100).toFixed(0)}%`,
      )
      w.dispose()
    }
  }
  shutdown()
  return { rows, steps }
}

interface TrainRow {
  backend: string
  model: string
  params: number
  stepTfjs: number
  stepOurs: number
  applyTfjs: number
  applyOurs: number
  kernel: number
}

/** wasm-optim/tfjs's adam against tf.train.adam inside trainOnBatch (bench/tfjs-train.ts, a process of its own). */
function tfjsTraining(): TrainRow[] {
  const args = JSON.stringify(quick ? { steps: 8, warmup: 2 } : { steps: 30, warmup: 5 })
  const out = execFileSync(process.execPath, ['--import', 'tsx', 'bench/tfjs-train.ts', args], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  })
  const rows: TrainRow[] = JSON.parse(out.trim().split('\n').at(-1)!)
  for (const r of rows) {
    console.log(
      `TF.js ${r.backend} ${r.model}: trainOnBatch ${(r.stepTfjs / r.stepOurs).toFixed(2)}x, applyGradients ${(r.applyTfjs / r.applyOurs).toFixed(1)}x faster`,
    )
  }
  return rows
}

interface KernelRow {
  backend: string
  model: string
  arm: string
  ms: number
  spread: [number, number]
}

/** trainOnBatch with TF.js's kernels, the transposes-only fix and wasm-optim's training kernels (bench/tfjs-kernels.ts, a process of its own). */
function trainingKernels(): KernelRow[] {
  const args = JSON.stringify(quick ? { steps: 4, warmup: 1 } : { steps: 12, warmup: 3 })
  const out = execFileSync(process.execPath, ['--import', 'tsx', 'bench/tfjs-kernels.ts', args], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  })
  return JSON.parse(out.trim().split('\n').at(-1)!)
}

/** The targets of issue #20, as ratios of medians measured in the same run. */
function kernelTargets(k: KernelRow[]): [string, number, number, 'min' | 'max', string][] {
  const ms = (backend: string, model: string, arm: string) =>
    k.find((r) => r.backend === backend && r.model.startsWith(model) && r.arm.startsWith(arm))?.ms ?? Number.NaN
  const own = "TF.js's own"
  const ours1 = 'wasm-optim kernels, 1'
  const ours2 = 'wasm-optim kernels, 2'
  return [
    ['MLP on wasm: TF.js kernels / ours (1 thread)', ms('wasm', 'MLP', own) / ms('wasm', 'MLP', ours1), 12, 'min', '×'],
    [
      'MLP on wasm: transposes-only fix / ours (1 thread)',
      ms('wasm', 'MLP', 'transposes') / ms('wasm', 'MLP', ours1),
      1.5,
      'min',
      '×',
    ],
    ['P1 2c2d on wasm, ours, 1 thread', ms('wasm', 'P1', ours1), 280, 'max', ' ms'],
    ['P1 2c2d on wasm, ours, 2 threads', ms('wasm', 'P1', ours2), 160, 'max', ' ms'],
    [
      'small conv net: TF.js cpu / ours on wasm (1 thread)',
      ms('cpu', 'small', own) / ms('wasm', 'small', ours1),
      20,
      'min',
      '×',
    ],
    ['MLP on cpu: TF.js kernels / ours', ms('cpu', 'MLP', own) / ms('cpu', 'MLP', ours1), 5, 'min', '×'],
    ['P1 2c2d on cpu: TF.js kernels / ours', ms('cpu', 'P1', own) / ms('cpu', 'P1', ours1), 5, 'min', '×'],
    ['small conv net on cpu: TF.js kernels / ours', ms('cpu', 'small', own) / ms('cpu', 'small', ours1), 5, 'min', '×'],
  ]
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
const calls = await overhead()
const costs = await robustness()
const diag = await diagnostics()
const subnormals = await subnormalCost()
const threads = await threadScaling()
const state = await stateDtypeBench(BUDGET_MS / 2)
const muon = await muonBench()
const training = tfjsTraining()
const kernelRows = trainingKernels()
await writeFile(
  'bench/results.json',
  `${JSON.stringify({ machine, rows, adam, calls, costs, diagnostics: diag, subnormals, threads, state, muon, tfjs: training, kernels: kernelRows }, null, 2)}\n`,
)

// Targets of issue #2, as ratios within this run.
const at = (name: string, n: number) => rows.find((r) => r.optimizer === name && r.n === n)
const N = 1e6
const adamRow = at('Adam', N)
const adamX = adam.find((r) => r.n === N)
/** [what, measured, bound, 'min' (at least the bound: a speed-up) or 'max' (at most: a cost)] */
const targets: [string, number, number, 'min' | 'max'][] = []
if (adamRow && adamX) {
  targets.push(['Adam, parameter() buffers / plain loop', adamRow.simd / adamRow.plain, 5.5, 'min'])
  targets.push(['Adam, parameter() buffers / TF.js WASM backend', adamRow.simd / adamX.tfWasm, 6, 'min'])
  targets.push(['M-SVAG / plain loop', at('MSVAG', N)!.simd / at('MSVAG', N)!.plain, 3.8, 'min'])
  for (const r of rows.filter((r) => r.n === N))
    targets.push([`${r.optimizer} / plain loop (every optimizer)`, r.simd / r.plain, 3, 'min'])
  targets.push(['Adam, plain-array (copying) path / plain loop', adamX.plainArrays / adamRow.plain, 3, 'min'])
  targets.push(['Adam, scalar build / plain loop', adamRow.scalar / adamRow.plain, 1.4, 'min'])
}
const sub = (method: string) => subnormals.find((r) => r.method === method && r.mode === 'flush')
const scale = (what: string, n: number) => threads.rows.find((r) => r.what === what && r.n === n)
for (const [what, n, need] of [
  ['Adam', 1e6, 1.85],
  ['MSVAG', 1e6, 1.85],
  ['Adam', 1e5, 1.6],
  ['MSVAG', 1e5, 1.6],
  ['Adam, 200 tensors of 5e3', 1e6, 1.6],
  ['Adam, another process busy on a core', 1e5, 0.9],
  ['Adam, another process busy on a core', 1e6, 0.9],
  ['Adam', 1e7, 1.25],
  ['MSVAG', 1e7, 1.25],
  ['clipGradNorm (the norm pass)', 1e6, 1.7],
  ["the non-finite check (nonFinite: 'skip')", 1e6, 1.7],
  ['stats()', 1e6, 1.7],
] as const) {
  const r = scale(what, n)
  if (r) targets.push([`${what}, 2 threads / 1 at ${n.toExponential(0)}`, r.two / r.one, need, 'min'])
}
for (const m of muon.rows) {
  targets.push([`matrix multiply ${m.n}², ours / plain TypeScript triple loop`, m.ours / m.plain, 10, 'min'])
  targets.push([`matrix multiply ${m.n}², ours / TF.js WASM tf.matMul (one thread)`, m.ours / m.tfjs, 0.7, 'min'])
}
const slowest = threads.rows
  .filter((r) => r.what === 'Adam' || r.what === 'MSVAG')
  .reduce((a, r) => Math.min(a, r.two / r.one), Infinity)
targets.push(['2 threads / 1, the lowest for Adam and M-SVAG at every size 1e2 to 1e7', slowest, 0.97, 'min'])
targets.push(...stateTargets(state))
for (const method of ['Adam', 'M-SVAG']) {
  const r = sub(method)
  if (r)
    targets.push([
      `${method}, 50,890 parameters: a step with 1e-20 gradients / on ordinary data`,
      r.tiny / r.ordinary,
      1.3,
      'max',
    ])
}
const f = (x: number, d = 3) => x.toFixed(d)
const md = [
  `Measured ${machine.date} on ${machine.cpu} (${machine.cores} cores), Node ${machine.node}${quick ? ', quick run' : ''}.`,
  '',
  '### Targets at 1e6 elements (ratios within this run)',
  '',
  '| target | measured | required | |',
  '|---|---|---|---|',
  ...targets.map(([what, x, need, kind]) => {
    const met = kind === 'min' ? x >= need : x <= need
    return `| ${what} | ${f(x, 2)}× | ${kind === 'min' ? '≥' : '≤'} ${need}× | ${met ? 'met' : '**not met**'} |`
  }),
  `| 100 × 1e3 elements vs one 1e5 tensor (Adam, SIMD) | ${f(calls.ratio, 2)}× the time | ≤ 1.5× | ${calls.ratio <= 1.5 ? 'met' : '**not met**'} |`,
  `| what a pool of helpers costs a 1e3-element Adam step (too small to split) | ${f(threads.poolCost, 2)} µs | ≤ 1.5 µs | ${threads.poolCost <= 1.5 ? 'met' : '**not met**'} |`,
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
  `Per-call overhead: one Adam step over 100 parameters of 1e3 elements runs at ${f(calls.many)} Gelem/s, ` +
    `over one parameter of 1e5 at ${f(calls.one)} Gelem/s: ${f(calls.ratio, 2)}× the time.`,
  '',
  '### Cost of the non-finite check and of clipping, against one Adam step (SIMD, parameter())',
  '',
  "| n | Adam step | Adam with nonFinite: 'skip' | clipGradNorm (norm pass) | clipGradValue |",
  '|---|---|---|---|---|',
  ...costs.map(
    (c) =>
      `| ${c.n.toExponential(0)} | ${f(c.adam, 4)} ms | ${f(c.adamChecked, 4)} ms (+${f((c.adamChecked / c.adam - 1) * 100, 0)}%) | ` +
      `${f(c.clipNorm, 4)} ms (${f((c.clipNorm / c.adam) * 100, 0)}%) | ${f(c.clipValue, 4)} ms (${f((c.clipValue / c.adam) * 100, 0)}%) |`,
  ),
  '',
  "With nonFinite: 'propagate' (the default) no check runs at all.",
  '',
  '### Cost of the diagnostics pass, opt.stats(), against one step (SIMD, parameter(), default sample)',
  '',
  '| parameters | method | step | stats() | stats() / step |',
  '|---|---|---|---|---|',
  ...diag.map(
    (d) => `| ${d.shape} | ${d.method} | ${f(d.step, 2)} µs | ${f(d.stats, 2)} µs | ${f(d.stats / d.step, 2)}× |`,
  ),
  '',
  '### Subnormal numbers: a step on ordinary data and on gradients of about 1e-20 (SIMD, the MNIST perceptron, 50,890 parameters)',
  '',
  '| method | subnormals | ordinary | 1e-20 gradients | 1e-20 / ordinary |',
  '|---|---|---|---|---|',
  ...subnormals.map(
    (r) =>
      `| ${r.method} | '${r.mode}' | ${f(r.ordinary * 1e3, 1)} µs | ${f(r.tiny * 1e3, 1)} µs | ${f(r.tiny / r.ordinary, 2)}× |`,
  ),
  '',
  '### Helper threads: 2 threads against 1 (SIMD, parameter() buffers unless said)',
  '',
  'Each the median of four measurements per thread count, taken in turn (1, 2, 1, 2, …); the helpers are awake (steps back to back) except in the rows with 2 ms of other work between steps (there: the median step of 200, the better of two runs per thread count).',
  '',
  '| pass | n | 1 thread, Gelem/s | 2 threads, Gelem/s | 2 / 1 |',
  '|---|---|---|---|---|',
  ...threads.rows.map(
    (r) => `| ${r.what} | ${r.n.toExponential(0)} | ${f(r.one)} | ${f(r.two)} | ${f(r.two / r.one, 2)}× |`,
  ),
  '',
  ...stateTable(state, f),
  '',
  '### Muon: the matrix multiply, one thread, GFLOP/s (2n³ per product; ours includes packing B)',
  '',
  '| n × n | wasm-optim (SIMD) | plain TS triple loop | TF.js WASM tf.matMul | ours / plain | ours / TF.js |',
  '|---|---|---|---|---|---|',
  ...muon.rows.map(
    (m) =>
      `| ${m.n} | ${f(m.ours, 1)} | ${f(m.plain, 2)} | ${f(m.tfjs, 1)} | ${f(m.ours / m.plain, 1)}× | ${f(m.ours / m.tfjs, 2)}× |`,
  ),
  '',
  '| Muon step | threads | ms per step | Newton–Schulz share |',
  '|---|---|---|---|',
  ...muon.steps.map((x) => `| ${x.shape} | ${x.threads} | ${f(x.ms, 2)} | ${f(x.ns * 100, 0)}% |`),
  '',
  '### wasm-optim/tfjs in TF.js training: `adam()` against `tf.train.adam`, trainOnBatch, batch 64',
  '',
  'Twin models (same weights, same batch), the arms alternating step by step, medians after a warm-up (bench/tfjs-train.ts).',
  "Overhead: the adapter's applyGradients minus a step of the same kernel over parameter()s of the same sizes.",
  '',
  '| backend | model (parameters) | step, tf.train.adam | step, ours | step speed-up | applyGradients, tf.train.adam | ours | speed-up | kernel | overhead per 1M parameters |',
  '|---|---|---|---|---|---|---|---|---|---|',
  ...training.map(
    (r) =>
      `| ${r.backend} | ${r.model} (${r.params.toLocaleString('en')}) | ${f(r.stepTfjs, 2)} ms | ${f(r.stepOurs, 2)} ms | ${f(r.stepTfjs / r.stepOurs, 2)}× | ` +
      `${f(r.applyTfjs, 3)} ms | ${f(r.applyOurs, 3)} ms | ${f(r.applyTfjs / r.applyOurs, 1)}× | ${f(r.kernel, 3)} ms | ${f(((r.applyOurs - r.kernel) / r.params) * 1e6, 2)} ms |`,
  ),
  '',
  '### Training kernels (registerTrainingKernels): a whole trainOnBatch, ms per step',
  '',
  "Twin models, arms alternating step by step (2 threads measured after them on the last twin), medians [min–max] (bench/tfjs-kernels.ts). TF.js's wasm backend cannot train a convolution at all.",
  '',
  '| backend | model | arm | ms per step | spread |',
  '|---|---|---|---|---|',
  ...kernelRows.map(
    (r) => `| ${r.backend} | ${r.model} | ${r.arm} | ${f(r.ms, 1)} | ${f(r.spread[0], 1)}–${f(r.spread[1], 1)} |`,
  ),
  '',
  '| target (issue #20) | measured | required | |',
  '|---|---|---|---|',
  ...kernelTargets(kernelRows).map(([what, x, need, kind, unit]) => {
    const met = kind === 'min' ? x >= need : x <= need
    return `| ${what} | ${f(x, unit === '×' ? 2 : 0)}${unit} | ${kind === 'min' ? '≥' : '≤'} ${need}${unit} | ${met ? 'met' : '**not met**'} |`
  }),
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
    '| backend | model (parameters) | whole step | applyGradients |',
    '|---|---|---|---|',
    ...training.map(
      (r) =>
        `| ${r.backend} | ${r.model} (${r.params.toLocaleString('en')}) | ${f(r.stepTfjs / r.stepOurs, 2)}× faster (${f(r.stepOurs, 1)} ms) | ` +
        `${f(r.applyTfjs / r.applyOurs, 1)}× faster (${f(r.applyOurs, 3)} ms) |`,
    ),
  ])
  console.log('wrote bench/results.json, bench/RESULTS.md and the summary in README.md')
} else {
  console.log(md.join('\n'))
  console.log('quick run: bench/results.json written; RESULTS.md and README.md left as they were')
}
