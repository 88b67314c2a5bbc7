// Muon on real matrices (the element-wise suites run it as 1 × n through test/registry.ts): the
// matrix multiply on its own (SIMD = scalar = a Math.fround reference, tails and blocks
// included); Muon's step, SIMD = scalar = test/reference.ts's Muon bit for bit on wide, tall and
// square shapes; within float32 rounding of torch.optim.Muon's rule in float64 over 20 steps
// (test/golden/muon.json, written by scripts/golden/muon.py); the same bits on 1, 2 and 3 threads
// and for plain arrays; and bad input.
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AdamW, init, Muon, memoryStats, parameter, shutdown } from '../src/index.js'
import { runtime, view } from '../src/runtime.js'
import { firstBitDifference, rng } from './helpers.js'
import { f32, initState, referenceStep } from './reference.js'

const random = (n: number, u = rng(n + 1)) => Float32Array.from({ length: n }, () => 2 * u() - 1)

/** C = A·B in float32, each element summed from 0 in k order: what the kernels must give. */
function product(A: Float32Array, B: Float32Array, m: number, k: number, n: number): Float32Array {
  const C = new Float32Array(m * n)
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0
      for (let t = 0; t < k; t++) s = f32(s + f32(A[i * k + t] * B[t * n + j]))
      C[i * n + j] = s
    }
  }
  return C
}

beforeAll(async () => {
  await init()
})
afterAll(() => {
  shutdown()
})

describe('the matrix multiply', () => {
  // Tails of rows (m mod 4) and columns (n mod 8), k across blocks of 256, rows across blocks of 64.
  const SHAPES = [
    [1, 1, 1],
    [3, 5, 7],
    [4, 8, 8],
    [7, 9, 13],
    [17, 300, 33],
    [64, 64, 64],
    [5, 600, 9],
    [70, 10, 70],
  ]

  it.each(SHAPES)('%i × %i · %i × …: SIMD = scalar = reference, and X·Xᵀ computed as symmetric', async (m, k, n) => {
    const A = random(m * k)
    const B = random(k * n, rng(7))
    const want = product(A, B, m, k, n)
    const AT = new Float32Array(k * m)
    for (let i = 0; i < m; i++) for (let t = 0; t < k; t++) AT[t * m + i] = A[i * k + t]
    const gram = product(A, AT, m, k, m)
    for (const simd of [true, false]) {
      await init({ simd })
      const r = runtime()
      const [a, b, bp, c, s] = [m * k, k * n, k * n, m * n, m * m].map((x) => r.arena.alloc(4 * x))
      view(a, m * k).set(A)
      view(b, k * n).set(B)
      r.kernels.pack(b, bp, k, n)
      r.kernels.matmul(a, bp, c, m, k, n)
      expect(firstBitDifference(view(c, m * n), want), `${simd ? 'SIMD' : 'scalar'} A·B`).toBe(-1)
      r.kernels.packT(a, bp, m, k)
      r.kernels.matmulSym(a, bp, s, m, k, 0, m)
      r.kernels.mirror(s, m, 0, m)
      expect(firstBitDifference(view(s, m * m), gram), `${simd ? 'SIMD' : 'scalar'} A·Aᵀ`).toBe(-1)
      for (const x of [a, b, bp, c, s]) r.arena.free(x)
    }
    await init({ simd: true })
  })
})

/** Muon over one parameter of this shape, `steps` steps of random data: θ and B afterwards. */
function runMuon(shape: number[], options: object, steps: number, plain = false) {
  const n = shape.reduce((a, b) => a * b)
  const theta = random(n)
  const grads = Array.from({ length: steps }, (_, t) => random(n, rng(100 + t)))
  const spec = plain
    ? { param: Float32Array.from(theta), grad: new Float32Array(n), shape }
    : parameter(theta, { shape })
  const opt = new Muon([spec], options)
  for (const g of grads) {
    spec.grad.set(g)
    opt.step()
  }
  const s = opt.slots[0][0]
  const out = { theta: Float32Array.from(spec.param), b: Float32Array.from(view(s.state.b, n)) }
  opt.dispose()
  if ('dispose' in spec) spec.dispose()
  return { ...out, start: theta, grads }
}

describe('Muon: kernels = reference, bit for bit', () => {
  const SHAPES: [number[], number][] = [
    [[1, 1], 20],
    [[1, 9], 20],
    [[9, 1], 20],
    [[7, 5], 20],
    [[5, 7], 20],
    [[3, 4, 5], 10],
    [[64, 64], 4],
    [[100, 300], 2],
    [[300, 100], 2],
  ]
  const OPTIONS = [
    { lr: 0.02 },
    { lr: 0.02, nesterov: false, weightDecay: 0 },
    { lr: 0.02, adjustLr: 'matchRmsAdamw', nsSteps: 3 },
  ]

  it.each(SHAPES.flatMap(([shape, steps]) => OPTIONS.map((o): [number[], number, object] => [shape, steps, o])))(
    '%j, %i steps, %j',
    async (shape, steps, options) => {
      const got = []
      for (const simd of [true, false]) {
        await init({ simd })
        got.push(runMuon(shape, options, steps))
      }
      await init({ simd: true })
      const { start, grads } = got[0]
      const o = { ...Muon.defaults, ...options }
      const p = Float32Array.from(start)
      const s = initState('Muon', o, p.length, (k) => new Float32Array(k))
      grads.forEach((g, t) => {
        referenceStep('Muon', o, p, g, s, t + 1, f32, shape)
      })
      for (const [i, run] of got.entries()) {
        const what = i === 0 ? 'SIMD' : 'scalar'
        expect(firstBitDifference(run.theta, p), `${what} θ`).toBe(-1)
        expect(firstBitDifference(run.b, s.b as Float32Array), `${what} B`).toBe(-1)
      }
      expect(got[0].theta.some((x, i) => x !== start[i])).toBe(true)
    },
  )

  it('plain Float32Arrays give the bits of parameter() buffers', () => {
    for (const shape of [
      [12, 40],
      [40, 12],
    ]) {
      const resident = runMuon(shape, { lr: 0.02 }, 5)
      const plain = runMuon(shape, { lr: 0.02 }, 5, true)
      expect(firstBitDifference(plain.theta, resident.theta)).toBe(-1)
      expect(firstBitDifference(plain.b, resident.b)).toBe(-1)
    }
  })
  it("a whole model in one Muon: a group in mode 'adamw' gives AdamW's bits for every shape, plain arrays included", () => {
    const u = rng(11)
    const values = (n: number) => Float32Array.from({ length: n }, () => u() - 0.5)
    const init = { w: values(12 * 20), b: values(20), gain: values(6), conv: values(4 * 3 * 9) }
    const p = (x: Float32Array, shape?: number[]) => parameter(x, { shape })
    const [w, b, gain] = [p(init.w, [12, 20]), p(init.b), p(init.gain)]
    const plain = { param: Float32Array.from(init.conv), grad: new Float32Array(init.conv.length), shape: [4, 3, 3, 3] }
    const adamw = { lr: 3e-3, weightDecay: 0.02 }
    const one = new Muon(
      [{ params: [w] }, { params: [b, gain, plain], mode: 'adamw', ...adamw, adamwBetas: [0.9, 0.95] }],
      {
        lr: 0.02,
      },
    )
    const [w2, b2, gain2] = [p(init.w, [12, 20]), p(init.b), p(init.gain)]
    const plain2 = { param: Float32Array.from(init.conv), grad: new Float32Array(init.conv.length) }
    const muon = new Muon([w2], { lr: 0.02 })
    const other = new AdamW([b2, gain2, plain2], { ...adamw, betas: [0.9, 0.95] })
    for (let t = 0; t < 12; t++) {
      for (const [x, y] of [
        [w, w2],
        [b, b2],
        [gain, gain2],
      ] as const)
        y.grad.set(x.grad.set(values(x.length)) ?? x.grad)
      plain2.grad.set(plain.grad.set(values(plain.grad.length)) ?? plain.grad)
      one.step()
      muon.step()
      other.step()
    }
    for (const [x, y] of [
      [w.param, w2.param],
      [b.param, b2.param],
      [gain.param, gain2.param],
      [plain.param, plain2.param],
    ])
      expect(firstBitDifference(x, y)).toBe(-1)
    expect(Object.keys(one.slots[1][0].state)).toEqual(['m', 'v'])
    for (const o of [one, muon, other]) o.dispose()
    for (const x of [w, b, gain, w2, b2, gain2]) x.dispose()
  })
})

describe('Muon: torch.optim.Muon in float64 (test/golden/muon.json)', () => {
  const golden = JSON.parse(readFileSync('test/golden/muon.json', 'utf8')) as {
    steps: number
    cases: { shape: number[]; options: object; seed: number; theta: number[]; final: number[]; path: number[] }[]
  }
  // Newton–Schulz amplifies rounding (five quintic steps, each three matrix products whose sums
  // grow with the matrix), yet float32 stays well within 1e-5 of |θ| + the path length: worst
  // measured 9.2e-7 (12 × 40, both builds). The bound is the float64 suite's.
  const TOL = 1e-5

  it.each(
    golden.cases.map((c): [string, (typeof golden.cases)[number]] => [
      `${JSON.stringify(c.shape)} ${JSON.stringify(c.options)}`,
      c,
    ]),
  )('%s', async (_, c) => {
    const n = c.theta.length
    const u = rng(c.seed)
    const theta = Float32Array.from({ length: n }, () => 2 * u() - 1)
    const grads = Array.from({ length: golden.steps }, () => Float32Array.from({ length: n }, () => 2 * u() - 1))
    expect([...theta]).toEqual(c.theta)
    for (const simd of [true, false]) {
      await init({ simd })
      const w = parameter(theta, { shape: c.shape })
      const opt = new Muon([w], c.options)
      for (const g of grads) {
        w.grad.set(g)
        opt.step()
      }
      let worst = 0
      for (let i = 0; i < n; i++)
        worst = Math.max(worst, Math.abs(w.param[i] - c.final[i]) / (Math.abs(c.final[i]) + c.path[i]))
      expect(worst, `${simd ? 'SIMD' : 'scalar'}: worst relative difference`).toBeLessThanOrEqual(TOL)
      expect(Math.max(...c.path)).toBeGreaterThan(0.1)
      opt.dispose()
      w.dispose()
    }
    await init({ simd: true })
  })
})

describe('Muon on helper threads', () => {
  it.each([[[256, 512]], [[512, 256]], [[300, 100]], [[64, 64]]])(
    '%j: the same bits on 1, 2 and 3 threads',
    async (shape) => {
      const runs = []
      for (const threads of [1, 2, 3]) {
        await init({ threads })
        runs.push(runMuon(shape, { lr: 0.02 }, 2))
      }
      await init({ threads: 1 })
      for (const i of [1, 2]) {
        expect(firstBitDifference(runs[i].theta, runs[0].theta), `${i + 1} threads θ`).toBe(-1)
        expect(firstBitDifference(runs[i].b, runs[0].b), `${i + 1} threads B`).toBe(-1)
      }
    },
  )
})

describe('Muon: bad input', () => {
  const matrix = () => ({ param: new Float32Array(6), grad: new Float32Array(6), shape: [2, 3] })

  it('refuses a parameter without a 2-D shape, pointing to AdamW, and allocates nothing', () => {
    const before = memoryStats()
    expect(() => new Muon([matrix(), { param: new Float32Array(3), grad: new Float32Array(3), name: 'bias' }])).toThrow(
      /Muon: paramGroups\[0\]\.params\[1\] \('bias'\) has no shape: give \{ param, grad, shape \}.*AdamW, in a group with mode: 'adamw' or in a second optimizer/,
    )
    expect(() => new Muon([{ param: new Float32Array(3), grad: new Float32Array(3), shape: [3] }])).toThrow(
      /Muon: paramGroups\[0\]\.params\[0\] has shape \[3\]\. Muon updates weight matrices only/,
    )
    expect(memoryStats()).toEqual(before)
    // The pattern the message suggests: the matrices to Muon, the rest to AdamW.
    const w = parameter(6, { shape: [2, 3] })
    const b = parameter(3)
    const muon = new Muon([w])
    const adamw = new AdamW([b])
    muon.dispose()
    adamw.dispose()
    w.dispose()
    b.dispose()
  })

  it.each([
    [[2, 2], /shape \[2, 2\] holds 4 elements, the parameter 6/],
    [[2, -3], /shape\[1\] must be an integer ≥ 0, got -3/],
    [[2, 1.5], /shape\[1\] must be an integer ≥ 0, got 1\.5/],
    ['2x3', /shape must be an array of integers ≥ 0, got "2x3"/],
  ])('a bad shape %j is a clear error, for parameter() and for { param, grad, shape }', (shape, message) => {
    expect(() => parameter(6, { shape: shape as never })).toThrow(message)
    expect(() => new Muon([{ ...matrix(), shape: shape as never }])).toThrow(message)
  })

  it.each([
    ['nsSteps', 0, /nsSteps must be in \[1, 1000\], got 0/],
    ['nsSteps', 1.5, /nsSteps must be an integer in \[1, 1000\], got 1\.5/],
    ['nsCoefficients', [1, 2], /nsCoefficients must be an array of 3 finite numbers, got \[1,2\]/],
    ['adjustLr', 'rms', /adjustLr must be 'original' or 'matchRmsAdamw', got "rms"/],
    ['momentum', 1, /momentum must be in \[0, 1\), got 1/],
  ])('%s: %j is a clear error at construction and at step(), changing nothing', (key, value, message) => {
    expect(() => new Muon([matrix()], { [key]: value })).toThrow(message)
    const spec = matrix()
    spec.param.set([1, 2, 3, 4, 5, 6])
    spec.grad.fill(0.5)
    const opt = new Muon([spec])
    ;(opt.paramGroups[0] as unknown as Record<string, unknown>)[key] = value
    expect(() => opt.step()).toThrow(message)
    expect([...spec.param]).toEqual([1, 2, 3, 4, 5, 6])
    expect(opt.slots[0][0].t).toBe(0)
    opt.dispose()
  })

  it('stats() reports the norms, and a checkpoint resumes to the bit', () => {
    const theta = random(6 * 10)
    const grads = [0, 1, 2, 3].map((t) => random(60, rng(40 + t)))
    const make = () => parameter(theta, { shape: [6, 10], name: 'w' })
    const a = make()
    const straight = new Muon([a], { lr: 0.02 })
    for (const g of grads) {
      a.grad.set(g)
      straight.step()
    }
    const b = make()
    const first = new Muon([b], { lr: 0.02 })
    for (const g of grads.slice(0, 2)) {
      b.grad.set(g)
      first.step()
    }
    const s = first.stats()
    expect(s.total.gradNorm).toBeCloseTo(Math.hypot(...grads[1]), 4)
    expect(s.total.updateNorm).toBeNull()
    const saved = first.stateBytes()
    const resumed = new Muon([b], { lr: 0.02 })
    resumed.loadStateDict(saved)
    for (const g of grads.slice(2)) {
      b.grad.set(g)
      resumed.step()
    }
    expect(firstBitDifference(b.param, a.param)).toBe(-1)
    for (const o of [straight, first, resumed]) o.dispose()
    a.dispose()
    b.dispose()
  })
})
