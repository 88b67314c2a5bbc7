// Shared by the bench's sections (bench/run.ts runs them all) and bench/tfjs.ts: how a throughput
// is measured, the run's size (--quick), and the one-optimizer task most sections time.
import { Bench } from 'tinybench'
import { type OptimizerClass, type OptimizerName, optimizers, type Parameter, parameter } from '../src/index.js'

/** `--quick`: fewer sizes and shorter measurements, a smoke run (RESULTS.md is left as it was). */
export const quick = process.argv.includes('--quick')
/** Milliseconds tinybench measures each task for. */
export const BUDGET_MS = quick ? 150 : 400

/** Gelem/s of each task: `elems` parameters updated per call, median latency of tinybench's samples. */
export async function measure(
  tasks: Record<string, () => void>,
  elems: number,
  budget: number,
): Promise<Record<string, number>> {
  const bench = new Bench({ time: budget, warmupTime: budget / 2, iterations: 5, warmupIterations: 10 })
  for (const [name, fn] of Object.entries(tasks)) bench.add(name, fn)
  await bench.run()
  return Object.fromEntries(
    bench.tasks.map((t) => {
      const r = t.result
      if (!('latency' in r)) throw new Error(`bench task ${t.name} failed: ${JSON.stringify(r)}`)
      return [t.name, elems / (r.latency.p50 * 1e6)]
    }),
  )
}

/** The median of a few measurements (of an even count: the mean of the middle two). */
export function median(x: number[]): number {
  const s = [...x].sort((a, b) => a - b)
  const h = s.length >> 1
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2
}

export const random = (n: number) => Float32Array.from({ length: n }, () => Math.random() - 0.5)
/** Steps per sample, so that a sample updates at least 1e5 elements and dwarfs the timer. */
export const repsFor = (n: number) => Math.max(1, Math.ceil(1e5 / n))
export const repeat = (reps: number, step: () => void) => () => {
  for (let r = 0; r < reps; r++) step()
}

/**
 * The classes typed as one loose constructor: `new CLASSES[name](…)` on the union of every class
 * makes TypeScript intersect every class's parameter types (out of memory at seventeen).
 */
export const CLASSES: Record<OptimizerName, OptimizerClass> = optimizers

/** One optimizer over one parameter() of n elements, stepped reps times per call. */
export function wasmTask(
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

/** A number with d decimals, as the tables print it. */
export const f = (x: number, d = 3) => x.toFixed(d)

/** A target: what, the measured value, its bound, 'min' (at least the bound) or 'max' (at most), and its unit (× if none). */
export type Target = [what: string, measured: number, bound: number, kind: 'min' | 'max', unit?: string]

/** A target's row of a results table: what, measured, required, met or not. */
export function targetRow([what, x, need, kind, unit = '×']: Target): string {
  const met = kind === 'min' ? x >= need : x <= need
  return `| ${what} | ${f(x, unit === ' ms' ? 0 : 2)}${unit} | ${kind === 'min' ? '≥' : '≤'} ${need}${unit} | ${met ? 'met' : '**not met**'} |`
}
