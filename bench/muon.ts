// Muon and its matrix multiply: part of `npm run bench` (bench/run.ts).
import { execFileSync } from 'node:child_process'
import { init, Muon, parameter, shutdown } from '../src/index.js'
import { runtime, view } from '../src/runtime.js'
import { f, quick, random, type Target } from './measure.js'

export interface MuonResult {
  rows: { n: number; ours: number; plain: number; tfjs: number }[]
  steps: { shape: string; threads: number; ms: number; ns: number }[]
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
export async function muonBench(): Promise<MuonResult> {
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

export function muonTargets(muon: MuonResult): Target[] {
  return muon.rows.flatMap((m): Target[] => [
    [`matrix multiply ${m.n}², ours / plain TypeScript triple loop`, m.ours / m.plain, 10, 'min'],
    [`matrix multiply ${m.n}², ours / TF.js WASM tf.matMul (one thread)`, m.ours / m.tfjs, 0.7, 'min'],
  ])
}

/** The results tables (bench/RESULTS.md). */
export function muonTable(muon: MuonResult): string[] {
  return [
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
  ]
}
