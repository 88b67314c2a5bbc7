// The float32 kernels against the float64 reference (test/reference.ts with r = identity).
// Tolerance: |θ32 − θ64| ≤ tol·(|θ64| + path), where path is the summed length of the float64
// steps so far, a scale for the rounding of both θ and the updates. tol = 1e-5 (measured worst
// case over three seeds: 2.0e-6) unless the registry says otherwise: SVAG and M-SVAG 3e-3, since
// at t = 1 the factor 1/(1 − ρ) = 1e4 amplifies the rounding of v̂ − m̂² (docs/algorithms.md §4;
// measured worst: 8.5e-4).
import { beforeAll, describe, expect, it } from 'vitest'
import { init } from '../src/index.js'
import { randomData } from './helpers.js'
import { f64, initState, referenceStep } from './reference.js'
import { CASES, OPTIMIZERS, REGISTRY, spec as specFor } from './registry.js'

const N = 1000
const STEPS = 50

describe.each([true, false])('float32 kernels vs float64 reference (simd: %s)', (simd) => {
  beforeAll(async () => {
    await init({ simd })
  })

  it.each(CASES)('%s %j', (name, options) => {
    const tol = REGISTRY[name].float64Tolerance ?? 1e-5
    const { theta, grads } = randomData(N, STEPS, 11)
    const o = { ...OPTIMIZERS[name].defaults, ...options }
    const p64 = Float64Array.from(theta)
    const s64 = initState(name, o, N, (k) => new Float64Array(k))
    const path = new Float64Array(N)
    const spec = specFor(name, Float32Array.from(theta), new Float32Array(N))
    const opt = new OPTIMIZERS[name]([spec], options)
    for (let t = 1; t <= STEPS; t++) {
      const before = Float64Array.from(p64)
      referenceStep(name, o, p64, grads[t - 1], s64, t, f64, spec.shape)
      spec.grad.set(grads[t - 1])
      opt.step()
      let worst = 0
      for (let i = 0; i < N; i++) {
        path[i] += Math.abs(p64[i] - before[i])
        worst = Math.max(worst, Math.abs(spec.param[i] - p64[i]) / (Math.abs(p64[i]) + path[i]))
      }
      expect(worst, `step ${t}`).toBeLessThanOrEqual(tol)
    }
    expect(path.some((x) => x > 0)).toBe(true)
    opt.dispose()
  })
})
