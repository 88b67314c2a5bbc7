// Helper threads, 2 against 1 (issue #21's targets): part of `npm run bench` (bench/run.ts), or on
// its own: `npx tsx bench/threads.ts [--quick]` prints the rows and the targets and writes nothing.
import { spawn } from 'node:child_process'
import { pathToFileURL } from 'node:url'
import { Adam, init, parameter, shutdown } from '../src/index.js'
import { BUDGET_MS, f, measure, median, quick, random, repsFor, type Target, targetRow, wasmTask } from './measure.js'

export interface Threads {
  rows: { what: string; n: number; one: number; two: number }[]
  /** µs a 1e3-element Adam step costs more with a pool of helpers than without. */
  poolCost: number
  small: { one: number; two: number }
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
  return { one: median(got.one), two: median(got.two) }
}

/**
 * Helper threads: Adam and M-SVAG steps on 1 and 2 threads from 1e2 to 1e7 elements, 100
 * tensors of 1e4, the staged plain-array path (which stays on the calling thread), the passes
 * over gradients and the diagnostics at 1e6, and what a pool costs a step too small to split.
 */
export async function threadScaling(): Promise<Threads> {
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

/** Issue #21's 2-core targets, as ratios within the run. */
export function threadTargets(t: Threads): Target[] {
  const out: Target[] = []
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
    const r = t.rows.find((r) => r.what === what && r.n === n)
    if (r) out.push([`${what}, 2 threads / 1 at ${n.toExponential(0)}`, r.two / r.one, need, 'min'])
  }
  const slowest = t.rows
    .filter((r) => r.what === 'Adam' || r.what === 'MSVAG')
    .reduce((a, r) => Math.min(a, r.two / r.one), Infinity)
  out.push(['2 threads / 1, the lowest for Adam and M-SVAG at every size 1e2 to 1e7', slowest, 0.97, 'min'])
  out.push(['what a pool of helpers costs a 1e3-element Adam step (too small to split)', t.poolCost, 1.5, 'max', ' µs'])
  return out
}

/** The results table (bench/RESULTS.md). */
export function threadTable(t: Threads): string[] {
  return [
    '### Helper threads: 2 threads against 1 (SIMD, parameter() buffers unless said)',
    '',
    'Each the median of four measurements per thread count, taken in turn (1, 2, 1, 2, …); the helpers are awake (steps back to back) except in the rows with 2 ms of other work between steps (there: the median step of 200, the better of two runs per thread count).',
    '',
    '| pass | n | 1 thread, Gelem/s | 2 threads, Gelem/s | 2 / 1 |',
    '|---|---|---|---|---|',
    ...t.rows.map(
      (r) => `| ${r.what} | ${r.n.toExponential(0)} | ${f(r.one)} | ${f(r.two)} | ${f(r.two / r.one, 2)}× |`,
    ),
  ]
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const t = await threadScaling()
  console.log(
    [
      ...threadTable(t),
      '',
      '| target | measured | required | |',
      '|---|---|---|---|',
      ...threadTargets(t).map(targetRow),
    ].join('\n'),
  )
}
