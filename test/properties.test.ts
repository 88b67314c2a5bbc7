// Property-based tests (fast-check): random optimizers, options (both subnormal modes), lengths
// (0 included) and gradients full of hard values (±0, subnormals, huge values, NaN, ±Infinity),
// over up to 20 steps (the state flush runs at the 16th).
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { init, type Optimizer, type OptimizerName } from '../src/index.js'
import { view } from '../src/runtime.js'
import { firstBitDifference, stateValues } from './helpers.js'
import { f32, initState, referenceStep } from './reference.js'
import { NAMES, OPTIMIZERS, REGISTRY, ranges, spec as specFor } from './registry.js'

const lr = fc.double({ min: 0, max: 1, noNaN: true })

/** Any float32, with the hard ones (±0, subnormals, ±max, NaN, ±Infinity) well represented. */
const hard = fc.oneof(
  fc.float(),
  fc.constantFrom(
    0,
    -0,
    NaN,
    Infinity,
    -Infinity,
    1.4e-45,
    -1.4e-45,
    1.1754942e-38,
    3.4028235e38,
    -3.4028235e38,
    1e20,
    -1e-20,
  ),
  fc.float({ min: -10, max: 10, noNaN: true }),
)
/** Finite, moderate values: squares and sums cannot overflow. */
const moderate = fc.oneof(
  fc.constantFrom(0, -0, 1.4e-45),
  fc.float({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true }),
)

const problem = (values: fc.Arbitrary<number>) =>
  fc.nat({ max: 40 }).chain((n) =>
    fc.record({
      theta: fc.float32Array({ minLength: n, maxLength: n, min: -100, max: 100, noNaN: true, noDefaultInfinity: true }),
      grads: fc.array(
        fc.array(values, { minLength: n, maxLength: n }).map((a) => Float32Array.from(a)),
        { minLength: 1, maxLength: 20 },
      ),
    }),
  )

async function runWasm(
  name: OptimizerName,
  options: object,
  simd: boolean,
  theta: Float32Array,
  grads: Float32Array[],
) {
  await init({ simd })
  const spec = specFor(name, Float32Array.from(theta), new Float32Array(theta.length))
  const opt: Optimizer<object> = new OPTIMIZERS[name]([spec], options)
  for (const g of grads) {
    spec.grad.set(g)
    opt.step()
  }
  const s = opt.slots[0][0]
  const state = stateValues(s)
  opt.dispose()
  return { param: spec.param, state }
}

beforeAll(async () => {
  await init()
})

describe('properties', () => {
  it('SIMD, scalar and the Math.fround reference agree bit for bit on any input', async () => {
    const arbitrary = fc.constantFrom(...NAMES).chain((name) =>
      fc.tuple(
        fc.constant(name),
        fc.tuple(ranges(name), fc.constantFrom('flush', 'keep')).map(([o, subnormals]) => ({
          ...o,
          subnormals,
        })),
        problem(hard),
      ),
    )
    await fc.assert(
      fc.asyncProperty(arbitrary, async ([name, options, { theta, grads }]) => {
        const simd = await runWasm(name, options, true, theta, grads)
        const scalar = await runWasm(name, options, false, theta, grads)
        const o = { ...OPTIMIZERS[name].defaults, ...options }
        const p = Float32Array.from(theta)
        const s = initState(name, o, p.length, (k) => new Float32Array(k))
        grads.forEach((g, t) => {
          referenceStep(name, o, p, g, s, t + 1, f32, REGISTRY[name].shape?.(p.length))
        })
        expect(firstBitDifference(simd.param, p), 'SIMD θ').toBe(-1)
        expect(firstBitDifference(scalar.param, p), 'scalar θ').toBe(-1)
        for (const k of Object.keys(s)) {
          expect(firstBitDifference(simd.state[k], s[k]), `SIMD ${k}`).toBe(-1)
          expect(firstBitDifference(scalar.state[k], s[k]), `scalar ${k}`).toBe(-1)
        }
      }),
      { numRuns: 300 },
    )
  })

  it('finite inputs give finite outputs where the rule guarantees it', async () => {
    // M-SVAG: m = v = 0 (zero gradients so far) would make γ = 0/0; the guard makes it 0.
    // Adagrad: a zero accumulator and a zero gradient give 0/(0 + ε) with ε > 0.
    const cases = fc.oneof(
      fc.tuple(fc.constant<OptimizerName>('MSVAG'), ranges('MSVAG')),
      fc.tuple(fc.constant<OptimizerName>('SVAG'), ranges('SVAG')),
      fc.tuple(
        fc.constant<OptimizerName>('Adagrad'),
        fc.record({
          lr,
          initialAccumulatorValue: fc.constant(0),
          eps: fc.double({ min: 1e-10, max: 0.1, noNaN: true }),
        }),
      ),
    )
    await fc.assert(
      fc.asyncProperty(cases, problem(moderate), async ([name, options], { theta, grads }) => {
        const { param, state } = await runWasm(name, options, true, theta, grads)
        expect([...param].every(Number.isFinite)).toBe(true)
        for (const b of Object.values(state)) expect([...b].every(Number.isFinite)).toBe(true)
      }),
      { numRuns: 200 },
    )
  })

  it('invalid options throw the documented error, at construction and between steps, and change nothing', async () => {
    await init({ simd: true })
    const bad = fc.oneof(
      fc.constantFrom(-1, NaN, Infinity, -Infinity, -1e-300, '0.1', null, undefined, true, [0.1], {}),
      fc.double({ max: -Number.MIN_VALUE, noNaN: true }),
    )
    const arbitrary = fc
      .constantFrom(...NAMES)
      .chain((name) => fc.tuple(fc.constant(name), fc.constantFrom(...Object.keys(OPTIMIZERS[name].defaults)), bad))
    await fc.assert(
      fc.asyncProperty(arbitrary, async ([name, key, value]) => {
        const ctor = OPTIMIZERS[name]
        const spec = specFor(name, new Float32Array([1, -2, 3]), new Float32Array([0.5, 0.5, -0.5]))
        const kind = typeof (ctor.defaults as Record<string, unknown>)[key]
        if (kind === 'boolean' && typeof value === 'boolean') return
        // A value of the wrong type is a TypeError, a number out of range a RangeError (an option
        // whose default is an array, a flag or a string takes no number at all: a TypeError).
        const type = typeof value === 'number' && kind === 'number' ? RangeError : TypeError
        expect(() => new ctor([spec], { [key]: value })).toThrow(type)
        expect(() => new ctor([spec], { [key]: value })).toThrow(new RegExp(`: ${key}`))
        const opt = new ctor([spec])
        opt.step()
        const before = [
          Float32Array.from(spec.param),
          ...Object.values(opt.slots[0][0].state).map((p) => Float32Array.from(view(p, 3))),
        ]
        ;(opt.paramGroups[0] as Record<string, unknown>)[key] = value
        expect(() => opt.step()).toThrow(type)
        const after = [
          Float32Array.from(spec.param),
          ...Object.values(opt.slots[0][0].state).map((p) => Float32Array.from(view(p, 3))),
        ]
        expect(after).toEqual(before)
        expect(opt.slots[0][0].t).toBe(1)
        opt.dispose()
      }),
      { numRuns: 300 },
    )
  })

  it('mismatched shapes throw a RangeError and allocate nothing', async () => {
    const { memoryStats } = await import('../src/index.js')
    await fc.assert(
      fc.property(fc.constantFrom(...NAMES), fc.nat({ max: 50 }), fc.nat({ max: 50 }), (name, a, b) => {
        fc.pre(a !== b)
        const before = memoryStats()
        expect(() => new OPTIMIZERS[name]([{ param: new Float32Array(a), grad: new Float32Array(b) }])).toThrow(
          new RegExp(`param and grad must have the same length, got ${a} and ${b}`),
        )
        expect(memoryStats()).toEqual(before)
      }),
      { numRuns: 100 },
    )
  })
})
