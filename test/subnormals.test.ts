// The subnormal modes: 'flush' (the default) zeroes squares that would be subnormal and, every
// 16th step of a parameter, subnormal state values; 'keep' is strict IEEE. The bit-exact suites
// (exact, properties) hold both modes to the reference; this file checks what each mode visibly
// does, the option's checks, and that checkpoints carry it.
import { beforeAll, describe, expect, it } from 'vitest'
import { Adam, init, MSVAG, SGD } from '../src/index.js'
import { view } from '../src/runtime.js'

const FLT_MIN = 2 ** -126
const subnormal = (x: number) => x !== 0 && Math.abs(x) < FLT_MIN
const stateOf = (opt: Adam | SGD | MSVAG, k: string) => {
  const s = opt.slots[0][0]
  return Float32Array.from(view(s.state[k], s.n))
}

beforeAll(async () => {
  await init()
})

describe("subnormals: 'flush' | 'keep'", () => {
  it("is 'flush' by default, an optimizer-wide option that can change between steps", () => {
    const spec = { param: new Float32Array(4), grad: new Float32Array(4) }
    const opt = new Adam([spec])
    expect(opt.subnormals).toBe('flush')
    expect(new Adam([spec], { subnormals: 'keep' }).subnormals).toBe('keep')
    opt.subnormals = 'keep'
    expect(opt.step()).toBe(true)
  })

  it('flush: a gradient of 1e-20 leaves v at 0, where keep stores its subnormal square', async () => {
    for (const simd of [true, false]) {
      await init({ simd })
      const grad = new Float32Array(37).fill(1e-20)
      const flush = new Adam([{ param: new Float32Array(37).fill(1), grad }])
      const keep = new Adam([{ param: new Float32Array(37).fill(1), grad }], { subnormals: 'keep' })
      flush.step()
      keep.step()
      expect([...stateOf(flush, 'v')].every((x) => Object.is(x, 0))).toBe(true)
      expect([...stateOf(keep, 'v')].every(subnormal)).toBe(true)
      // m = (1 − β1)·g = 1e-21 is a normal number: both modes keep it.
      expect(stateOf(flush, 'm')).toEqual(stateOf(keep, 'm'))
    }
    await init({ simd: true })
  })

  it('flush: state that decays into the subnormal range is zeroed at the 16th step, where keep leaves it there for good', () => {
    // SGD's momentum buffer after one gradient of 1.2e-38 and zeros: b = 0.9ᵗ⁻¹·1.2e-38, subnormal
    // from t = 2 on; with round to nearest, 0.9·b stops shrinking at 4·2⁻¹⁴⁹ (0.9·4 rounds to 4).
    const run = (subnormals: 'flush' | 'keep', steps: number) => {
      const spec = { param: new Float32Array(5).fill(1), grad: new Float32Array(5).fill(1.2e-38) }
      const opt = new SGD([spec], { lr: 0.1, momentum: 0.9, subnormals })
      opt.step()
      spec.grad.fill(0)
      for (let t = 2; t <= steps; t++) opt.step()
      return stateOf(opt, 'b')
    }
    expect([...run('flush', 15)].every(subnormal)).toBe(true)
    expect([...run('flush', 16)].every((x) => Object.is(x, 0))).toBe(true)
    expect([...run('keep', 16)].every(subnormal)).toBe(true)
    expect([...run('keep', 2000)]).toEqual(Array(5).fill(4 * 2 ** -149))
  })

  it('rejects a bad mode with the allowed values, at construction and at step(), changing nothing', () => {
    const spec = { param: new Float32Array([1, 2]), grad: new Float32Array([0.5, -0.5]) }
    for (const bad of ['ftz', true, 0, null]) {
      expect(() => new MSVAG([spec], { subnormals: bad as never })).toThrow(
        new RegExp(`MSVAG: options: subnormals must be 'flush' or 'keep', got ${JSON.stringify(bad)}`),
      )
    }
    const opt = new MSVAG([spec])
    opt.step()
    const before = [Float32Array.from(spec.param), stateOf(opt, 'm'), stateOf(opt, 'v')]
    opt.subnormals = 'off' as never
    expect(() => opt.step()).toThrow(/MSVAG\.step\(\): subnormals must be 'flush' or 'keep', got "off"/)
    expect([Float32Array.from(spec.param), stateOf(opt, 'm'), stateOf(opt, 'v')]).toEqual(before)
    expect(opt.slots[0][0].t).toBe(1)
  })

  it('checkpoints carry the mode; a state saved without it leaves the mode as it is; a bad one changes nothing', () => {
    const spec = { param: new Float32Array([1, 2]), grad: new Float32Array([0.5, -0.5]) }
    const saved = new Adam([spec], { subnormals: 'keep' })
    saved.step()
    const dict = saved.stateDict()
    expect(dict.subnormals).toBe('keep')
    const fresh = new Adam([spec])
    fresh.loadStateDict(JSON.parse(JSON.stringify(dict)))
    expect(fresh.subnormals).toBe('keep')
    const binary = new Adam([spec])
    binary.loadStateDict(saved.stateBytes())
    expect(binary.subnormals).toBe('keep')
    const { subnormals: _, ...older } = dict
    const kept = new Adam([spec])
    kept.loadStateDict(older)
    expect(kept.subnormals).toBe('flush')
    expect(kept.slots[0][0].t).toBe(1)
    const other = new Adam([spec])
    expect(() => other.loadStateDict({ ...dict, subnormals: 'sometimes' })).toThrow(
      /Adam\.loadStateDict\(\): subnormals must be 'flush' or 'keep', got "sometimes"/,
    )
    expect(other.subnormals).toBe('flush')
    expect(other.slots[0][0].t).toBe(0)
  })
})
