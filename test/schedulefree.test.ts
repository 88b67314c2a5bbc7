// Schedule-Free AdamW's train/eval switch and its per-group state: the switch is the reference's
// lerp to the bit in both builds, for plain arrays and parameter()s; step() in eval mode is
// refused without changing anything; checkpoints carry the step count, the weight sum and the mode.
import { beforeAll, describe, expect, it } from 'vitest'
import { init, parameter, ScheduleFreeAdamW } from '../src/index.js'
import { view } from '../src/runtime.js'
import { firstBitDifference, randomData } from './helpers.js'
import { lerpReference } from './reference.js'

const N = 10_007 // more than one staging chunk
const data = randomData(N, 30, 5)

function trained(resident: boolean, steps = 20) {
  const spec = resident ? parameter(data.theta) : { param: Float32Array.from(data.theta), grad: new Float32Array(N) }
  const opt = new ScheduleFreeAdamW([spec], { lr: 0.01, warmupSteps: 5 })
  for (let t = 0; t < steps; t++) {
    spec.grad.set(data.grads[t])
    opt.step()
  }
  return { spec, opt, z: () => Float32Array.from(view(opt.slots[0][0].state.z, N)) }
}

describe.each([true, false])('ScheduleFreeAdamW (simd: %s)', (simd) => {
  beforeAll(async () => {
    await init({ simd })
  })

  it.each([false, true])('eval() and train() are the reference lerp, bit for bit (parameter(): %s)', (resident) => {
    const { spec, opt, z } = trained(resident)
    const y = Float32Array.from(spec.param)
    const x = Float32Array.from(y)
    lerpReference(x, z(), 1 - 1 / 0.9, Math.fround)
    opt.eval()
    expect(opt.training).toEqual([false])
    expect(firstBitDifference(spec.param, x)).toBe(-1)
    opt.eval() // already there: nothing happens
    expect(firstBitDifference(spec.param, x)).toBe(-1)
    const back = Float32Array.from(x)
    lerpReference(back, z(), 1 - 0.9, Math.fround)
    opt.train()
    expect(firstBitDifference(spec.param, back)).toBe(-1)
    // x sits between z and y: |x − y| ≥ 0 and y = (1 − β1)z + β1x up to rounding.
    expect(Math.max(...back.map((v, i) => Math.abs(v - y[i]) / (Math.abs(y[i]) + 1e-3)))).toBeLessThan(1e-4)
    opt.dispose()
  })

  it('step() in eval mode is refused and changes nothing', () => {
    const { spec, opt, z } = trained(false)
    opt.eval()
    const before = [Float32Array.from(spec.param), z()]
    expect(() => opt.step()).toThrow(
      /ScheduleFreeAdamW\.step\(\): paramGroups\[0\] is in eval mode .*call opt\.train\(\) before stepping/,
    )
    expect([Float32Array.from(spec.param), z()]).toEqual(before)
    expect(opt.slots[0][0].t).toBe(20)
    opt.dispose()
  })

  it('a parameter that has not stepped is left alone by eval()', () => {
    const spec = { param: new Float32Array([1, 2, 3]), grad: new Float32Array(3) }
    const opt = new ScheduleFreeAdamW([spec])
    opt.eval()
    expect([...spec.param]).toEqual([1, 2, 3])
    expect(() => opt.step()).toThrow(/eval mode/)
    opt.train()
    opt.dispose()
  })

  it('a checkpoint carries the step count, the weight sum and the mode', () => {
    const a = trained(false, 30)
    const b = trained(false, 15)
    b.opt.eval()
    const saved = JSON.parse(JSON.stringify(b.opt.stateDict()))
    expect(saved.groups[0].state).toMatchObject({ step: 15, train: false })
    const x = Float32Array.from(b.spec.param)
    const c = { param: x, grad: new Float32Array(N) }
    const opt = new ScheduleFreeAdamW([c], { lr: 0.01, warmupSteps: 5 })
    opt.loadStateDict(saved)
    expect(opt.training).toEqual([false])
    opt.train()
    for (let t = 15; t < 30; t++) {
      c.grad.set(data.grads[t])
      opt.step()
    }
    // The eval/train round trip rounds twice: within float32 rounding of the uninterrupted run.
    expect(
      Math.max(...c.param.map((v, i) => Math.abs(v - a.spec.param[i]) / (Math.abs(a.spec.param[i]) + 1e-2))),
    ).toBeLessThan(1e-5)
    for (const o of [a.opt, b.opt, opt]) o.dispose()
  })

  it('a checkpoint in training mode resumes bit for bit', () => {
    const a = trained(false, 30)
    const b = trained(false, 15)
    const c = { param: Float32Array.from(b.spec.param), grad: new Float32Array(N) }
    const opt = new ScheduleFreeAdamW([c], { lr: 0.01, warmupSteps: 5 })
    opt.loadStateDict(b.opt.stateBytes())
    for (let t = 15; t < 30; t++) {
      c.grad.set(data.grads[t])
      opt.step()
    }
    expect(firstBitDifference(c.param, a.spec.param)).toBe(-1)
    for (const o of [a.opt, b.opt, opt]) o.dispose()
  })

  it.each([
    ['no group state', undefined, /groups\[0\]\.state: must be \{ step, lrMax, weightSum, train \}/],
    ['a negative step', { step: -1, lrMax: 0, weightSum: 0, train: true }, /step must be an integer ≥ 0/],
    ['a mode that is not a boolean', { step: 1, lrMax: 0, weightSum: 0, train: 'yes' }, /train must be true or false/],
  ])('a checkpoint with %s is refused, and nothing changes', (_, state, message) => {
    const { spec, opt, z } = trained(false, 3)
    const saved = opt.stateDict()
    if (state === undefined) delete saved.groups[0].state
    else saved.groups[0].state = state as Record<string, unknown>
    const before = [Float32Array.from(spec.param), z(), opt.training]
    expect(() => opt.loadStateDict(saved)).toThrow(message)
    expect([Float32Array.from(spec.param), z(), opt.training]).toEqual(before)
    opt.dispose()
  })

  it('betas[0] = 0 is refused: x could not be recovered from y', () => {
    expect(
      () => new ScheduleFreeAdamW([{ param: new Float32Array(1), grad: new Float32Array(1) }], { betas: [0, 0.999] }),
    ).toThrow(/betas\[0\] must be in \(0, 1\) for Schedule-Free/)
  })
})
