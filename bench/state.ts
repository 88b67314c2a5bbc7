// Compact optimizer state (stateDtype, docs/state.md) against float32: Adam steps at 1e5 and 1e7
// elements on 1 and 2 threads, the three dtypes measured in turn (f32, bf16, q8, f32, …) four
// times each, medians. Part of `npm run bench` (bench/run.ts); its targets are issue #22's.
import { Adam, init, parameter, type StateDtype, shutdown } from '../src/index.js'
import { f, measure, median, random, repeat, repsFor, type Target } from './measure.js'

const DTYPES: StateDtype[] = ['f32', 'bf16', 'q8']

export interface StateRow {
  n: number
  threads: number
  /** Gelem/s, the median of four, per dtype. */
  f32: number
  bf16: number
  q8: number
}

export async function stateDtypeBench(budgetMs: number): Promise<StateRow[]> {
  const rows: StateRow[] = []
  for (const n of [1e5, 1e7]) {
    for (const threads of [1, 2]) {
      await init({ simd: true, threads })
      const p = parameter(random(n))
      p.grad.set(random(n))
      const got: Record<StateDtype, number[]> = { f32: [], bf16: [], q8: [] }
      const reps = repsFor(n)
      for (let round = 0; round < 4; round++) {
        for (const stateDtype of DTYPES) {
          const opt = new Adam([p], { lr: 1e-4, stateDtype })
          got[stateDtype].push((await measure({ run: repeat(reps, () => opt.step()) }, n * reps, budgetMs)).run)
          opt.dispose()
        }
      }
      p.dispose()
      const row = { n, threads, f32: median(got.f32), bf16: median(got.bf16), q8: median(got.q8) }
      console.log(
        `stateDtype: Adam n=${n.toExponential(0)} ${threads}T: f32 ${row.f32.toFixed(3)}, bf16 ${row.bf16.toFixed(3)} (${(row.bf16 / row.f32).toFixed(2)}x), q8 ${row.q8.toFixed(3)} (${(row.q8 / row.f32).toFixed(2)}x) Gelem/s`,
      )
      rows.push(row)
    }
  }
  shutdown()
  return rows
}

/** Issue #22's speed targets, as ratios within the run. */
export function stateTargets(rows: StateRow[]): Target[] {
  const at = (n: number, threads: number) => rows.find((r) => r.n === n && r.threads === threads)!
  return [
    ["Adam, stateDtype 'q8' / 'f32' at 1e7, 1 thread", at(1e7, 1).q8 / at(1e7, 1).f32, 1.1, 'min'],
    ["Adam, stateDtype 'q8' / 'f32' at 1e7, 2 threads", at(1e7, 2).q8 / at(1e7, 2).f32, 1.25, 'min'],
    ["Adam, stateDtype 'q8' / 'f32' at 1e5, 1 thread", at(1e5, 1).q8 / at(1e5, 1).f32, 0.9, 'min'],
    ["Adam, stateDtype 'bf16' / 'f32' at 1e7, 1 thread", at(1e7, 1).bf16 / at(1e7, 1).f32, 1.1, 'min'],
  ]
}

/** The results table (bench/RESULTS.md). */
export function stateTable(rows: StateRow[]): string[] {
  return [
    '### Compact optimizer state: Adam with stateDtype against float32 (SIMD, parameter() buffers)',
    '',
    'The three dtypes measured in turn, four times each, medians (bench/state.ts). Gelem/s.',
    '',
    '| n | threads | f32 | bf16 | q8 | bf16 / f32 | q8 / f32 |',
    '|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.n.toExponential(0)} | ${r.threads} | ${f(r.f32)} | ${f(r.bf16)} | ${f(r.q8)} | ${f(r.bf16 / r.f32, 2)}× | ${f(r.q8 / r.f32, 2)}× |`,
    ),
  ]
}
