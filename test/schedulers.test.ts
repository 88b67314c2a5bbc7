// Learning-rate schedules with PyTorch's semantics: the numbers of PyTorch's documented examples
// and of the closed forms, per group, and resumption from a checkpoint to the bit.
import { beforeAll, describe, expect, it } from 'vitest'
import {
  Adam,
  CosineAnnealingLR,
  CosineAnnealingWarmRestarts,
  ExponentialLR,
  init,
  LinearLR,
  type LRScheduler,
  MultiStepLR,
  OneCycleLR,
  ReduceLROnPlateau,
  SGD,
  StepLR,
} from '../src/index.js'
import { randomData } from './helpers.js'

const spec = () => ({ param: new Float32Array(4), grad: new Float32Array(4) })
/** An SGD with two groups (lr 0.05 and 0.1) and the lrs a scheduler gives it over `epochs` steps. */
function lrs(make: (opt: SGD) => LRScheduler, epochs: number, lr = 0.05): number[][] {
  const opt = new SGD([
    { params: [spec()], lr },
    { params: [spec()], lr: 2 * lr },
  ])
  const s = make(opt)
  const out = [opt.paramGroups.map((g) => g.lr)]
  for (let e = 1; e < epochs; e++) {
    opt.step()
    s.step()
    out.push(opt.paramGroups.map((g) => g.lr))
  }
  opt.dispose()
  return out
}
const close = (a: number[], b: number[]) =>
  a.forEach((x, i) => {
    expect(x).toBeCloseTo(b[i], 12)
  })

beforeAll(async () => {
  await init()
})

describe('schedules', () => {
  it('StepLR (PyTorch example: lr 0.05, stepSize 30, γ 0.1)', () => {
    const r = lrs((o) => new StepLR(o, { stepSize: 30, gamma: 0.1 }), 91)
    close(r[0], [0.05, 0.1])
    close(r[29], [0.05, 0.1])
    close(r[30], [0.005, 0.01])
    close(r[60], [0.0005, 0.001])
    close(r[90], [0.00005, 0.0001])
  })

  it('MultiStepLR (PyTorch example: milestones [30, 80])', () => {
    const r = lrs((o) => new MultiStepLR(o, { milestones: [30, 80] }), 100)
    close(r[29], [0.05, 0.1])
    close(r[30], [0.005, 0.01])
    close(r[79], [0.005, 0.01])
    close(r[80], [0.0005, 0.001])
  })

  it('ExponentialLR', () => {
    const r = lrs((o) => new ExponentialLR(o, { gamma: 0.9 }), 11)
    close(r[10], [0.05 * 0.9 ** 10, 0.1 * 0.9 ** 10])
  })

  it('CosineAnnealingLR', () => {
    const r = lrs((o) => new CosineAnnealingLR(o, { tMax: 10, etaMin: 0.001 }), 11)
    close(r[0], [0.05, 0.1])
    close(r[5], [0.001 + 0.049 / 2, 0.001 + 0.099 / 2])
    close(r[10], [0.001, 0.001])
  })

  it('CosineAnnealingWarmRestarts restarts after t0, then t0·tMult, …', () => {
    const r = lrs((o) => new CosineAnnealingWarmRestarts(o, { t0: 10, tMult: 2 }), 71)
    for (const e of [0, 10, 30, 70]) close(r[e], [0.05, 0.1])
    close(r[5], [0.025, 0.05])
    close(r[20], [0.025, 0.05])
    close(r[50], [0.025, 0.05])
    expect(r[29][0]).toBeLessThan(0.001)
  })

  it('LinearLR warm-up (PyTorch example: startFactor 0.5, totalIters 4)', () => {
    const r = lrs((o) => new LinearLR(o, { startFactor: 0.5, totalIters: 4 }), 7)
    close(
      r.map((x) => x[0]),
      [0.025, 0.03125, 0.0375, 0.04375, 0.05, 0.05, 0.05],
    )
  })

  it('OneCycleLR: up from maxLr/25 to maxLr over 30%, down to maxLr/25/1e4, then refuses to go on', () => {
    const opt = new SGD([spec()], { lr: 0.01 })
    const s = new OneCycleLR(opt, { maxLr: 1, totalSteps: 100 })
    const r = [opt.paramGroups[0].lr]
    for (let e = 1; e < 100; e++) {
      s.step()
      r.push(opt.paramGroups[0].lr)
    }
    expect(r[0]).toBeCloseTo(0.04, 12)
    expect(r[29]).toBeCloseTo(1, 12)
    expect(Math.max(...r)).toBe(r[29])
    expect(r[99]).toBeCloseTo(0.04 / 1e4, 12)
    expect(() => s.step()).toThrow(/OneCycleLR: stepped 100 times, but totalSteps is 100/)
  })

  it('ReduceLROnPlateau: factor after patience bad epochs, then cooldown, never below minLr', () => {
    const opt = new SGD([spec()], { lr: 1 })
    const s = new ReduceLROnPlateau(opt, { patience: 2, factor: 0.5, cooldown: 1, minLr: 0.2 })
    const seen: number[] = []
    for (const metric of [10, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9]) {
      s.step(metric)
      seen.push(opt.paramGroups[0].lr)
    }
    // Bad epochs 3 > patience at epochs 5, 9 and 13; a cooldown epoch after each cut; 0.125 is below minLr.
    expect(seen).toEqual([1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.2])
    expect(() => s.step(NaN)).toThrow(/metric must be a number, got NaN/)
  })

  it.each([
    ['StepLR stepSize 0', (o: SGD) => new StepLR(o, { stepSize: 0 }), /StepLR: stepSize must be an integer ≥ 1, got 0/],
    [
      'ExponentialLR γ -1',
      (o: SGD) => new ExponentialLR(o, { gamma: -1 }),
      /ExponentialLR: gamma must be in \[0, ∞\), got -1/,
    ],
    [
      'MultiStepLR unsorted',
      (o: SGD) => new MultiStepLR(o, { milestones: [5, 3] }),
      /milestones must be increasing integers ≥ 1, got \[5,3\]/,
    ],
    [
      'OneCycleLR pctStart 1',
      (o: SGD) => new OneCycleLR(o, { maxLr: 1, totalSteps: 10, pctStart: 1 }),
      /pctStart must be in \[0, 1\), got 1/,
    ],
    ['LinearLR startFactor 0', (o: SGD) => new LinearLR(o, { startFactor: 0 }), /startFactor must be > 0/],
    [
      'ReduceLROnPlateau factor 1',
      (o: SGD) => new ReduceLROnPlateau(o, { factor: 1 }),
      /factor must be in \[0, 1\), got 1/,
    ],
    [
      'not an optimizer',
      () => new StepLR({} as SGD, { stepSize: 1 }),
      /StepLR: the first argument must be an optimizer/,
    ],
    [
      'StepLR without options',
      (o: SGD) => new StepLR(o, undefined as never),
      /^StepLR needs \{ stepSize \}, got undefined$/,
    ],
    [
      'StepLR without stepSize',
      (o: SGD) => new StepLR(o, {} as never),
      /^StepLR needs \{ stepSize \}; stepSize is missing$/,
    ],
    [
      'OneCycleLR without options',
      (o: SGD) => new OneCycleLR(o, undefined as never),
      /^OneCycleLR needs \{ maxLr, totalSteps \}/,
    ],
    [
      'a misspelled option',
      (o: SGD) => new CosineAnnealingLR(o, { tMax: 5, etamin: 0 } as never),
      /CosineAnnealingLR: unknown option 'etamin'; the options are tMax, etaMin/,
    ],
  ])('rejects %s and leaves the lr alone', (_, make, message) => {
    const opt = new SGD([spec()], { lr: 0.3 })
    expect(() => make(opt)).toThrow(message)
    expect(opt.paramGroups[0].lr).toBe(0.3)
  })
})

describe('a scheduled run resumes from a checkpoint to the bit', () => {
  const data = randomData(1000, 60, 9)
  function train(from: number, to: number, opt: Adam, s: CosineAnnealingWarmRestarts, p: { grad: Float32Array }) {
    for (let t = from; t < to; t++) {
      p.grad.set(data.grads[t])
      opt.step()
      s.step()
    }
  }
  it('Adam + CosineAnnealingWarmRestarts, 60 steps = 30, save, load, 30', () => {
    const a = { param: Float32Array.from(data.theta), grad: new Float32Array(1000) }
    const optA = new Adam([a], { lr: 0.01 })
    const sA = new CosineAnnealingWarmRestarts(optA, { t0: 7, tMult: 2, etaMin: 1e-4 })
    train(0, 60, optA, sA, a)

    const b = { param: Float32Array.from(data.theta), grad: new Float32Array(1000) }
    const optB = new Adam([b], { lr: 0.01 })
    const sB = new CosineAnnealingWarmRestarts(optB, { t0: 7, tMult: 2, etaMin: 1e-4 })
    train(0, 30, optB, sB, b)
    const checkpoint = JSON.parse(
      JSON.stringify({ param: Array.from(b.param), opt: optB.stateDict(), sched: sB.stateDict() }),
    )

    const c = { param: Float32Array.from(checkpoint.param), grad: new Float32Array(1000) }
    const optC = new Adam([c], { lr: 0.5 })
    const sC = new CosineAnnealingWarmRestarts(optC, { t0: 7, tMult: 2, etaMin: 1e-4 })
    optC.loadStateDict(checkpoint.opt)
    sC.loadStateDict(checkpoint.sched)
    expect(optC.paramGroups[0].lr).toBe(optB.paramGroups[0].lr)
    train(30, 60, optC, sC, c)
    expect(c.param).toEqual(a.param)
    expect(optC.paramGroups[0].lr).toBe(optA.paramGroups[0].lr)
  })

  it('a scheduler state of another kind or size is refused', () => {
    const opt = new SGD([spec()])
    const s = new StepLR(opt, { stepSize: 3 })
    expect(() => s.loadStateDict(new ExponentialLR(opt, { gamma: 0.5 }).stateDict())).toThrow(
      /the state is for "ExponentialLR", this scheduler is StepLR/,
    )
    const two = new SGD([{ params: [spec()] }, { params: [spec()] }])
    expect(() => s.loadStateDict(new StepLR(two, { stepSize: 3 }).stateDict())).toThrow(
      /baseLrs must hold 1 finite numbers/,
    )
    const p = new ReduceLROnPlateau(opt)
    p.loadStateDict(JSON.parse(JSON.stringify(p.stateDict())))
    expect(p.best).toBe(Infinity)
  })
})
