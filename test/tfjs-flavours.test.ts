// The TF.js flavours (wasm-optim/tfjs's kernels, assembly/tfjs/): SIMD build = scalar build =
// the float32 reference of TF.js's operation order (test/tfjs-reference.ts), bit for bit, every
// path, lengths 0 through 67 and 100,003, 25 steps of random data with a tenth of its gradients
// tiny enough to make subnormals, which TF.js keeps (and so the flavours do).
import { beforeAll, describe, expect, it } from 'vitest'
import { init, type Optimizer, parameter } from '../src/index.js'
import { view } from '../src/runtime.js'
import {
  loadFlavours,
  TFAdadelta,
  TFAdagrad,
  TFAdam,
  TFAdamax,
  TFMomentum,
  TFRMSProp,
  TFSGD,
} from '../src/tfjs/flavours.js'
import { firstBitDifference, randomData } from './helpers.js'
import type { Vec } from './reference.js'
import { TF_RULES } from './tfjs-reference.js'

const STEPS = 25
const LENGTHS = [...Array.from({ length: 68 }, (_, n) => n), 100_003]
const DATA = LENGTHS.map((n) => randomData(n, STEPS, n + 7, 0.1))

type Make = new (params: never[], options: object) => Optimizer<object>
const CLASSES: Record<string, Make> = {
  TFSGD,
  TFMomentum,
  TFRMSProp,
  TFAdagrad,
  TFAdadelta,
  TFAdam,
  TFAdamax,
} as unknown as Record<string, Make>
const DEFAULTS = (name: string) => (CLASSES[name] as unknown as { defaults: object }).defaults

const PATHS: [string, object][] = [
  ['TFSGD', { lr: 0.1 }],
  ['TFMomentum', { lr: 0.1, momentum: 0.9 }],
  ['TFMomentum', { lr: 0.1, momentum: 0.9, nesterov: true }],
  ['TFMomentum', { lr: 0.1, momentum: 0 }],
  ['TFRMSProp', { lr: 0.01 }],
  ['TFRMSProp', { lr: 0.01, momentum: 0.5 }],
  ['TFRMSProp', { lr: 0.01, momentum: 0.5, centered: true }],
  ['TFAdagrad', { lr: 0.1 }],
  ['TFAdadelta', { lr: 1 }],
  ['TFAdam', { lr: 0.01 }],
  ['TFAdamax', { lr: 0.01 }],
  ['TFAdamax', { lr: 0.01, decay: 0.05 }],
]

function run(name: string, options: object, simd: boolean | undefined) {
  const specs = DATA.map((d) => parameter(d.theta))
  const opt = new CLASSES[name](specs.map((s) => ({ params: [s] })) as never[], options)
  for (let t = 0; t < STEPS; t++) {
    specs.forEach((s, i) => {
      s.grad.set(DATA[i].grads[t])
    })
    opt.step()
  }
  const out = {
    params: specs.map((s) => Float32Array.from(s.param)),
    state: opt.slots.map(([slot]) =>
      Object.fromEntries(Object.entries(slot.state).map(([k, ptr]) => [k, Float32Array.from(view(ptr, slot.n))])),
    ),
  }
  opt.dispose()
  for (const s of specs) s.dispose()
  void simd
  return out
}

function reference(name: string, options: object) {
  const o = { ...DEFAULTS(name), ...options } as Record<string, number>
  const rule = TF_RULES[name]
  return DATA.map(({ theta, grads }) => {
    const p = Float32Array.from(theta)
    const s = Object.fromEntries(
      rule.state(o).map((k) => [k, new Float32Array(theta.length).fill(rule.initial?.(o) ?? 0)]),
    ) as Record<string, Vec>
    for (let t = 1; t <= STEPS; t++) {
      const update = rule.step(o, t)
      for (let i = 0; i < p.length; i++) update(p, grads[t - 1], s, i)
    }
    return { p, s }
  })
}

beforeAll(async () => {
  await init()
  await loadFlavours()
})

describe('the TF.js flavours: SIMD = scalar = reference, bit for bit', () => {
  it.each(PATHS)('%s %j', async (name, options) => {
    const ref = reference(name, options)
    for (const simd of [true, false]) {
      await init({ simd })
      const got = run(name, options, simd)
      LENGTHS.forEach((n, i) => {
        const at = firstBitDifference(got.params[i], ref[i].p)
        expect(at, `${simd ? 'SIMD' : 'scalar'}: θ of length ${n} differs at [${at}]`).toBe(-1)
        for (const k of Object.keys(ref[i].s)) expect(firstBitDifference(got.state[i][k], ref[i].s[k]), `${k}`).toBe(-1)
      })
    }
    await init({ simd: true })
  })

  it("keep subnormals, as TF.js does: 'keep' is their default and only mode", () => {
    const spec = { param: new Float32Array(3), grad: new Float32Array(3) }
    for (const [name, make] of Object.entries(CLASSES)) {
      expect(new make([spec] as never[], {}).subnormals).toBe('keep')
      expect(() => new make([spec] as never[], { subnormals: 'flush' })).toThrow(
        new RegExp(`${name}: options: subnormals must be 'keep', got "flush" \\(${name} computes TF.js's bits`),
      )
    }
  })
})
