// Agreement with PyTorch 2.x's rules for the optimizers it shares (Adamax, Adadelta, NAdam,
// RAdam, and maximize for RMSprop and Adagrad) and with the Schedule-Free reference
// implementation, train()/eval() included: 100 steps of reproducible random data, float64 golden
// trajectories written by scripts/golden/pytorch.py (with Debian's torch 1.13 where it has the
// 2.x rule, else from the rules written out in float64). Tolerance: |θ32 − θ64| ≤
// 1e-5·(|θ64| + path), path the summed length of the float64 steps, as in the float64 suite.
import { readFileSync } from 'node:fs'
import { beforeAll, describe, expect, it } from 'vitest'
import { init, type OptimizerName, ScheduleFreeAdamW } from '../src/index.js'
import { rng } from './helpers.js'
import { OPTIMIZERS } from './registry.js'

interface Case {
  name: OptimizerName
  options: object
  source: string
  theta: number[]
  path: number[]
  x?: number[]
  yAgain?: number[]
}
const golden: { n: number; steps: number; seed: number; scales: number[]; cases: Case[] } = JSON.parse(
  readFileSync('test/golden/pytorch.json', 'utf8'),
)
const TOL = 1e-5

/** The script's data: θ₀ in [−1, 1), gradients in [−s, s) with s by element, float32. */
function data() {
  const u = rng(golden.seed)
  const { n, steps, scales } = golden
  const theta = Float32Array.from({ length: n }, () => 2 * u() - 1)
  const grads = Array.from({ length: steps }, () =>
    Float32Array.from({ length: n }, (_, i) => (2 * u() - 1) * scales[i % 4]),
  )
  return { theta, grads }
}

/** The worst |a − b|/(|b| + path) over the elements. */
function worst(a: Float32Array, b: number[], path: number[]): number {
  return Math.max(...b.map((x, i) => Math.abs(a[i] - x) / (Math.abs(x) + path[i])))
}

describe.each([true, false])('agreement with PyTorch 2.x and Schedule-Free, 100 steps (simd: %s)', (simd) => {
  beforeAll(async () => {
    await init({ simd })
  })

  it.each(golden.cases.map((c): [string, Case] => [`${c.name} ${JSON.stringify(c.options)} vs ${c.source}`, c]))(
    '%s',
    (_, c) => {
      const { theta, grads } = data()
      const spec = { param: Float32Array.from(theta), grad: new Float32Array(theta.length) }
      // PyTorch keeps subnormals (it does not flush by default): compare in the same mode.
      const opt = new OPTIMIZERS[c.name]([spec], { ...c.options, subnormals: 'keep' })
      for (const g of grads) {
        spec.grad.set(g)
        opt.step()
      }
      expect(worst(spec.param, c.theta, c.path)).toBeLessThanOrEqual(TOL)
      expect(Math.max(...c.path)).toBeGreaterThan(0)
      if (opt instanceof ScheduleFreeAdamW) {
        opt.eval()
        expect(worst(spec.param, c.x!, c.path), 'eval(): x').toBeLessThanOrEqual(TOL)
        opt.train()
        expect(worst(spec.param, c.yAgain!, c.path), 'train(): y again').toBeLessThanOrEqual(TOL)
      }
      opt.dispose()
    },
  )
})
