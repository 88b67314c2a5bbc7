// A runtime without WebAssembly SIMD (older browsers): init() picks the scalar build by itself,
// and asking for SIMD is a clear error. Simulated by making WebAssembly.validate refuse the SIMD
// build before the library first looks (a vitest file gets its own module instance).
import { describe, expect, it, vi } from 'vitest'

describe('a runtime without SIMD', () => {
  it('gets the scalar build from init(), which still steps correctly', async () => {
    const validate = vi.spyOn(WebAssembly, 'validate').mockReturnValue(false)
    const { init, simdSupported, parameter, SGD } = await import('../src/index.js')
    expect(simdSupported()).toBe(false)
    await expect(init({ simd: true })).rejects.toThrow(/init\(\{ simd: true \}\): this runtime has no WebAssembly SIMD/)
    expect((await init()).simd).toBe(false)
    validate.mockRestore()
    const w = parameter(new Float32Array([1, 2, 3, 4, 5]))
    w.grad.fill(1)
    new SGD([w], { lr: 0.5 }).step()
    expect([...w.param]).toEqual([0.5, 1.5, 2.5, 3.5, 4.5])
  })
})
