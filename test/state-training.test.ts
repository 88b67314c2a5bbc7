// Compact optimizer state (stateDtype, docs/state.md) trains as float32 state does: for every
// optimizer that offers it, on a noisy quadratic. The bit-for-bit suites are test/state-dtype.test.ts.
import { describe, expect, it } from 'vitest'
import { init, type OptimizerName } from '../src/index.js'
import { normal, rng } from './helpers.js'
import { COMPACT, OPTIMIZERS, param, REGISTRY } from './registry.js'

describe('compact state: trains as float32 does', () => {
  // A noisy quadratic, ½ Σ λᵢθᵢ² with λ spread over 0.1..10 and gradients λθ + 0.5·√λ·z, over
  // 4,096 elements (q8's threshold: its blocks are used), 300 steps; the same start and noise
  // for every run. The loss over the last 100 steps with compact state against float32's: the
  // rounding is unbiased, so the difference is small (measured: bf16 within 0.07%, q8 within
  // 5.7%, ScheduleFreeAdamW the most). With the codec rounding to nearest instead (tried), 9 of
  // the 16 fail: an EMA with β2 = 0.999 stalls (Adam's q8 loss 1.12×, Lion's 3.48×, Adamax's bf16 0.86×).
  const d = 4096
  const steps = 300
  const lambda = Float64Array.from({ length: d }, (_, i) => 10 ** (-1 + (2 * i) / (d - 1)))
  const z = normal(rng(11))
  const noise = Float32Array.from({ length: d * steps }, () => 0.5 * z())
  const start = Float32Array.from({ length: d }, (_, i) => 2 * Math.sin(i))
  function tail(name: OptimizerName, options: object): number {
    const p = param(name, start)
    const opt = new OPTIMIZERS[name]([p], options)
    let loss = 0
    for (let t = 0; t < steps; t++) {
      for (let i = 0; i < d; i++) p.grad[i] = lambda[i] * p.param[i] + Math.sqrt(lambda[i]) * noise[t * d + i]
      opt.step()
      if (t >= steps - 100) for (let i = 0; i < d; i++) loss += (0.5 * lambda[i] * p.param[i] ** 2) / 100
    }
    opt.dispose()
    p.dispose()
    return loss
  }
  it.each(COMPACT)("%s: the loss with bf16 within 1% of float32's, with q8 within 8%", async (name) => {
    await init({ simd: true, threads: 1 })
    // The last of the registry's settings: SGD's with momentum (its first keeps no state).
    const options = REGISTRY[name].converges?.at(-1)?.quadratic ?? {}
    const base = tail(name, { ...options, stateDtype: 'f32' })
    expect(base).toBeGreaterThan(0)
    for (const [stateDtype, tolerance] of [
      ['bf16', 0.01],
      ['q8', 0.08],
    ] as const) {
      const ratio = tail(name, { ...options, stateDtype }) / base
      // The state was compact: rounding changed the trajectory.
      expect(ratio, `${name} ${stateDtype}: the same loss as float32's to the bit`).not.toBe(1)
      expect(Math.abs(ratio - 1), `${name} ${stateDtype}: loss ${ratio.toFixed(4)}× float32's`).toBeLessThanOrEqual(
        tolerance,
      )
    }
  })
})
