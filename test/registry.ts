// The test registry: for every optimizer of the library (src/optimizers/index.ts), what the
// suites need to test it. Its reference rule lives in test/reference.ts (RULES) and its plain
// TypeScript baseline in bench/plain.ts (PLAIN); test/registry.test.ts fails, naming what is
// missing, when an optimizer lacks any of them. Every suite takes its list from here.
import fc from 'fast-check'
import { type OptimizerClass, type OptimizerName, optimizers, parameter } from '../src/index.js'

export interface OptimizerInfo {
  /**
   * Option sets that together take every path through the kernel (each flag and each optional
   * term on and off). The exactness, float64 and checkpoint suites run every one.
   */
  paths: object[]
  /** Valid options over their whole ranges, every flag included, for the property tests. */
  ranges: fc.Arbitrary<object>
  /**
   * Options under which it makes progress on a noisy quadratic and on Rosenbrock (convergence
   * suite); `rosenbrock: null` where the method does not converge there at all (with the reason).
   */
  converges: { quadratic: object; rosenbrock: object | null }[]
  /** Float64 tolerance, relative to |θ| + path length, where 1e-5 is too tight (with the reason). */
  float64Tolerance?: number
  /**
   * For a method that needs shaped parameters (Muon: matrices), the shape the element-wise
   * suites give a parameter of n elements; test/muon.test.ts tests real matrices.
   */
  shape?: (n: number) => readonly number[]
}

/** Every combination of the choices on each axis. */
export function combos(...axes: object[][]): object[] {
  return axes.reduce<object[]>((acc, axis) => acc.flatMap((a) => axis.map((b) => ({ ...a, ...b }))), [{}])
}

const unit = fc.double({ min: 0, max: 0.999, noNaN: true })
const small = fc.double({ min: 0, max: 0.1, noNaN: true })
const lr = fc.double({ min: 0, max: 1, noNaN: true })
const bool = fc.boolean()
const betas = fc.tuple(unit, unit)
const lr01 = { lr: 0.01 }
const decay = [{}, { weightDecay: 0.01 }]

/** The paper's family: β, decoupled weight decay; at t = 1 its 1/(1 − ρ) = 1e4 amplifies float32 rounding of v̂ − m̂². */
const family = (extra: object[] = [{}]): Pick<OptimizerInfo, 'paths' | 'ranges'> => ({
  paths: combos([lr01], decay, extra),
  ranges: fc.record({ lr, beta: unit, weightDecay: small }),
})

export const REGISTRY: Record<OptimizerName, OptimizerInfo> = {
  SGD: {
    paths: combos([lr01], [{}, { maximize: true }], decay, [
      {},
      { momentum: 0.9 },
      { momentum: 0.9, dampening: 0.3 },
      { momentum: 0.9, nesterov: true },
    ]),
    ranges: fc
      .record({
        lr,
        momentum: unit,
        dampening: fc.double({ min: 0, max: 1, noNaN: true }),
        weightDecay: small,
        maximize: bool,
        nesterov: bool,
      })
      .map((o) =>
        o.nesterov && (o.momentum === 0 || o.dampening !== 0) ? { ...o, dampening: 0, momentum: o.momentum || 0.5 } : o,
      ),
    converges: [
      { quadratic: { lr: 0.05 }, rosenbrock: { lr: 1e-3 } },
      { quadratic: { lr: 0.02, momentum: 0.9, nesterov: true }, rosenbrock: { lr: 2e-4, momentum: 0.9 } },
    ],
  },
  MSGD: {
    ...family([{}, { trackVariance: true }]),
    ranges: fc.record({ lr, beta: unit, weightDecay: small, trackVariance: bool }),
    converges: [{ quadratic: { lr: 0.1 }, rosenbrock: { lr: 2e-3 } }],
  },
  SSD: {
    paths: combos([lr01], decay),
    ranges: fc.record({ lr, weightDecay: small }),
    converges: [{ quadratic: { lr: 0.01 }, rosenbrock: { lr: 1e-3 } }],
  },
  MSSD: {
    ...family([{}, { trackVariance: true }]),
    ranges: fc.record({ lr, beta: unit, weightDecay: small, trackVariance: bool }),
    converges: [{ quadratic: { lr: 0.01 }, rosenbrock: { lr: 1e-3 } }],
  },
  SVAG: { ...family(), converges: [{ quadratic: { lr: 0.1 }, rosenbrock: { lr: 2e-3 } }], float64Tolerance: 3e-3 },
  MSVAG: { ...family(), converges: [{ quadratic: { lr: 0.1 }, rosenbrock: { lr: 2e-3 } }], float64Tolerance: 3e-3 },
  Adam: {
    paths: combos([lr01], [{}, { maximize: true }], decay, [{}, { amsgrad: true }]),
    ranges: fc.record({ lr, betas, eps: small, weightDecay: small, amsgrad: bool, maximize: bool }),
    converges: [{ quadratic: { lr: 0.05 }, rosenbrock: { lr: 0.02 } }],
  },
  AdamW: {
    paths: combos(
      [lr01],
      [{}, { maximize: true }],
      [{ weightDecay: 0 }, { weightDecay: 0.05 }],
      [{}, { amsgrad: true }],
    ),
    ranges: fc.record({ lr, betas, eps: small, weightDecay: small, amsgrad: bool, maximize: bool }),
    converges: [{ quadratic: { lr: 0.05, weightDecay: 1e-4 }, rosenbrock: { lr: 0.02, weightDecay: 0 } }],
  },
  Lion: {
    paths: combos([lr01], [{}, { weightDecay: 0.1 }]),
    ranges: fc.record({ lr, betas, weightDecay: small }),
    converges: [{ quadratic: { lr: 0.01 }, rosenbrock: { lr: 2e-3 } }],
  },
  RMSprop: {
    paths: combos([lr01], [{}, { centered: true }], [{}, { momentum: 0.9 }], decay, [{}, { maximize: true }]),
    ranges: fc.record({
      lr,
      alpha: unit,
      eps: small,
      momentum: unit,
      centered: bool,
      weightDecay: small,
      maximize: bool,
    }),
    converges: [{ quadratic: { lr: 0.01 }, rosenbrock: { lr: 2e-3 } }],
  },
  Adagrad: {
    paths: combos(
      [lr01],
      [{}, { weightDecay: 0.01 }, { lrDecay: 0.01, initialAccumulatorValue: 0.1 }],
      [{}, { maximize: true }],
    ),
    ranges: fc.record({
      lr,
      lrDecay: small,
      initialAccumulatorValue: small,
      eps: small,
      weightDecay: small,
      maximize: bool,
    }),
    converges: [{ quadratic: { lr: 0.5 }, rosenbrock: { lr: 0.1 } }],
  },
  Adamax: {
    paths: combos([lr01], [{}, { maximize: true }], decay),
    ranges: fc.record({ lr, betas, eps: small, weightDecay: small, maximize: bool }),
    converges: [{ quadratic: { lr: 0.05 }, rosenbrock: { lr: 0.02 } }],
  },
  Adadelta: {
    paths: combos([{ lr: 1 }], [{}, { maximize: true }], decay),
    ranges: fc.record({
      lr: fc.double({ min: 0, max: 2, noNaN: true }),
      rho: unit,
      eps: small,
      weightDecay: small,
      maximize: bool,
    }),
    // On Rosenbrock from (−1.5, 2) it diverges to 1e23 within 20,000 steps at every ρ and ε tried,
    // as PyTorch's does (checked with torch 1.13): no setting to test.
    converges: [{ quadratic: { lr: 1, eps: 1e-4 }, rosenbrock: null }],
  },
  NAdam: {
    paths: combos(
      [lr01],
      [{}, { maximize: true }],
      [{}, { weightDecay: 0.01 }, { weightDecay: 0.01, decoupledWeightDecay: true }],
    ),
    ranges: fc.record({
      lr,
      betas,
      eps: small,
      weightDecay: small,
      momentumDecay: small,
      decoupledWeightDecay: bool,
      maximize: bool,
    }),
    converges: [{ quadratic: { lr: 0.05 }, rosenbrock: { lr: 0.02 } }],
  },
  RAdam: {
    // β2 = 0.9 reaches ρₜ > 5 at t = 6: the 25 steps of the exactness suite take both kinds of step.
    paths: combos(
      [{ lr: 0.01, betas: [0.9, 0.9] }],
      [{}, { maximize: true }],
      [{}, { weightDecay: 0.01 }, { weightDecay: 0.01, decoupledWeightDecay: true }],
    ),
    ranges: fc.record({ lr, betas, eps: small, weightDecay: small, decoupledWeightDecay: bool, maximize: bool }),
    converges: [{ quadratic: { lr: 0.05 }, rosenbrock: { lr: 0.01 } }],
  },
  Muon: {
    // As 1 × n matrices in the element-wise suites: Newton–Schulz then normalises the momentum.
    shape: (n) => [1, n],
    paths: combos(
      [{ lr: 0.02 }],
      [{}, { nesterov: false }],
      [{}, { weightDecay: 0 }],
      [{}, { adjustLr: 'matchRmsAdamw', nsSteps: 3 }],
    ),
    ranges: fc.record({
      lr,
      momentum: unit,
      weightDecay: small,
      nesterov: bool,
      eps: fc.double({ min: 1e-9, max: 0.1, noNaN: true }),
      nsSteps: fc.integer({ min: 1, max: 6 }),
      adjustLr: fc.constantFrom('original', 'matchRmsAdamw'),
    }),
    // Every step has length lr·√max(1, rows/cols) whatever the gradient: it settles within about lr.
    converges: [{ quadratic: { lr: 0.05, weightDecay: 0 }, rosenbrock: { lr: 3e-3, weightDecay: 0 } }],
  },
  ScheduleFreeAdamW: {
    paths: combos([lr01], [{}, { maximize: true }], decay, [{}, { warmupSteps: 10, rPower: 0.5, weightLrPower: 1 }]),
    ranges: fc.record({
      lr,
      betas: fc.tuple(fc.double({ min: 0.01, max: 0.999, noNaN: true }), unit),
      eps: small,
      weightDecay: small,
      warmupSteps: fc.nat({ max: 20 }),
      rPower: fc.double({ min: 0, max: 2, noNaN: true }),
      weightLrPower: fc.double({ min: 0, max: 3, noNaN: true }),
      maximize: bool,
    }),
    converges: [{ quadratic: { lr: 0.05 }, rosenbrock: { lr: 0.02 } }],
  },
}

export type Ctor = OptimizerClass
export const OPTIMIZERS: Record<OptimizerName, OptimizerClass> = optimizers
export const NAMES = Object.keys(optimizers) as OptimizerName[]

/** A `{ param, grad }` pair for optimizer `name`, with the shape it needs if it needs one. */
export function spec(name: OptimizerName, param: Float32Array, grad: Float32Array) {
  const shape = REGISTRY[name]?.shape?.(param.length)
  return shape ? { param, grad, shape } : { param, grad }
}

/** A parameter() for optimizer `name`, with the shape it needs if it needs one. */
export function param(name: OptimizerName, init: number | ArrayLike<number>) {
  const n = typeof init === 'number' ? init : init.length
  return parameter(init, { shape: REGISTRY[name]?.shape?.(n) })
}

/** Every (optimizer, options) pair of every optimizer's paths. */
export const CASES: [OptimizerName, object][] = NAMES.flatMap((name) =>
  (REGISTRY[name]?.paths ?? []).map((o): [OptimizerName, object] => [name, o]),
)
