// Classes of defect that once gave a silently wrong result, changed state on an error, or leaked
// (issue #19), each tested the way its neighbours are: a refused call leaves parameters, state,
// options, step counts and memory byte for byte as they were. The TF.js adapter's share is in
// tfjs-defects.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  Adam,
  AdamW,
  init,
  Muon,
  memoryStats,
  type Optimizer,
  optimizers,
  parameter,
  ScheduleFreeAdamW,
  shutdown,
} from '../src/index.js'
import { runtime } from '../src/runtime.js'
import { Pool } from '../src/threads.js'
import { NAMES, OPTIMIZERS, spec } from './registry.js'

/** Everything a refused call must leave as it was: options, state, step counts, memory. */
function snapshotOf(opt: Optimizer<object>, params: Float32Array[] = []) {
  return JSON.stringify({
    groups: opt.paramGroups.map(({ params: _, ...o }) => o),
    state: opt.stateDict(),
    params: params.map((p) => Array.from(p)),
    used: memoryStats().usedBytes,
  })
}

beforeAll(async () => {
  await init()
})

describe('array options are owned by their group (1)', () => {
  const arrays = (o: object) => Object.entries(o).filter(([, v]) => Array.isArray(v))

  it.each(NAMES.filter((n) => arrays(OPTIMIZERS[n].defaults).length > 0))(
    '%s: a change in place reaches that group alone, never the defaults or other optimizers',
    (name) => {
      const cls = OPTIMIZERS[name]
      const [key, value] = arrays(cls.defaults)[0] as [string, number[]]
      const before = JSON.stringify(cls.defaults)
      const mk = (n: number) => spec(name, new Float32Array(n), new Float32Array(n))
      const opt = new cls([{ params: [mk(16)] }, { params: [mk(16)] }])
      const group = opt.paramGroups[0] as unknown as Record<string, number[]>
      group[key][0] = value[0] / 2
      const other = opt.paramGroups[1] as unknown as Record<string, number[]>
      expect(other[key][0]).toBe(value[0])
      expect(JSON.stringify(cls.defaults)).toBe(before)
      const next = new cls([mk(16)])
      expect((next.paramGroups[0] as unknown as Record<string, number[]>)[key][0]).toBe(value[0])
      // The class's defaults cannot be changed in place at all.
      expect(() => {
        ;(cls.defaults as Record<string, number[]>)[key][0] = 0.5
      }).toThrow(TypeError)
      opt.dispose()
      next.dispose()
    },
  )

  it("an array given in the options is copied: changing the caller's array later changes nothing", () => {
    const betas: [number, number] = [0.9, 0.999]
    const p = new Float32Array(8)
    const opt = new Adam([{ param: p, grad: new Float32Array(8) }], { betas })
    betas[1] = 5
    expect(opt.paramGroups[0].betas).toEqual([0.9, 0.999])
    opt.dispose()
  })

  it('a value changed in place is checked at the next step like an assignment, and nothing changes', () => {
    const p = Float32Array.from({ length: 8 }, (_, i) => i)
    const g = new Float32Array(8).fill(0.5)
    const opt = new AdamW([{ param: p, grad: g }])
    opt.step()
    opt.paramGroups[0].betas[1] = 1.5
    const before = snapshotOf(opt, [p])
    expect(() => opt.step()).toThrow(/betas\[1\] must be in \[0, 1\), got 1.5/)
    expect(snapshotOf(opt, [p])).toBe(before)
    opt.dispose()
  })
})

describe("Schedule-Free's step(names) (4), its checkpoints and its options (5, 6)", () => {
  const make = () => {
    const a = { param: new Float32Array(8).fill(1), grad: new Float32Array(8).fill(0.5), name: 'a' }
    const b = { param: new Float32Array(8).fill(1), grad: new Float32Array(8).fill(0.5), name: 'b' }
    return { a, b, opt: new ScheduleFreeAdamW([a, b], { lr: 0.1 }) }
  }

  it("step(['a']) steps a alone; step(['nope']) throws and changes nothing", () => {
    const { a, b, opt } = make()
    opt.step(['a'])
    expect(a.param[0]).not.toBe(1)
    expect(b.param[0]).toBe(1)
    const before = snapshotOf(opt, [a.param, b.param])
    expect(() => opt.step(['nope'])).toThrow(/no parameter is named "nope"/)
    expect(snapshotOf(opt, [a.param, b.param])).toBe(before)
    opt.dispose()
  })

  it.each([
    ['weightSum', Infinity],
    ['lrMax', Infinity],
    ['weightSum', Number.NaN],
  ])('a checkpoint with %s: %s is refused, nothing changed', (key, value) => {
    const { a, b, opt } = make()
    opt.step()
    const dict = JSON.parse(JSON.stringify(opt.stateDict()))
    dict.groups[0].state[key] = value
    const before = snapshotOf(opt, [a.param, b.param])
    expect(() => opt.loadStateDict(dict)).toThrow(new RegExp(`${key} must be a finite number`))
    expect(snapshotOf(opt, [a.param, b.param])).toBe(before)
    opt.dispose()
  })

  it('rPower and weightLrPower are checked to [0, 16]; a weight that would still overflow throws before a step', () => {
    const p = new Float32Array(8)
    const g = new Float32Array(8).fill(0.1)
    expect(() => new ScheduleFreeAdamW([{ param: p, grad: g }], { rPower: 200 })).toThrow(
      /rPower must be in \[0, 16\], got 200/,
    )
    const opt = new ScheduleFreeAdamW([{ param: p, grad: g }], { lr: 1e30, weightLrPower: 16 })
    const before = snapshotOf(opt, [p])
    expect(() => opt.step()).toThrow(/overflows at step 1.*nothing was changed/)
    expect(snapshotOf(opt, [p])).toBe(before)
    opt.dispose()
  })

  it('60 steps at rPower 16 stay finite, and the checkpoint loads', () => {
    const p = new Float32Array(8).fill(1)
    const g = new Float32Array(8).fill(0.1)
    const opt = new ScheduleFreeAdamW([{ param: p, grad: g }], { rPower: 16 })
    for (let i = 0; i < 60; i++) opt.step()
    expect(p.every(Number.isFinite)).toBe(true)
    opt.loadStateDict(opt.stateDict())
    opt.dispose()
  })
})

describe('checkpoints that look finite but would poison the run are refused (5)', () => {
  it.each([-4, 2, 1.5])('a stateBytes buffer offset of %s is refused, nothing changed', (off) => {
    const p = new Float32Array(8).fill(1)
    const g = new Float32Array(8).fill(0.5)
    const opt = new Adam([{ param: p, grad: g }])
    opt.step()
    const bytes = opt.stateBytes()
    const head = new DataView(bytes.buffer, bytes.byteOffset)
    const length = head.getUint32(8, true)
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + length)))
    header.groups[0].params[0].state.m = off
    const text = new TextEncoder().encode(JSON.stringify(header).padEnd(length, ' '))
    if (text.length !== length) return // the edited header must keep its length for this test
    const edited = bytes.slice()
    edited.set(text, 12)
    const before = snapshotOf(opt, [p])
    expect(() => opt.loadStateDict(edited)).toThrow(/offset must be an integer ≥ 0 and a multiple of 4/)
    expect(snapshotOf(opt, [p])).toBe(before)
    opt.dispose()
  })

  it("Muon's state for a [16, 40] matrix does not load into a [40, 16] one", () => {
    const a = parameter(640, { shape: [16, 40] })
    const b = parameter(640, { shape: [40, 16] })
    a.grad.fill(0.1)
    const one = new Muon([a])
    one.step()
    const two = new Muon([b])
    expect(one.stateDict().groups[0].params[0].shape).toEqual([16, 40])
    expect(() => two.loadStateDict(one.stateDict())).toThrow(/shape \[16,40\], the parameter has shape \[40,16\]/)
    for (const x of [one, two, a, b]) x.dispose()
  })
})

describe('inputs are never ignored without a word (7)', () => {
  it.each(['grad', 'param'])('replacing spec.%s after construction is refused with a message', (key) => {
    const s = { param: new Float32Array(4).fill(1), grad: new Float32Array(4).fill(1) }
    const opt = new Adam([s], { lr: 0.1 })
    ;(s as Record<string, Float32Array>)[key] = new Float32Array(4).fill(2)
    expect(() => opt.step()).toThrow(new RegExp(`params\\[0\\]\\.${key} was replaced after the optimizer was made`))
    opt.dispose()
  })
})

describe('option names must be own, known names (8)', () => {
  it.each(['constructor', 'toString', 'hasOwnProperty', 'valueOf', '__proto__'])(
    "'%s' is refused at construction and in a checkpoint",
    (key) => {
      const p = new Float32Array(4)
      const g = new Float32Array(4)
      const options = JSON.parse(`{ "${key}": 1 }`)
      expect(() => new Adam([{ param: p, grad: g }], options)).toThrow(new RegExp(`unknown option '${key}'`))
      const opt = new Adam([{ param: p, grad: g }])
      const dict = JSON.parse(JSON.stringify(opt.stateDict()))
      dict.groups[0].options = JSON.parse(`{ "${key}": { "bogus": 1 } }`)
      const before = snapshotOf(opt, [p])
      expect(() => opt.loadStateDict(dict)).toThrow(new RegExp(`unknown option '${key}'`))
      expect(snapshotOf(opt, [p])).toBe(before)
      opt.step()
      opt.dispose()
    },
  )
})

describe('concurrent init({ threads }) and shutdown() end in one defined state (10)', () => {
  afterAll(() => shutdown())

  /** Records every pool started and whether it was shut down, to see that none outlives the calls. */
  function watchPools() {
    const started: { pool: Pool; down: boolean }[] = []
    const start = Pool.start
    Pool.start = async (...args: Parameters<typeof Pool.start>) => {
      const pool = await start.apply(Pool, args)
      const entry = { pool, down: false }
      const stop = pool.shutdown.bind(pool)
      pool.shutdown = () => {
        entry.down = true
        stop()
      }
      started.push(entry)
      return pool
    }
    return { started, restore: () => (Pool.start = start) }
  }

  it('init 2 and init 3 at once: the last call wins, one pool, no helper left behind', async () => {
    const w = watchPools()
    try {
      const [, last] = await Promise.all([init({ threads: 2 }), init({ threads: 3 })])
      expect(last.threads).toBe(3)
      expect(runtime().pool?.threads).toBe(3)
      expect(w.started.filter((e) => !e.down).map((e) => e.pool)).toEqual([runtime().pool])
      shutdown()
      expect(runtime().pool).toBeUndefined()
      expect(w.started.every((e) => e.down)).toBe(true)
    } finally {
      w.restore()
    }
  })

  it('a shutdown() while init({ threads }) is pending stands', async () => {
    const pending = init({ threads: 2 })
    shutdown()
    await pending
    expect(runtime().pool).toBeUndefined()
  })
})

describe('a failed allocation frees what the same call allocated (11)', () => {
  it("Muon whose scratch does not fit in 4 GiB leaves the memory's used bytes as they were", () => {
    // 2.5e8 elements: the state (1 GB) fits, the scratch (3 × 1 GB more) does not.
    const n = 250_000_000
    const used = memoryStats().usedBytes
    const big = { param: new Float32Array(n), grad: new Float32Array(n), shape: [10_000, 25_000] }
    expect(() => new Muon([big])).toThrow(RangeError)
    expect(memoryStats().usedBytes).toBe(used)
  })
})

describe('the registry stays as it is', () => {
  it('no class default was changed by the tests above', () => {
    expect(optimizers.Adam.defaults.betas).toEqual([0.9, 0.999])
    expect(Object.isFrozen(optimizers.Muon.defaults.nsCoefficients)).toBe(true)
  })
})
