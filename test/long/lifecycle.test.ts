// Memory over a long life: 1,000 optimizers over 1e6 parameters made and disposed keep the
// memory bounded; an Adam over 1e8 parameters works; a request beyond 4 GiB fails before
// allocating and the library goes on working. (Its own test file: the 1e8 run grows this
// worker's memory to about 1.6 GB, and a WebAssembly memory never shrinks.)
import { describe, expect, it } from 'vitest'
import { Adam, init, MSVAG, memoryStats, parameter } from '../../src/index.js'

describe('memory lifecycle', () => {
  it('1,000 optimizers over 1e6 parameters, made and disposed, keep the memory bounded', async () => {
    await init()
    const w = parameter(1_000_000)
    w.grad.fill(0.25)
    const base = memoryStats()
    let grown = 0
    for (let i = 0; i < 1000; i++) {
      const opt = i % 2 ? new Adam([w], { lr: 1e-3 }) : new MSVAG([w], { lr: 0.1 })
      opt.step()
      opt.dispose()
      if (i === 0) grown = memoryStats().memoryBytes
    }
    const end = memoryStats()
    expect(end.usedBytes).toBe(base.usedBytes)
    expect(end.blocks).toBe(base.blocks)
    // Grown once for the first optimizer's 8 MB of state, then reused: never again.
    expect(end.memoryBytes).toBe(grown)
    expect(end.memoryBytes - base.memoryBytes).toBeLessThan(16 * 2 ** 20)
    w.dispose()
  })

  it('an Adam over 1e8 parameters works; a request beyond 4 GiB then fails cleanly', async () => {
    await init()
    const start = memoryStats().usedBytes
    const n = 100_000_000
    const w = parameter(n)
    w.grad.fill(1)
    w.param.fill(2)
    const opt = new Adam([w], { lr: 0.1 })
    opt.step()
    const p = w.param
    // First Adam step: m̂/√v̂ = 1, so θ = 2 − 0.1 (up to ε).
    for (const i of [0, 1, 12_345_678, n - 5, n - 1]) expect(p[i]).toBeCloseTo(1.9, 6)
    const used = memoryStats()
    expect(used.usedBytes - start).toBe(4 * 4 * n)

    expect(() => parameter(400_000_000)).toThrow(
      /cannot allocate 3200000000 bytes: the WebAssembly memory would need \d+ pages of 64 KiB, more than its maximum of 65536 \(4 GiB\)/,
    )
    expect(memoryStats()).toEqual(used)

    opt.step()
    expect(w.param[7]).toBeCloseTo(1.8, 5)
    opt.dispose()
    w.dispose()
    expect(memoryStats().usedBytes).toBe(start)
  }, 120_000)
})
