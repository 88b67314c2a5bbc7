// Shared by bench/run.ts and bench/tfjs.ts: how a throughput is measured.
import { Bench } from 'tinybench'

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

export const random = (n: number) => Float32Array.from({ length: n }, () => Math.random() - 0.5)
/** Steps per sample, so that a sample updates at least 1e5 elements and dwarfs the timer. */
export const repsFor = (n: number) => Math.max(1, Math.ceil(1e5 / n))
export const repeat = (reps: number, step: () => void) => () => {
  for (let r = 0; r < reps; r++) step()
}
