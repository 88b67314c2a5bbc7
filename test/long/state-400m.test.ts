// Compact state where memory is the wall (stateDtype, docs/state.md): an AdamW over 400M
// parameters steps inside one 4 GiB WebAssembly memory with 'q8' state, where float32 state does
// not fit (a clear error, nothing changed). Its own file: the run grows this worker's memory to
// 4 GiB, and a WebAssembly memory never shrinks.
import { describe, expect, it } from 'vitest'
import { AdamW, init, memoryStats, parameter } from '../../src/index.js'

describe('400M parameters in 4 GiB', () => {
  it("AdamW over 400M parameters steps with 'q8' state; float32 state is refused before allocating", async () => {
    await init()
    const n = 400_000_000
    const start = memoryStats().usedBytes
    const w = parameter(n)
    w.grad.fill(0.01)
    const held = memoryStats()
    // Float32 state (3.2 GB more) cannot fit beside θ and g (3.2 GB): refused, nothing allocated.
    expect(() => new AdamW([w], { lr: 1e-3 })).toThrow(/more than its maximum of 65536 \(4 GiB\)/)
    expect(memoryStats()).toEqual(held)
    const opt = new AdamW([w], { lr: 1e-3, stateDtype: 'q8' })
    const state = memoryStats().usedBytes - held.usedBytes
    expect(state / n).toBeLessThanOrEqual(2.1)
    expect(memoryStats().memoryBytes).toBeLessThanOrEqual(2 ** 32)
    opt.step()
    opt.step()
    // Every block of equal values is exact in q8 (each is its block's scale): the float32 bits.
    const small = parameter(8)
    small.grad.fill(0.01)
    const reference = new AdamW([small], { lr: 1e-3 })
    reference.step()
    reference.step()
    for (const i of [0, 1, 123_456_789, n - 1]) expect(w.param[i]).toBe(small.param[0])
    expect(w.param[0]).toBeCloseTo(-2e-3, 6)
    for (const o of [opt, reference, w, small]) o.dispose()
    expect(memoryStats().usedBytes).toBe(start)
  }, 300_000)
})
