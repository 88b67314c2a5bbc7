// Compact optimizer state (stateDtype 'bf16' and 'q8', docs/state.md): for every optimizer that
// offers it, the SIMD build, the scalar build and the Math.fround reference (test/compact.ts)
// agree bit for bit, parameter() buffers and plain arrays alike, on lengths across q8's blocks,
// its 4,096-element threshold and the staging chunks; 1, 2 and 3 threads give the same bits; a
// resume is bit-identical; checkpoints store the compact bytes and load across dtypes; the state
// takes the bytes the docs say; stats() reads the decoded moments.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  Adam,
  AdamW,
  init,
  type Optimizer,
  type OptimizerName,
  parameter,
  ScheduleFreeAdamW,
  shutdown,
} from '../src/index.js'
import { firstBitDifference, randomData, sameBytes, stateValues } from './helpers.js'
import { f32, initState, referenceStep } from './reference.js'
import { COMPACT, OPTIMIZERS, param, REGISTRY, type Run, runGroups, spec } from './registry.js'

const STEPS = 12
const LENGTHS = [0, 1, 7, 8, 31, 255, 256, 257, 4095, 4096, 4100, 8192 + 777, 20_003]
const DATA = LENGTHS.map((n) => randomData(n, STEPS, 7 * n + 3, 0.1))
const DTYPES = ['bf16', 'q8'] as const
/** Each optimizer's paths that change its state buffers, with each dtype and both subnormal modes. */
const RUNS = COMPACT.flatMap((name) =>
  DTYPES.flatMap((stateDtype) =>
    (['flush', 'keep'] as const).map((subnormals): [OptimizerName, object] => [
      name,
      { ...(REGISTRY[name].paths.at(-1) ?? {}), stateDtype, subnormals },
    ]),
  ),
)

function runReference(name: OptimizerName, options: object): Run {
  const o = { ...OPTIMIZERS[name].defaults, ...options }
  const run: Run = { params: [], state: [] }
  DATA.forEach(({ theta, grads }, id) => {
    const p = Float32Array.from(theta)
    const s = initState(name, o, p.length, (k) => new Float32Array(k), id)
    for (let t = 1; t <= STEPS; t++) referenceStep(name, o, p, grads[t - 1], s, t, f32, undefined, id)
    run.params.push(p)
    run.state.push(s as Record<string, Float32Array>)
  })
  return run
}

function expectSameBits(what: string, a: Run, b: Run): void {
  LENGTHS.forEach((n, i) => {
    const at = firstBitDifference(a.params[i], b.params[i])
    expect(at, `${what}: θ of length ${n} differs at [${at}]: ${a.params[i][at]} vs ${b.params[i][at]}`).toBe(-1)
    expect(Object.keys(a.state[i]).sort()).toEqual(Object.keys(b.state[i]).sort())
    for (const k of Object.keys(b.state[i])) {
      const sat = firstBitDifference(a.state[i][k], b.state[i][k])
      expect(
        sat,
        `${what}: ${k} of length ${n} differs at [${sat}]: ${a.state[i][k][sat]} vs ${b.state[i][k][sat]}`,
      ).toBe(-1)
    }
  })
}

afterAll(() => shutdown())

describe('compact state: SIMD = scalar = reference', () => {
  it('every optimizer whose state is moments offers stateDtype (SSD keeps none)', () => {
    expect([...COMPACT].sort()).toEqual(
      [
        'Adadelta',
        'Adagrad',
        'Adam',
        'AdamW',
        'Adamax',
        'Lion',
        'MSGD',
        'MSSD',
        'MSVAG',
        'NAdam',
        'RAdam',
        'RMSprop',
        'SGD',
        'SVAG',
        'ScheduleFreeAdamW',
        'Muon',
      ].sort(),
    )
  })

  it.each(RUNS)('%s %j', async (name, options) => {
    const reference = runReference(name, options)
    await init({ simd: true })
    expectSameBits('SIMD vs reference', runGroups(name, options, DATA, STEPS, true), reference)
    expectSameBits('SIMD plain arrays vs reference', runGroups(name, options, DATA, STEPS, false), reference)
    await init({ simd: false })
    expectSameBits('scalar vs reference', runGroups(name, options, DATA, STEPS, true), reference)
    await init({ simd: true })
  })
})

/** Steps `opt` over `specs` with DATA-like gradients from `seed`, `steps` times. */
function stepWith(opt: Optimizer<object>, specs: { grad: Float32Array }[], steps: number, seed: number): void {
  for (let t = 0; t < steps; t++) {
    specs.forEach((s, i) => {
      const d = randomData(s.grad.length, 1, seed + 31 * t + i, 0.05)
      s.grad.set(d.grads[0])
    })
    opt.step()
  }
}

/** Every θ, and the state as stateBytes() stores it (each buffer's raw bytes and step count). */
const rawOf = (opt: Optimizer<object>, specs: { param: Float32Array }[]) => ({
  params: specs.map((s) => Float32Array.from(s.param)),
  bytes: opt.stateBytes(),
})

function expectSameRaw(what: string, a: ReturnType<typeof rawOf>, b: ReturnType<typeof rawOf>): void {
  a.params.forEach((x, i) => {
    expect(firstBitDifference(x, b.params[i]), `${what}: θ ${i}`).toBe(-1)
  })
  expect(sameBytes(a.bytes, b.bytes), `${what}: the state's bytes`).toBe(true)
}

describe('compact state: threads, resume, checkpoints, memory, diagnostics', () => {
  beforeAll(async () => {
    await init({ simd: true })
  })

  it.each(DTYPES.flatMap((d) => (['Adam', 'RMSprop', 'Lion'] as OptimizerName[]).map((n) => [n, d] as const)))(
    '%s %s: the same bits on 1, 2 and 3 threads',
    async (name, stateDtype) => {
      const runs = []
      for (const threads of [1, 2, 3]) {
        await init({ threads })
        const lengths = [300_001, 70_000, 5000, 100]
        const specs = lengths.map((n, i) =>
          i === 2
            ? spec(name, new Float32Array(n).fill(0.5), new Float32Array(n))
            : param(name, new Float32Array(n).fill(0.5)),
        )
        const options = { ...(REGISTRY[name].paths.at(-1) ?? {}), stateDtype }
        const opt: Optimizer<object> = new OPTIMIZERS[name]([{ params: specs }], options)
        stepWith(opt, specs, 5, 11)
        runs.push(rawOf(opt, specs))
        opt.dispose()
        for (const s of specs) if ('dispose' in s) s.dispose()
      }
      await init({ threads: 1 })
      expectSameRaw('2 threads vs 1', runs[1], runs[0])
      expectSameRaw('3 threads vs 1', runs[2], runs[0])
    },
  )

  it.each(COMPACT.flatMap((n) => DTYPES.map((d) => [n, d] as const)))(
    '%s %s: a resume from stateDict() (through JSON) or stateBytes() is bit-identical',
    (name, stateDtype) => {
      const options = { ...(REGISTRY[name].paths.at(-1) ?? {}), stateDtype }
      const make = () => {
        const specs = [5000, 300].map((n) => param(name, new Float32Array(n).fill(0.25)))
        return { specs, opt: new OPTIMIZERS[name]([{ params: specs }], options) as Optimizer<object> }
      }
      const whole = make()
      stepWith(whole.opt, whole.specs, 8, 5)
      for (const save of ['dict', 'bytes'] as const) {
        const first = make()
        stepWith(first.opt, first.specs, 4, 5)
        const saved = save === 'dict' ? JSON.parse(JSON.stringify(first.opt.stateDict())) : first.opt.stateBytes()
        const second = make()
        second.specs.forEach((s, i) => {
          s.param.set(first.specs[i].param)
        })
        second.opt.loadStateDict(saved)
        for (let t = 4; t < 8; t++) {
          second.specs.forEach((s, i) => {
            s.grad.set(randomData(s.grad.length, 1, 5 + 31 * t + i, 0.05).grads[0])
          })
          second.opt.step()
        }
        expectSameRaw(`resumed through ${save}`, rawOf(second.opt, second.specs), rawOf(whole.opt, whole.specs))
      }
    },
  )

  it('checkpoints store the compact bytes: Adam and AdamW over 1e7 parameters', () => {
    for (const Cls of [Adam, AdamW]) {
      const p = parameter(10_000_000)
      const bytes = Object.fromEntries(
        (['f32', 'bf16', 'q8'] as const).map((stateDtype) => {
          const opt = new Cls([p], { stateDtype })
          const n = opt.stateBytes().length
          opt.dispose()
          return [stateDtype, n / p.length]
        }),
      )
      expect(bytes.q8).toBeLessThanOrEqual(2.1)
      expect(bytes.bf16).toBeLessThanOrEqual(4.1)
      expect(bytes.f32 / bytes.q8).toBeGreaterThanOrEqual(3.5)
      p.dispose()
    }
  })

  it("under 4,096 elements 'q8' keeps float32 state; 'bf16' is compact at any length", () => {
    const small = parameter(4095)
    const large = parameter(4096)
    const dtypes = (stateDtype: 'q8' | 'bf16') =>
      new Adam([small, large], { stateDtype }).stateDict().groups[0].params.map((p) => p.dtype)
    expect(dtypes('q8')).toEqual([undefined, 'q8'])
    expect(dtypes('bf16')).toEqual(['bf16', 'bf16'])
  })

  it('stateDtype is fixed at construction: changing it between steps throws and changes nothing', () => {
    const p = parameter(new Float32Array(5000).fill(1))
    const opt = new Adam([p], { stateDtype: 'q8' })
    p.grad.fill(0.1)
    opt.step()
    const before = opt.stateBytes()
    opt.paramGroups[0].stateDtype = 'f32'
    expect(() => opt.step()).toThrow(/stateDtype is fixed when the optimizer is made \('q8'\), got "f32"/)
    opt.paramGroups[0].stateDtype = 'q8'
    expect(sameBytes(opt.stateBytes(), before)).toBe(true)
    expect(() => new Adam([p], { stateDtype: 'q4' as 'q8' })).toThrow(TypeError)
    opt.dispose()
    p.dispose()
  })

  it('a state loads across dtypes: into f32 exactly, into bf16 or q8 only with { convert: true }', () => {
    const p = parameter(new Float32Array(5000).fill(1))
    const run = (stateDtype: 'f32' | 'bf16' | 'q8') => {
      const opt = new Adam([p], { stateDtype })
      stepWith(opt as Optimizer<object>, [p], 3, 9)
      return opt
    }
    const values = (opt: Adam) => stateValues(opt.slots[0][0])
    const f32opt = run('f32')
    const q8 = run('q8')
    const bf16 = run('bf16')
    // Into f32: the decoded values, exactly.
    const fresh = new Adam([p])
    fresh.loadStateDict(q8.stateDict())
    expect(values(fresh)).toEqual(values(q8))
    fresh.loadStateDict(bf16.stateBytes())
    expect(values(fresh)).toEqual(values(bf16))
    // Into q8 or bf16 from another dtype: refused, nothing changed, unless asked to convert.
    for (const [target, src] of [
      [q8, f32opt],
      [q8, bf16],
      [bf16, f32opt],
      [bf16, q8],
    ] as const) {
      const before = target.stateBytes()
      expect(() => target.loadStateDict(src.stateDict())).toThrow(/converting rounds it .*\{ convert: true \}/)
      expect(sameBytes(target.stateBytes(), before)).toBe(true)
      target.loadStateDict(src.stateDict(), { convert: true })
      const [got, want] = [values(target), values(src)]
      for (const k of ['m', 'v']) {
        const top = want[k].reduce((a, x) => Math.max(a, Math.abs(x)), 0)
        const worst = want[k].reduce((a, x, i) => Math.max(a, Math.abs(x - got[k][i])), 0)
        expect(worst, k).toBeLessThanOrEqual(top / 8)
      }
      expect(target.slots[0][0].t).toBe(3)
    }
    // Decoded and encoded again, a compact state is unchanged: through f32 and back, the same bytes.
    for (const src of [q8, bf16]) {
      const dtype = src === q8 ? 'q8' : 'bf16'
      const back = new Adam([p], { stateDtype: dtype })
      fresh.loadStateDict(src.stateDict())
      back.loadStateDict(fresh.stateDict(), { convert: true })
      expect(sameBytes(back.stateBytes(), src.stateBytes()), dtype).toBe(true)
      back.dispose()
    }
    for (const o of [f32opt, q8, bf16, fresh]) o.dispose()
    p.dispose()
  })

  it("Schedule-Free's eval() and train() read the compact z: the bits of a float32 optimizer holding it", () => {
    for (const stateDtype of DTYPES) {
      const [a, b] = [0, 1].map(() => parameter(new Float32Array(9000).fill(0.5)))
      const compact = new ScheduleFreeAdamW([a], { lr: 0.01, stateDtype })
      stepWith(compact as Optimizer<object>, [a], 4, 41)
      const plain = new ScheduleFreeAdamW([b], { lr: 0.01 })
      plain.loadStateDict(compact.stateDict())
      b.param.set(a.param)
      compact.eval()
      plain.eval()
      expect(firstBitDifference(a.param, b.param)).toBe(-1)
      compact.train()
      plain.train()
      expect(firstBitDifference(a.param, b.param)).toBe(-1)
      for (const o of [compact, plain, a, b]) o.dispose()
    }
  })

  it('stats() reads the decoded moments: the same numbers as a float32 optimizer holding them', () => {
    for (const stateDtype of DTYPES) {
      const p = parameter(new Float32Array(20_000).fill(0.5))
      const opt = new Adam([p], { stateDtype })
      stepWith(opt as Optimizer<object>, [p], 4, 21)
      const plain = new Adam([p])
      plain.loadStateDict(opt.stateDict())
      expect(opt.stats({ sampleEvery: 1 })).toEqual(plain.stats({ sampleEvery: 1 }))
      expect(opt.stats().total.gamma?.mean).toBeGreaterThan(0)
      opt.dispose()
      plain.dispose()
      p.dispose()
    }
  })
})
