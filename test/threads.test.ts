// Helper threads (init({ threads })): every pass gives the same bits on 1, 2 and 3 threads, for
// every optimizer and option path, on lengths 0 to 67, 100,003 and lengths around the chunk and
// task boundaries, parameter() buffers and plain arrays mixed; bad `threads` values are clear
// errors; a helper's error reaches the caller, a helper that stops leaves the library working on
// the calling thread; shutdown() stops the pool. In Node and in Chromium (cross-origin isolated
// by the test server's headers, vitest.config.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CONTROL, CONTROL_BYTES, work } from '../src/helper.js'
import { init, type Optimizer, type OptimizerName, parameter, shutdown } from '../src/index.js'
import { addRange, Pass } from '../src/parallel.js'
import { MIN_PARALLEL, PER_THREAD, runtime, threadsFor, view } from '../src/runtime.js'
import { FATAL, FAULT, HOLD, PROBE_EVERY, passId } from '../src/threads.js'
import { firstBitDifference, randomData } from './helpers.js'
import { CASES, OPTIMIZERS, param, spec } from './registry.js'

const STEPS = 18 // past the 16th, where the state flush runs
const LENGTHS = [...Array.from({ length: 68 }, (_, n) => n), 8191, 8192, 8193, 16383, 16384, 16385, 100_003]
const DATA = LENGTHS.map((n) => randomData(n, STEPS, 3 * n + 1, 0.1))
/** Every fourth parameter a plain Float32Array (staged on the calling thread), the others parameter() buffers. */
const PLAIN = (i: number) => i % 4 === 3

interface Run {
  arrays: Float32Array[]
  norms: number[]
  stats: unknown
}

/** One optimizer over every length (a group each, so that groups differ in size), stepped STEPS times with clipping and the non-finite check on. */
function run(name: OptimizerName, options: object): Run {
  const specs = DATA.map((d, i) =>
    PLAIN(i) ? spec(name, Float32Array.from(d.theta), new Float32Array(d.theta.length)) : param(name, d.theta),
  )
  const opt: Optimizer<object> = new OPTIMIZERS[name](
    specs.map((s) => ({ params: [s] })),
    { ...options, nonFinite: 'skip' },
  )
  const norms: number[] = []
  for (let t = 0; t < STEPS; t++) {
    specs.forEach((s, i) => {
      s.grad.set(DATA[i].grads[t])
    })
    norms.push(opt.clipGradNorm(50))
    opt.clipGradValue(20)
    opt.step()
  }
  const arrays = [
    ...specs.map((s) => Float32Array.from(s.param)),
    ...opt.slots.flat().flatMap((s) => Object.values(s.state).map((p) => Float32Array.from(view(p, s.n)))),
  ]
  const stats = JSON.parse(JSON.stringify(opt.stats({ sampleEvery: 1 })))
  opt.dispose()
  for (const s of specs) if ('dispose' in s) s.dispose()
  return { arrays, norms, stats }
}

function expectSame(what: string, a: Run, b: Run): void {
  expect(a.arrays.length).toBe(b.arrays.length)
  a.arrays.forEach((x, i) => {
    const at = firstBitDifference(x, b.arrays[i])
    expect(at, `${what}: array ${i} (length ${x.length}) differs at [${at}]`).toBe(-1)
  })
  expect(a.norms, `${what}: clipGradNorm`).toEqual(b.norms)
  expect(a.stats, `${what}: stats()`).toEqual(b.stats)
}

beforeAll(async () => {
  await init()
})
afterAll(() => {
  shutdown()
})

describe('threads: the same bits on 1, 2 and 3 threads', () => {
  it.each(CASES)('%s %j', async (name, options) => {
    const runs: Run[] = []
    for (const threads of [1, 2, 3]) {
      const got = await init({ threads })
      expect(got.threads).toBe(threads)
      runs.push(run(name, options))
    }
    expectSame('2 threads vs 1', runs[1], runs[0])
    expectSame('3 threads vs 1', runs[2], runs[0])
  })

  it("with subnormals: 'keep' and the scalar build too", async () => {
    for (const simd of [false, true]) {
      const runs: Run[] = []
      for (const threads of [1, 2]) {
        await init({ threads, simd })
        runs.push(run('MSVAG', { subnormals: 'keep' }))
      }
      expectSame(`${simd ? 'SIMD' : 'scalar'} build, 2 threads vs 1`, runs[1], runs[0])
    }
  })

  it('a non-finite gradient is found at the same place, and a skipped step changes nothing', async () => {
    const found: unknown[] = []
    for (const threads of [1, 2]) {
      await init({ threads })
      const a = parameter(50_000)
      const b = parameter(70_000)
      a.grad.fill(0.5)
      b.grad.fill(0.5)
      b.grad[65_537] = Number.NaN
      b.grad[69_000] = Number.POSITIVE_INFINITY
      const opt = new OPTIMIZERS.Adam([a, b], { nonFinite: 'throw' })
      try {
        opt.step()
      } catch (e) {
        found.push((e as Error).message)
      }
      expect([...a.param].every((x) => x === 0)).toBe(true)
      opt.dispose()
      a.dispose()
      b.dispose()
    }
    expect(found[0]).toMatch(/params\[1\]\.grad\[65537\] is NaN/)
    expect(found[1]).toBe(found[0])
  })
})

describe('threads: init and shutdown', () => {
  it.each([0, -1, 1.5, 'many', Number.NaN, 65, '2', null])(
    'rejects threads: %j with the allowed values',
    async (bad) => {
      await expect(init({ threads: bad as never })).rejects.toThrow(
        /wasm-optim: init option threads must be (an integer )?in \[1, 64\] or 'auto', got/,
      )
    },
  )

  it("'auto' starts one thread per core, and shutdown() stops them", async () => {
    const got = await init({ threads: 'auto' })
    expect(got.threads).toBeGreaterThanOrEqual(1)
    expect(runtime().pool?.threads ?? 1).toBe(got.threads)
    shutdown()
    expect(runtime().pool).toBeUndefined()
    expect((await init()).threads).toBe(1)
    const w = parameter(new Float32Array(40_000).fill(1))
    w.grad.fill(1)
    new OPTIMIZERS.SGD([w], { lr: 0.5 }).step()
    expect(w.param[39_999]).toBe(0.5)
  })

  it('init() without threads keeps the pool; switching builds keeps it', async () => {
    await init({ threads: 2 })
    expect((await init()).threads).toBe(2)
    expect((await init({ simd: false })).threads).toBe(2)
    expect((await init({ simd: true })).threads).toBe(2)
  })
})

describe('threads: claims', () => {
  /** A control block and claim flags for a pass of `count` tasks on two threads, the flags set to `flag`. */
  function table(count: number, flag: number) {
    const ctl = new Int32Array(new SharedArrayBuffer(CONTROL_BYTES))
    Atomics.store(ctl, CONTROL.ACTIVE, 2)
    Atomics.store(ctl, CONTROL.COUNT, count)
    const flags = new Int32Array(new SharedArrayBuffer(4 * count)).fill(flag)
    return { ctl, flags }
  }

  it("a thread claims each task of its pass once, and nothing with another pass's id or with 0", () => {
    const ran: number[] = []
    const one = (at: number) => ran.push(at / CONTROL.TASK)
    const { ctl, flags } = table(6, 7)
    // Woken before a pool's first pass (Pool.wake()), a helper reads id 0: every claimed flag is 0,
    // and "claiming" them would run tasks that are done a second time (seen in Chromium).
    expect(work(CONTROL, ctl, new Int32Array(flags.length), 1, 0, one)).toBe(false)
    expect(work(CONTROL, ctl, flags, 1, 6, one)).toBe(true)
    expect(ran).toEqual([])
    work(CONTROL, ctl, flags, 1, 7, one)
    expect(ran).toEqual([3, 4, 5, 0, 1, 2])
    work(CONTROL, ctl, flags, 0, 7, one)
    work(CONTROL, ctl, flags, 1, 0, one)
    expect(ran.length).toBe(6)
    expect(Atomics.load(ctl, CONTROL.DONE)).toBe(6)
  })

  /** A pass on the pool that doubles the n floats at `at`, started right after waking the helpers. */
  function doubled(at: number, n: number): void {
    const pool = runtime().pool!
    pool.wake()
    const pass = new Pass(pool, n, 1, 0)
    addRange(pass, 'scale', at, n, [2])
    pass.run()
  }

  it("pass ids are never reused, not even by a new pool; helpers woken just before a new pool's first pass run no task twice", async () => {
    const n = 4 * MIN_PARALLEL
    const at = runtime().arena.alloc(4 * n)
    const ids: number[] = []
    for (let k = 0; k < 20; k++) {
      await init({ threads: 2 })
      const x = view(at, n).fill(1)
      doubled(at, n)
      ids.push(passId())
      expect(
        x.every((v) => v === 2),
        `try ${k}`,
      ).toBe(true)
    }
    runtime().arena.free(at)
    for (let k = 1; k < ids.length; k++) expect(ids[k]).toBeGreaterThan(ids[k - 1])
  })
})

describe('threads: faults', () => {
  /** A pass of `count` tasks of one kind, written straight into the task table. */
  function faultPass(type: number, count: number): void {
    const pool = runtime().pool!
    const pass = new Pass(pool, count, count, 0)
    for (let i = 0; i < count; i++) pass.add(type, 'flush', 0, 0, 0, 0)
    pass.run()
  }

  it("an error in a helper's task reaches the caller, and the helpers go on working", async () => {
    await init({ threads: 2 })
    expect(() => faultPass(FAULT, 2000)).toThrow(
      /wasm-optim: helper thread 1 of 1 failed in a pass: a fault injected by the tests/,
    )
    expect(runtime().pool?.threads).toBe(2)
    const runs = [run('Adam', {})]
    await init({ threads: 1 })
    runs.push(run('Adam', {}))
    expectSame('after a fault, 2 threads vs 1', runs[0], runs[1])
  })

  it('a helper that stops leaves the library on the calling thread, saying what happened', async () => {
    expect((await init({ threads: 2 })).threads).toBe(2)
    expect(() => faultPass(FATAL, 2000)).toThrow(
      /wasm-optim: helper thread 1 of 1 stopped after an error: a fatal fault injected by the tests.*now runs on the calling thread/,
    )
    expect(runtime().pool).toBeUndefined()
    const got = await init()
    expect(got.threads).toBe(1)
    expect(got.whyFewerThreads).toMatch(/helper thread 1 of 1 stopped after an error/)
    const runs = [run('MSVAG', {})]
    await init({ threads: 1 })
    runs.push(run('MSVAG', {}))
    expectSame('on the calling thread after a helper stopped', runs[0], runs[1])
    expect((await init({ threads: 2 })).threads).toBe(2)
  })
})

describe('threads: how many, and when the helpers do not show up', () => {
  it('a pass runs on one thread per PER_THREAD elements, at least one and at most all', () => {
    expect(MIN_PARALLEL).toBe(2 * PER_THREAD)
    const table: [number, number, number][] = [
      [0, 2, 1],
      [MIN_PARALLEL - 1, 2, 1],
      [MIN_PARALLEL, 2, 2],
      [1e7, 2, 2],
      [1e5, 16, 3],
      [1e6, 16, 16],
      [1e6, 1, 1],
    ]
    for (const [elements, threads, want] of table)
      expect(threadsFor(elements, threads), `${elements} on ${threads}`).toBe(want)
  })

  it("a pass counts work, not elements: q8 state's step of 1e5 elements wakes sleeping helpers, float32's does not", async () => {
    await init({ threads: 2 })
    for (const [stateDtype, splits] of [
      ['f32', false],
      ['q8', true],
    ] as const) {
      const w = parameter(new Float32Array(100_000).fill(1))
      w.grad.fill(1)
      const opt = new OPTIMIZERS.Adam([w], { stateDtype })
      // Past the helpers' spin: they sleep, and a pass under MIN_PARALLEL_ASLEEP elements of float32 work does not wait for them.
      await new Promise((r) => setTimeout(r, 20))
      expect(runtime().pool!.asleep()).toBe(true)
      const before = passId()
      opt.step()
      expect(passId() > before, stateDtype).toBe(splits)
      opt.dispose()
      w.dispose()
    }
  })

  it('a helper held up (as if descheduled) loses its unclaimed tasks to the calling thread; passes that did not pay make the pool sit out', async () => {
    await init({ threads: 2 })
    const pool = runtime().pool!
    /** A pass of `count` HOLD tasks: a helper that runs one is held 30 ms; each writes who ran it (1: a helper). */
    const held = (count: number) => {
      const pass = new Pass(pool, count, count, count)
      for (let i = 0; i < count; i++) pass.add(HOLD, 'flush', 0, 0, 0, i)
      pass.run()
      return Array.from({ length: count }, (_, i) => pass.result(i))
    }
    for (let k = 0; k < 2; k++) {
      // The helper awake, so that it claims a task of its block (and is held on it).
      pool.wake()
      const until = performance.now() + 2
      while (performance.now() < until) {}
      const start = performance.now()
      const ranBy = held(64)
      // The helper owns half the tasks; it is held on the first it claims, and this thread takes the rest.
      expect(ranBy.filter((x) => x === 1).length).toBeLessThanOrEqual(1)
      expect(performance.now() - start).toBeLessThan(1000)
    }
    // Two passes in a row that did not pay: the next passes run on the calling thread alone.
    expect(pool.rest).toBe(8)
    const w = parameter(new Float32Array(200_000).fill(1))
    w.grad.fill(1)
    const opt = new OPTIMIZERS.SGD([w], { lr: 0.5 })
    opt.step()
    expect(pool.rest).toBe(7)
    expect(w.param[199_999]).toBe(0.5)
    opt.dispose()
    w.dispose()
  })

  it('a pass the helpers could have shared, run alone, is timed; after PROBE_EVERY split passes of a kind, one runs alone', async () => {
    await init({ threads: 1 })
    await init({ threads: 2 }) // a new pool: no kind timed or counted yet
    const pool = runtime().pool!
    const w = parameter(new Float32Array(200_000).fill(1))
    w.grad.fill(1)
    const opt = new OPTIMIZERS.Adam([w], { lr: 1e-6 })
    // Past the helpers' spin: asleep, and a pass of 2e5 elements does not wait for them.
    await new Promise((r) => setTimeout(r, 20))
    expect(pool.aloneMs('adam')).toBe(0)
    const before = passId()
    opt.step()
    expect(passId()).toBe(before)
    expect(pool.aloneMs('adam')).toBeGreaterThan(0)
    opt.dispose()
    w.dispose()
    // Split passes of a kind, counted whether or not they paid.
    const at = runtime().arena.alloc(4 * 8192)
    for (let i = 0; i < PROBE_EVERY; i++) {
      const pass = new Pass(pool, 8192, 1, 0)
      addRange(pass, 'scale', at, 8192, [1])
      pass.run('k', 8192)
    }
    runtime().arena.free(at)
    while (pool.rest > 0) pool.resting() // rests the judge may have set
    expect(pool.resting('k')).toBe(true)
    expect(pool.resting('k')).toBe(false)
  })

  it('a split pass is judged against its kind timed alone: slower than that, it did not pay, and the pool sits out', async () => {
    // Where the threads slow each other (cores that share a physical one), the calling thread's
    // own tasks run slower in a split pass too; judged by them alone, a pass slower than one
    // thread looked as if it paid. Here the kind's time alone is made tiny: no split pass beats it.
    await init({ threads: 1 })
    await init({ threads: 2 }) // a new pool: no pass of the kind timed alone yet, none due
    const pool = runtime().pool!
    const w = parameter(new Float32Array(1_000_000).fill(1))
    const opt = new OPTIMIZERS.SGD([w], { lr: 1e-6 })
    opt.step()
    while (pool.rest > 0) opt.step()
    // Two split passes that did not pay and the pool sits out. (A pass the calling thread took no
    // task of is not judged, and one run alone is timed: so the time alone is set before each.)
    for (let i = 0; i < 20 && pool.rest === 0; i++) {
      pool.alone('sgd', 1, 1e-12)
      opt.step()
    }
    expect(pool.rest).toBeGreaterThan(0)
    opt.dispose()
    w.dispose()
  })
})
