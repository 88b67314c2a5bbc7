// opt.stats() against a float64 computation of the same quantities from the same buffers, on
// random data, for every method it measures, both builds, plain arrays and parameter().
import { beforeAll, describe, expect, it } from 'vitest'
import { ETA2_EDGES, GAMMA_EDGES, init, type Optimizer, type OptimizerName, parameter, rho } from '../src/index.js'
import { view } from '../src/runtime.js'
import { sampleEvery as SAMPLE_DEFAULT } from '../src/stats.js'
import { randomData } from './helpers.js'
import type { Options } from './reference.js'
import { OPTIMIZERS } from './registry.js'

const STEPS = 10

/** erf to 1e-7 (Abramowitz & Stegun 7.1.26), for the float64 reference. */
function erf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x))
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x)
  return Math.sign(x) * y
}

const bin = (x: number, edges: number[]) =>
  Math.min(
    edges.findIndex((e, i) => x >= e && x < edges[i + 1]),
    edges.length - 2,
  )

/**
 * The diagnostics in float64, from θ, g and the state after step t. Norms over every element;
 * the rest over the sample: groups of four elements whose index is a multiple of `every`.
 */
function reference(
  name: string,
  o: Options,
  t: number,
  p: Float32Array,
  g: Float32Array,
  m: Float32Array | undefined,
  v: Float32Array | undefined,
  every: number,
) {
  const out = {
    g2: 0,
    p2: 0,
    u2: 0,
    sampled: 0,
    gamma: 0,
    prob: 0,
    valid: 0,
    signs: 0,
    agree: 0,
    gh: [0, 0, 0, 0, 0],
    eh: [0, 0, 0, 0, 0, 0],
  }
  const adam = name.startsWith('Adam')
  const beta = adam ? o.betas[0] : o.beta
  const ic1 = 1 / (1 - beta ** t)
  const ic2 = adam ? 1 / (1 - o.betas[1] ** t) : ic1
  const r = adam ? 0 : rho(beta, t)
  const k1 = adam ? 1 : 1 / (1 - r)
  for (let i = 0; i < p.length; i++) {
    out.g2 += g[i] ** 2
    out.p2 += p[i] ** 2
    if (!m || Math.floor(i / 4) % every !== 0) continue
    out.sampled++
    if (g[i] !== 0 && m[i] !== 0) {
      out.signs++
      if (Math.sign(g[i]) === Math.sign(m[i])) out.agree++
    }
    const mh = m[i] * ic1
    if (name === 'MSGD') out.u2 += (o.lr * mh) ** 2
    if (name === 'MSSD') out.u2 += m[i] !== 0 ? o.lr ** 2 : 0
    if (!v) continue
    // M-SGD and M-SSD with trackVariance: γ is the factor M-SVAG would apply.
    const vh = v[i] * ic2
    const mh2 = mh * mh
    // Adam: the factor its step lr·m̂/(√v̂ + ε) applies to sign(m̂).
    const ratio = Math.abs(mh) / (Math.sqrt(vh) + o.eps)
    let gamma = adam ? ratio : mh2 / (mh2 + (name === 'SVAG' ? k1 : r * k1) * (vh - mh2))
    const own = name === 'SVAG' || name === 'MSVAG' || adam
    gamma = mh2 > 0 ? Math.min(Math.max(gamma, 0), 1) : 0
    if (adam) out.u2 += (o.lr * ratio) ** 2
    else if (own) out.u2 += (o.lr * gamma * (name === 'SVAG' ? g[i] : mh)) ** 2
    if (!(mh2 > 0)) continue
    const eta2 = (k1 * (vh - mh2)) / mh2
    out.valid++
    out.gamma += gamma
    out.prob += eta2 > 0 ? 0.5 * (1 + erf(1 / Math.sqrt(2 * eta2))) : 1
    out.gh[bin(gamma, GAMMA_EDGES)]++
    out.eh[bin(Math.max(eta2, 0), ETA2_EDGES)]++
  }
  return out
}

beforeAll(async () => {
  await init()
})

/** Runs STEPS steps of `name` on a plain-array parameter and on a parameter() with the same data. */
function train(name: OptimizerName, options: object, N: number) {
  const { theta, grads } = randomData(N, STEPS, 21)
  const plain = { param: Float32Array.from(theta), grad: new Float32Array(N) }
  const resident = parameter(theta)
  const a: Optimizer<object> = new OPTIMIZERS[name]([plain], options)
  const b: Optimizer<object> = new OPTIMIZERS[name]([resident], options)
  for (let t = 0; t < STEPS; t++) {
    plain.grad.set(grads[t])
    resident.grad.set(grads[t])
    a.step()
    b.step()
  }
  const done = () => {
    a.dispose()
    b.dispose()
    resident.dispose()
  }
  return { plain, a, b, done }
}

// First in the file: the accumulators are made by the first stats() call of the process.
describe('stats() costs nothing until asked', () => {
  it('allocates one 160-byte area for the whole library, at the first call; optimizers allocate nothing for it', async () => {
    await init()
    const { memoryStats, MSVAG, Adam } = await import('../src/index.js')
    const used = () => memoryStats().usedBytes
    const w = parameter(100)
    const base = used()
    const a = new MSVAG([w])
    const withA = used()
    a.step()
    expect(used()).toBe(withA)
    a.stats()
    expect(used()).toBe(withA + 160)
    a.stats()
    const b = new Adam([w])
    const withB = used()
    b.step()
    b.stats()
    expect(used()).toBe(withB)
    a.dispose()
    b.dispose()
    expect(used()).toBe(base + 160)
    w.dispose()
  })
})

describe.each([true, false])('opt.stats() against float64 (simd: %s)', (simd) => {
  // sampleEvery 1 measures every element; undefined is the default (one in 32 at these sizes).
  it.each<[OptimizerName, object, number, number | undefined]>([
    ['MSVAG', { lr: 0.01 }, 10_007, 1],
    ['SVAG', { lr: 0.01 }, 10_007, 1],
    ['Adam', { lr: 0.01 }, 10_007, 1],
    ['AdamW', { lr: 0.01 }, 10_007, 1],
    ['MSGD', { lr: 0.01 }, 10_007, 1],
    ['MSSD', { lr: 0.01 }, 10_007, 1],
    ['SGD', { lr: 0.01, momentum: 0.9 }, 10_007, undefined],
    ['MSVAG', { lr: 0.01 }, 100_003, undefined],
    ['Adam', { lr: 0.01 }, 100_003, undefined],
    ['MSSD', { lr: 0.01 }, 100_003, undefined],
    ['MSGD', { lr: 0.01, trackVariance: true }, 10_007, 1],
    ['MSSD', { lr: 0.01, trackVariance: true }, 100_003, 4],
  ])('%s %j, %i elements, sampleEvery %s', async (name, options, N, sampleEvery) => {
    await init({ simd })
    const every = sampleEvery ?? SAMPLE_DEFAULT(N)
    const { plain, a, b, done } = train(name, options, N)
    const o = { ...OPTIMIZERS[name].defaults, ...options } as Options
    const slot = a.slots[0][0]
    const state = (k: string) => (slot.state[k] ? Float32Array.from(view(slot.state[k], N)) : undefined)
    const ref = reference(
      name,
      o,
      STEPS,
      plain.param,
      plain.grad,
      name === 'SGD' ? undefined : state('m'),
      state('v'),
      every,
    )
    const got = a.stats(sampleEvery === undefined ? undefined : { sampleEvery })
    // The parameter() path measures the same thing.
    expect(b.stats({ sampleEvery: every })).toEqual(got)
    const s = got.total
    expect(got.groups[0]).toEqual(s)
    expect(s.elements).toBe(N)
    expect(s.gradNorm / Math.sqrt(ref.g2)).toBeCloseTo(1, 5)
    expect(s.paramNorm / Math.sqrt(ref.p2)).toBeCloseTo(1, 5)
    if (name === 'SGD') {
      expect([s.updateNorm, s.signAgreement, s.gamma, s.eta2, s.signProbability]).toEqual([
        null,
        null,
        null,
        null,
        null,
      ])
      return done()
    }
    expect(s.sampled).toBe(ref.sampled)
    expect(s.sampled).toBe(
      4 * Math.ceil(N / 4 / every) - (N % 4 && (Math.ceil(N / 4) - 1) % every === 0 ? 4 - (N % 4) : 0),
    )
    expect(s.updateNorm! / Math.sqrt((ref.u2 * N) / ref.sampled)).toBeCloseTo(1, 4)
    expect(s.signAgreement).toBe(ref.agree / ref.signs)
    if ((name === 'MSGD' || name === 'MSSD') && !o.trackVariance) {
      expect(s.gamma).toBeNull()
      return done()
    }
    expect(Math.abs(s.gamma!.mean - ref.gamma / ref.valid)).toBeLessThan(1e-4)
    expect(Math.abs(s.signProbability! - ref.prob / ref.valid)).toBeLessThan(1e-3)
    expect(s.gamma!.histogram.reduce((x, y) => x + y)).toBeCloseTo(1, 12)
    expect(s.eta2!.histogram.reduce((x, y) => x + y)).toBeCloseTo(1, 12)
    // Bins may differ by an element or two within float32 rounding of an edge.
    const slack = 2 / ref.valid + 1e-12
    s.gamma!.histogram.forEach((c, i) => {
      expect(Math.abs(c - ref.gh[i] / ref.valid)).toBeLessThanOrEqual(slack)
    })
    s.eta2!.histogram.forEach((c, i) => {
      expect(Math.abs(c - ref.eh[i] / ref.valid)).toBeLessThanOrEqual(slack)
    })
    // Not trivial: the histograms spread over several bins.
    expect(s.gamma!.histogram.filter((c) => c > 0).length).toBeGreaterThan(1)
    expect(s.eta2!.histogram.filter((c) => c > 0).length).toBeGreaterThan(1)
    done()
  })
})

describe('the two builds', () => {
  // Same elements, same f32 operations per element: every count is equal; sums differ only in
  // the order they are added (four lanes, or one after another).
  it.each([
    ['MSVAG', 1],
    ['Adam', 1],
    ['SVAG', 8],
    ['MSSD', 1],
    ['MSGD', 32],
  ] as const)('%s, sampleEvery %i: equal counts, sums to rounding', async (name, every) => {
    const N = 20_003
    const options = name === 'MSSD' || name === 'MSGD' ? { lr: 0.01, trackVariance: true } : { lr: 0.01 }
    const run = async (simd: boolean) => {
      await init({ simd })
      const { b, done } = train(name, options, N)
      const s = b.stats({ sampleEvery: every }).total
      done()
      return s
    }
    const [x, y] = [await run(true), await run(false)]
    expect(y.sampled).toBe(x.sampled)
    expect(y.signAgreement).toBe(x.signAgreement)
    expect(y.gamma!.histogram).toEqual(x.gamma!.histogram)
    expect(y.eta2!.histogram).toEqual(x.eta2!.histogram)
    for (const k of ['gradNorm', 'paramNorm', 'updateNorm', 'signProbability'] as const)
      expect(y[k]! / x[k]!).toBeCloseTo(1, 4)
    expect(y.gamma!.mean / x.gamma!.mean).toBeCloseTo(1, 4)
  })
})

describe('the sample', () => {
  it('is one element in 32 below 2^19 elements, then keeps about 8192, at most every 1024th group', () => {
    expect([1, 1000, 100_003, 2 ** 18, 2 ** 19, 1e6, 2 ** 22, 1e8].map(SAMPLE_DEFAULT)).toEqual([
      32, 32, 32, 32, 64, 64, 512, 1024,
    ])
  })

  it("is chosen per group, from its element count, and starts at every parameter's first element", async () => {
    await init()
    const big = parameter(2 ** 20)
    const small = Array.from({ length: 3 }, () => parameter(10))
    for (const w of [big, ...small]) {
      w.param.fill(1)
      w.grad.fill(1)
    }
    const opt = new OPTIMIZERS.MSVAG([{ params: [big] }, { params: small }], { lr: 0.1 })
    opt.step()
    const s = opt.stats()
    // 2^20 elements: every 128th group, 8192 elements; three of 10: the first four of each.
    expect(s.groups[0].sampled).toBe(8192)
    expect(s.groups[1].sampled).toBe(3 * 4)
    expect(s.total.sampled).toBe(8192 + 12)
    expect(s.total.elements).toBe(2 ** 20 + 30)
    expect(s.total.gamma!.mean).toBe(1)
    expect(opt.stats({ sampleEvery: 1 }).total.sampled).toBe(2 ** 20 + 30)
    opt.dispose()
    for (const w of [big, ...small]) w.dispose()
  })

  it('rejects a sampleEvery that is not a power of two in [1, 1024], and unknown options', async () => {
    await init()
    const w = parameter(16)
    const opt = new OPTIMIZERS.Adam([w])
    opt.step()
    for (const bad of [0, 3, 2048, 1.5, -4, NaN]) {
      expect(() => opt.stats({ sampleEvery: bad })).toThrow(
        new RangeError(`Adam.stats(): sampleEvery must be a power of two in [1, 1024], got ${bad}`),
      )
    }
    expect(() => opt.stats({ sampleEvery: '8' as never })).toThrow(TypeError)
    expect(() => opt.stats({ every: 8 } as never)).toThrow(/Adam.stats\(\): options has an unknown option 'every'/)
    expect(() => opt.stats(null as never)).toThrow(TypeError)
    opt.dispose()
    w.dispose()
  })
})
