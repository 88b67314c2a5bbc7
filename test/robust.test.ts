// Gradient clipping and the non-finite policy: wasm passes, exact, and a step that skips or
// throws changes nothing.
import { describe, expect, it } from 'vitest'
import { Adam, init, MSVAG, parameter, SGD } from '../src/index.js'
import { view } from '../src/runtime.js'
import { CHUNK } from '../src/walk.js'
import { firstBitDifference, randomData } from './helpers.js'

/** Σ g² exactly as the kernel orders it: four f64 sums by index mod 4, paired, then the tail. */
function sumsqChunk(g: Float32Array): number {
  const body = g.length & ~3
  const s = [0, 0, 0, 0]
  for (let i = 0; i < body; i++) s[i & 3] += g[i] * g[i]
  let sum = s[0] + s[1] + (s[2] + s[3])
  for (let i = body; i < g.length; i++) sum += g[i] * g[i]
  return sum
}

/** The optimizer sums each gradient in chunks of CHUNK elements, in order. */
function sumsqReference(g: Float32Array): number {
  let sum = 0
  for (let off = 0; off < g.length; off += CHUNK) sum += sumsqChunk(g.subarray(off, off + CHUNK))
  return sum
}

/** One plain parameter larger than a staging chunk, one parameter() and one of odd length. */
function setup() {
  const a = randomData(20_011, 1, 5)
  const b = randomData(1_003, 1, 6)
  const c = randomData(3, 1, 7)
  const plain = { param: a.theta, grad: a.grads[0] }
  const resident = parameter(b.theta)
  resident.grad.set(b.grads[0])
  const tiny = { param: c.theta, grad: c.grads[0] }
  return { specs: [plain, resident, tiny], grads: () => [plain.grad, resident.grad, tiny.grad] }
}

describe.each([true, false])('clipping (simd: %s)', (simd) => {
  it('clipGradNorm returns the global norm and scales by maxNorm/(norm + 1e-6), bit for bit', async () => {
    await init({ simd })
    const { specs, grads } = setup()
    const before = grads().map((g) => Float32Array.from(g))
    const expectedNorm = Math.sqrt(before.reduce((sum, g) => sum + sumsqReference(g), 0))
    const plainNorm = Math.sqrt(before.flatMap((g) => [...g]).reduce((sum, x) => sum + x * x, 0))
    const opt = new Adam(specs)
    const norm = opt.clipGradNorm(1)
    expect(norm).toBe(expectedNorm)
    expect(Math.abs(norm - plainNorm) / plainNorm).toBeLessThan(1e-12)
    const coef = Math.fround(1 / (expectedNorm + 1e-6))
    grads().forEach((g, i) => {
      expect(
        firstBitDifference(
          g,
          before[i].map((x) => Math.fround(x * coef)),
        ),
      ).toBe(-1)
    })
    // Now below the threshold: nothing changes.
    const clipped = grads().map((g) => Float32Array.from(g))
    expect(opt.clipGradNorm(10)).toBeCloseTo(1, 5)
    grads().forEach((g, i) => {
      expect(firstBitDifference(g, clipped[i])).toBe(-1)
    })
    opt.dispose()
  })

  it('clipGradValue clamps every element and keeps NaN', async () => {
    await init({ simd })
    const { specs, grads } = setup()
    grads()[0][17_000] = NaN
    const before = grads().map((g) => Float32Array.from(g))
    const opt = new SGD(specs)
    opt.clipGradValue(0.5)
    grads().forEach((g, i) => {
      expect(
        firstBitDifference(
          g,
          before[i].map((x) => Math.min(Math.max(x, -0.5), 0.5)),
        ),
      ).toBe(-1)
    })
    expect(grads()[0][17_000]).toBeNaN()
    opt.dispose()
  })
})

describe('clipping: bad input', () => {
  it('rejects a negative or NaN bound and changes nothing', async () => {
    await init()
    const { specs, grads } = setup()
    const before = grads().map((g) => Float32Array.from(g))
    const opt = new Adam(specs)
    expect(() => opt.clipGradNorm(-1)).toThrow(/Adam\.clipGradNorm\(\): maxNorm must be in \[0, ∞\), got -1/)
    expect(() => opt.clipGradValue(NaN)).toThrow(/clipValue must be in \[0, ∞\], got NaN/)
    grads()[1][3] = Infinity
    before[1][3] = Infinity
    expect(opt.clipGradNorm(1)).toBe(Infinity)
    expect(() => opt.clipGradNorm(1, { errorIfNonfinite: true })).toThrow(
      /total gradient norm is Infinity; gradients were not changed/,
    )
    grads().forEach((g, i) => {
      expect(firstBitDifference(g, before[i])).toBe(-1)
    })
  })
})

describe('non-finite gradients', () => {
  function run(nonFinite: 'propagate' | 'skip' | 'throw') {
    const { specs, grads } = setup()
    const opt = new MSVAG(specs, { nonFinite })
    opt.step()
    return { specs, grads, opt }
  }
  const snapshot = (r: ReturnType<typeof run>) => [
    ...r.specs.map((s) => Float32Array.from(s.param)),
    ...r.opt.slots
      .flat()
      .flatMap((s) => [new Float32Array([s.t]), ...Object.values(s.state).map((p) => Float32Array.from(view(p, s.n)))]),
  ]

  it.each([
    ['NaN in a plain array past the first chunk', 0, 12_345, NaN],
    ['+Infinity in a parameter()', 1, 1_000, Infinity],
    ['-Infinity in the SIMD tail', 2, 2, -Infinity],
  ])("'skip' leaves everything as it was and reports it: %s", async (_, which, index, value) => {
    await init()
    const r = run('skip')
    const clean = run('skip')
    const before = snapshot(r)
    r.grads()[which][index] = value
    expect(r.opt.step()).toBe(false)
    expect(r.opt.skippedSteps).toBe(1)
    expect(snapshot(r)).toEqual(before)
    // With the gradient repaired, the run goes on exactly as one that never saw the bad step.
    r.grads()[which][index] = clean.grads()[which][index]
    expect(r.opt.step()).toBe(true)
    clean.opt.step()
    expect(snapshot(r)).toEqual(snapshot(clean))
  })

  it.each([true, false])('the check finds the first non-finite element wherever it is (simd: %s)', async (simd) => {
    await init({ simd })
    for (const n of [1, 15, 16, 17, 63, 64, 65, 131]) {
      for (let at = 0; at < n; at++) {
        for (const value of [NaN, Infinity, -Infinity]) {
          const grad = Float32Array.from({ length: n }, (_, i) => (i % 3) - 1)
          grad[at] = value
          if (at + 2 < n) grad[at + 2] = NaN
          const opt = new SGD([{ param: new Float32Array(n), grad }], { nonFinite: 'throw' })
          expect(() => opt.step()).toThrow(`grad[${at}] is ${value}`)
          opt.dispose()
        }
      }
    }
  })

  it("'throw' names the element and changes nothing", async () => {
    await init()
    const r = run('throw')
    const before = snapshot(r)
    r.grads()[0][20_000] = NaN
    expect(() => r.opt.step()).toThrow(
      /MSVAG\.step\(\): paramGroups\[0\]\.params\[0\]\.grad\[20000\] is NaN; nothing was changed/,
    )
    expect(snapshot(r)).toEqual(before)
  })

  it("'propagate' (the default) lets NaN reach the parameter", async () => {
    await init()
    const r = run('propagate')
    r.grads()[1][5] = NaN
    expect(r.opt.step()).toBe(true)
    expect(r.specs[1].param[5]).toBeNaN()
    expect(r.specs[1].param[4]).not.toBeNaN()
  })

  it('rejects an unknown policy, at construction and at step()', async () => {
    await init()
    const { specs } = setup()
    expect(() => new Adam(specs, { nonFinite: 'ignore' as never })).toThrow(
      /Adam: options: nonFinite must be 'propagate', 'skip' or 'throw', got "ignore"/,
    )
    const opt = new Adam(specs)
    opt.nonFinite = 'never' as never
    expect(() => opt.step()).toThrow(/Adam\.step\(\): nonFinite must be/)
  })
})
