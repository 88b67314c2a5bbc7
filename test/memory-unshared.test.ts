// With an unshared memory (browsers that are not cross-origin isolated), growth detaches old
// views: the parameter() getters and the optimizer's staging hand out fresh ones, so nothing
// the library uses goes stale. (A vitest file gets its own module instance: its own memory.)
import { describe, expect, it } from 'vitest'
import { Adam, init, MSVAG, memoryStats, parameter, SGD } from '../src/index.js'

describe('memory (unshared WebAssembly.Memory)', () => {
  it('the getters renew views detached by growth; optimizers keep working', async () => {
    expect(await init({ shared: false })).toEqual({ simd: true, shared: false, threads: 1 })
    expect(memoryStats().shared).toBe(false)
    await expect(init({ shared: true })).rejects.toThrow(/already created unshared/)
    const w = parameter(new Float32Array([1, 2, 3]))
    const plain = { param: new Float32Array([4, 5]), grad: new Float32Array([1, 1]) }
    const old = w.param
    const opt = new SGD([w, plain], { lr: 0.5 })
    const big = parameter(8_000_000) // grows the memory: `old` is now detached
    expect(old.length).toBe(0)
    w.grad.set([1, 1, 1])
    opt.step()
    expect([...w.param]).toEqual([0.5, 1.5, 2.5])
    expect([...plain.param]).toEqual([3.5, 4.5])
    opt.dispose()
    big.dispose()
    w.dispose()
  })

  it('stats() keeps working when growth detaches the view of its accumulators', async () => {
    await init({ simd: true })
    const w = parameter(new Float32Array([1, 2, 3, 4]))
    w.grad.set([3, 0, 0, 4])
    const opt = new MSVAG([w])
    opt.step()
    const before = opt.stats()
    expect(before.total.gradNorm).toBe(5)
    const old = w.param
    const big = parameter(memoryStats().freeBytes / 4 + 1_000_000) // more than is free: the memory grows
    expect(old.length).toBe(0) // every old view is detached
    expect(opt.stats()).toEqual(before)
    w.grad.set([0, 0, 6, 8])
    expect(opt.stats().total.gradNorm).toBe(10)
    opt.dispose()
    big.dispose()
    w.dispose()
  })

  it('the scalar build runs on the same memory', async () => {
    expect(await init({ simd: false })).toEqual({ simd: false, shared: false, threads: 1 })
    const w = parameter(new Float32Array([1, -1]))
    w.grad.set([0.5, 0.5])
    const opt = new Adam([w], { lr: 0.1 })
    opt.step()
    expect([...w.param]).toEqual([Math.fround(0.9), Math.fround(-1.1)])
    opt.dispose()
    w.dispose()
  })

  it('asking for threads gets one, and says why', async () => {
    const got = await init({ threads: 2 })
    expect(got.threads).toBe(1)
    expect(got.whyFewerThreads).toMatch(
      /the memory is not shared with workers .*Cross-Origin-Opener-Policy: same-origin/,
    )
    const w = parameter(new Float32Array(50_000).fill(1))
    w.grad.fill(1)
    new SGD([w], { lr: 0.5 }).step()
    expect(w.param[49_999]).toBe(0.5)
  })
})
