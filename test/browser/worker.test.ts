// The library inside a Web Worker in a real browser: it loads, steps and gives the test vector of docs/algorithms.md.
import { describe, expect, it } from 'vitest'
import { simdSupported } from '../../src/index.js'

describe('in a Web Worker', () => {
  it('runs M-SVAG to the test vector of docs/algorithms.md', async () => {
    const worker = new Worker(new URL('./optimizer-worker.ts', import.meta.url), { type: 'module' })
    const result = await new Promise<{ simd: boolean; shared: boolean; theta: number[] }>((resolve, reject) => {
      worker.onmessage = (e) => resolve(e.data)
      worker.onerror = (e) => reject(new Error(e.message))
      worker.postMessage('go')
    })
    worker.terminate()
    expect(result.simd).toBe(simdSupported())
    // Shared or not is the runtime's call (init() falls back to an unshared memory); both work.
    expect(typeof result.shared).toBe('boolean')
    const expected = [0.2400977188, -0.787006534, 1.8756493651]
    result.theta.forEach((x, i) => {
      expect(Math.abs(x - expected[i])).toBeLessThan(2e-3)
    })
  })
})
