// The SIMD build, the scalar build and the Math.fround reference agree bit for bit: every
// optimizer, every option combination that changes a kernel's path, both subnormal modes, lengths
// 0 through 67 (every SIMD body / scalar tail split) and one large length, random data with a
// tenth of its gradients tiny enough to make subnormals, 25 steps.
import { beforeAll, describe, expect, it } from 'vitest'
import { init, type OptimizerName } from '../src/index.js'
import { firstBitDifference, randomData } from './helpers.js'
import { f32, initState, referenceStep } from './reference.js'
import { CASES, NAMES, OPTIMIZERS, REGISTRY, type Run, runGroups, spec } from './registry.js'

const STEPS = 25
const LENGTHS = [...Array.from({ length: 68 }, (_, n) => n), 100_003]
const DATA = LENGTHS.map((n) => randomData(n, STEPS, n + 1, 0.1))
const MODES = [{ subnormals: 'flush' }, { subnormals: 'keep' }] as const
const RUNS = CASES.flatMap(([name, options]) => MODES.map((m): [OptimizerName, object] => [name, { ...options, ...m }]))

/** One optimizer over one parameter per length (its own group each), stepped STEPS times. */
async function runWasm(name: OptimizerName, options: object, simd: boolean, resident: boolean): Promise<Run> {
  await init({ simd })
  return runGroups(name, options, DATA, STEPS, resident)
}

function runReference(name: OptimizerName, options: object): Run {
  const o = { ...OPTIMIZERS[name].defaults, ...options }
  const params: Float32Array[] = []
  const states: Record<string, Float32Array>[] = []
  for (const { theta, grads } of DATA) {
    const n = theta.length
    const p = Float32Array.from(theta)
    const s = initState(name, o, n, (k) => new Float32Array(k))
    const shape = REGISTRY[name].shape?.(n)
    for (let t = 1; t <= STEPS; t++) referenceStep(name, o, p, grads[t - 1], s, t, f32, shape)
    params.push(p)
    states.push(s as Record<string, Float32Array>)
  }
  return { params, state: states }
}

/** Index of the first length whose θ or state differs between two runs, or -1. */
function firstDifference(a: Run, b: Run): number {
  return LENGTHS.findIndex(
    (_, i) =>
      firstBitDifference(a.params[i], b.params[i]) >= 0 ||
      Object.keys(b.state[i]).some((k) => firstBitDifference(a.state[i][k], b.state[i][k]) >= 0),
  )
}

function expectSameBits(what: string, a: Run, b: Run): void {
  LENGTHS.forEach((n, i) => {
    const at = firstBitDifference(a.params[i], b.params[i])
    expect(at, `${what}: θ of length ${n} differs at [${at}]: ${a.params[i][at]} vs ${b.params[i][at]}`).toBe(-1)
    for (const k of Object.keys(b.state[i])) {
      const sat = firstBitDifference(a.state[i][k], b.state[i][k])
      expect(sat, `${what}: state ${k} of length ${n} differs at [${sat}]`).toBe(-1)
    }
  })
}

describe('bit-exact: SIMD build = scalar build = Math.fround reference', () => {
  beforeAll(async () => {
    await init()
    for (const [name, options] of CASES) {
      const opt = new OPTIMIZERS[name]([spec(name, new Float32Array(4), new Float32Array(4))], options)
      if (Object.keys(opt.slots[0][0].state).length > 0) stateful.add(name)
      opt.dispose()
    }
  })

  /** The optimizers whose flushing changed a result on this data. */
  const flushed = new Set<string>()
  /** The optimizers that keep state buffers under some of their paths' options. */
  const stateful = new Set<string>()

  it.each(RUNS)('%s %j', async (name, options) => {
    const reference = runReference(name, options)
    if ((options as { subnormals: string }).subnormals === 'flush') {
      if (firstDifference(reference, runReference(name, { ...options, subnormals: 'keep' })) >= 0) flushed.add(name)
    }
    const simd = await runWasm(name, options, true, false)
    const scalar = await runWasm(name, options, false, false)
    expectSameBits('SIMD vs reference', simd, reference)
    expectSameBits('scalar vs reference', scalar, reference)
    // The data was not trivial: at least one parameter moved.
    expect(simd.params.at(-1)!.some((x, i) => x !== DATA.at(-1)!.theta[i])).toBe(true)
  })

  // The modes were told apart: every optimizer that keeps state flushes some of it on this data.
  it('the data makes subnormals that flushing changes, for every optimizer with state', () => {
    expect([...flushed].sort()).toEqual(NAMES.filter((n) => stateful.has(n)).sort())
  })

  it.each(RUNS.filter((_, i) => i % 8 === 0))(
    'parameter() buffers give the same bits as plain arrays: %s %j',
    async (name, options) => {
      const plain = await runWasm(name, options, true, false)
      const resident = await runWasm(name, options, true, true)
      expectSameBits('parameter() vs plain arrays', resident, plain)
    },
  )
})
