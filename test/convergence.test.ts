// Every optimizer makes progress on a noisy, ill-conditioned quadratic and on the Rosenbrock
// function: the registry's table of optimizers (each with a learning rate that suits it), one loop.
import { beforeAll, describe, expect, it } from 'vitest'
import { init, type OptimizerName } from '../src/index.js'
import { normal, rng } from './helpers.js'
import { NAMES, OPTIMIZERS, param, REGISTRY, spec as specFor } from './registry.js'

const TABLE = NAMES.flatMap((name) =>
  (REGISTRY[name]?.converges ?? []).map((c): [OptimizerName, object, object | null] => [
    name,
    c.quadratic,
    c.rosenbrock,
  ]),
)

/** ½ Σ λᵢ (θᵢ − x*ᵢ)², λ spread over 0.1..10; g = λ(θ − x*) + 0.5·√λ·z. Returns initial and final loss. */
function noisyQuadratic(name: OptimizerName, options: object): [number, number] {
  const d = 50
  const u = rng(42)
  const z = normal(u)
  const lambda = Float64Array.from({ length: d }, (_, i) => 10 ** (-1 + (2 * i) / (d - 1)))
  const xstar = Float64Array.from({ length: d }, () => 4 * u() - 2)
  const p = param(name, d)
  const loss = () => p.param.reduce((sum, x, i) => sum + 0.5 * lambda[i] * (x - xstar[i]) ** 2, 0)
  const opt = new OPTIMIZERS[name]([p], options)
  const initial = loss()
  let tail = 0
  for (let t = 0; t < 500; t++) {
    for (let i = 0; i < d; i++) p.grad[i] = lambda[i] * (p.param[i] - xstar[i]) + 0.5 * Math.sqrt(lambda[i]) * z()
    opt.step()
    if (t >= 450) tail += loss() / 50
  }
  opt.dispose()
  p.dispose()
  return [initial, tail]
}

/** (1 − x)² + 100 (y − x²)² from (−1.5, 2), 3000 steps with exact gradients. */
function rosenbrock(name: OptimizerName, options: object): [number, number] {
  const spec = specFor(name, new Float32Array([-1.5, 2]), new Float32Array(2))
  const f = ([x, y]: Float32Array) => (1 - x) ** 2 + 100 * (y - x * x) ** 2
  const opt = new OPTIMIZERS[name]([spec], options)
  const initial = f(spec.param)
  for (let t = 0; t < 3000; t++) {
    const [x, y] = spec.param
    spec.grad[0] = -2 * (1 - x) - 400 * x * (y - x * x)
    spec.grad[1] = 200 * (y - x * x)
    opt.step()
  }
  opt.dispose()
  return [initial, f(spec.param)]
}

describe('every optimizer makes progress', () => {
  beforeAll(async () => {
    await init()
  })

  it.each(TABLE)('%s %j on a noisy quadratic', (name, quadratic) => {
    const [initial, final] = noisyQuadratic(name, quadratic)
    expect(final).toBeLessThan(0.03 * initial)
  })

  it.each(TABLE.filter(([, , rosen]) => rosen !== null))('%s on Rosenbrock %j', (name, _, rosen) => {
    const [initial, final] = rosenbrock(name, rosen!)
    expect(final).toBeLessThan(0.02 * initial)
  })
})
