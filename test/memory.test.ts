// The one WebAssembly memory: the allocator reuses what dispose() frees, step() allocates
// nothing, views handed out never go stale, and a request too large fails before allocating.
import { beforeAll, describe, expect, it } from 'vitest'
import { Adam, init, MSVAG, memoryStats, parameter, SGD } from '../src/index.js'

describe('memory (shared WebAssembly.Memory, the default in Node)', () => {
  beforeAll(async () => {
    expect((await init()).shared).toBe(true)
  })

  it('dispose() gives everything back, and the memory stops growing once warm', () => {
    const base = memoryStats()
    const cycle = () => {
      const w = parameter(100_000)
      const plain = { param: new Float32Array(50_001), grad: new Float32Array(50_001) }
      const opt = new Adam([w, plain], { amsgrad: true })
      opt.step()
      opt.dispose()
      w.dispose()
    }
    cycle()
    const warm = memoryStats()
    expect(warm.usedBytes).toBe(base.usedBytes)
    expect(warm.blocks).toBe(base.blocks)
    for (let i = 0; i < 50; i++) cycle()
    expect(memoryStats()).toEqual(warm)
  })

  it('freed neighbours merge: a block as large as three freed ones fits without growing', () => {
    const a = parameter(40_000),
      b = parameter(40_000),
      c = parameter(40_000)
    const grown = memoryStats().memoryBytes
    b.dispose()
    a.dispose()
    c.dispose()
    const big = parameter(120_000)
    expect(memoryStats().memoryBytes).toBe(grown)
    big.dispose()
  })

  it('step() and zeroGrad() allocate nothing', () => {
    const w = parameter(10_000)
    const opt = new MSVAG([w, { param: new Float32Array(20_000), grad: new Float32Array(20_000) }])
    const before = memoryStats()
    for (let i = 0; i < 10; i++) {
      opt.step()
      opt.zeroGrad()
    }
    expect(memoryStats()).toEqual(before)
    opt.dispose()
    w.dispose()
  })

  it('a view read before the memory grows stays valid, both ways', () => {
    const w = parameter(new Float32Array([1, 2, 3]))
    const held = w.param
    const heldGrad = w.grad
    const before = memoryStats().memoryBytes
    const big = parameter(8_000_000) // 64 MB: forces the memory to grow
    expect(memoryStats().memoryBytes).toBeGreaterThan(before)
    heldGrad.set([1, 1, 1])
    const opt = new SGD([w], { lr: 0.5 })
    opt.step()
    expect([...held]).toEqual([0.5, 1.5, 2.5])
    expect(w.param).toEqual(held)
    held[0] = 7
    expect(w.param[0]).toBe(7)
    opt.dispose()
    big.dispose()
    w.dispose()
  })

  it('views of a parameter() passed as plain specs are used in place', () => {
    const w = parameter(new Float32Array([1, 2]))
    w.grad.set([1, 1])
    const before = memoryStats().usedBytes
    const opt = new SGD([{ param: w.param, grad: w.grad }], { lr: 1 })
    // No staging area: the optimizer holds no state for SGD without momentum.
    expect(memoryStats().usedBytes - before).toBe(16)
    opt.step()
    expect([...w.param]).toEqual([0, 1])
    opt.dispose()
    w.dispose()
  })

  it('a request beyond what a 32-bit memory holds fails before allocating; the library stays usable', () => {
    const before = memoryStats()
    expect(() => parameter(2 ** 30)).toThrow(/cannot allocate 8589934592 bytes.*more than its maximum of 65536.*4 GiB/)
    expect(memoryStats()).toEqual(before)
    const w = parameter(new Float32Array([1]))
    w.grad[0] = 1
    const opt = new SGD([w], { lr: 1 })
    opt.step()
    expect(w.param[0]).toBe(0)
    opt.dispose()
    w.dispose()
  })
})
