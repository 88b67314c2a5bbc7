// The MNIST comparison's training loop (reproduce/mnist.ts), briefly: the loss falls, the test
// accuracy rises, and the diagnostics arrive with every evaluation.
import { describe, expect, it } from 'vitest'
import { loadDigits, train } from '../../reproduce/mnist.js'

describe('MNIST comparison', () => {
  it('trains, evaluates and reports the diagnostics', async () => {
    const data = loadDigits()
    expect(data.train.y.length).toBe(8000)
    expect(data.test.y.length).toBe(2000)
    for (const method of ['msvag', 'adam', 'mssd']) {
      const lr = { msvag: 0.3, adam: 1e-3, mssd: 3e-4 }[method]!
      const { points } = await train(data, method, lr, 1, 80, 40)
      expect(points.map((p) => p.step)).toEqual([40, 80])
      const [first, last] = [points[0], points[1]]
      expect(last.trainLoss).toBeLessThan(first.trainLoss)
      expect(last.testAccuracy).toBeGreaterThan(0.6)
      expect(last.signAgreement).toBeGreaterThan(0.5)
      // M-SSD tracks v for the diagnostics, so every method reports γ, η̂² and P.
      expect(last.gamma).toBeGreaterThan(0)
      expect(last.gamma).toBeLessThan(1)
      expect(last.signProbability).toBeGreaterThan(0.5)
      expect(last.eta2!.reduce((a, b) => a + b)).toBeCloseTo(1, 9)
    }
  }, 60_000)
})
