// Bad input gets a clear error that names the option, the value and the range, and a call that
// throws changes nothing: not the parameters, not the state, not the step count.
import { describe, expect, it } from 'vitest'
import { Adam, init, Lion, MSVAG, type Optimizer, type OptimizerName, parameter, RMSprop, SGD } from '../src/index.js'
import { view } from '../src/runtime.js'
import { f32, initState, referenceStep } from './reference.js'
import { OPTIMIZERS } from './registry.js'

const spec = (n = 8) => ({
  param: Float32Array.from({ length: n }, (_, i) => i - 3),
  grad: new Float32Array(n).fill(0.5),
})

/** Every readable parameter value and every state buffer of an optimizer, copied. */
function snapshot(opt: Optimizer<object>, params: { param: Float32Array }[]): (Float32Array | string)[] {
  const read = (p: { param: Float32Array }) => {
    try {
      return Float32Array.from(p.param)
    } catch {
      return 'unreadable (detached or disposed)'
    }
  }
  return [
    ...params.map(read),
    ...opt.slots
      .flat()
      .flatMap((s) => [
        new Float32Array([s.t]),
        ...Object.values(s.state).map((ptr) => Float32Array.from(view(ptr, s.n))),
      ]),
  ]
}

describe('before init()', () => {
  it('creating a parameter or an optimizer says to call init() first', async () => {
    expect(() => parameter(3)).toThrow(/call `await init\(\)`/)
    expect(() => new Adam([spec()])).toThrow(/call `await init\(\)`/)
    await expect(init({ simd: 'yes' as unknown as boolean })).rejects.toThrow(TypeError)
    await init()
  })
})

describe('options are checked at construction', () => {
  const cases: [OptimizerName, object, ErrorConstructor, RegExp][] = [
    ['Adam', { lr: -1 }, RangeError, /Adam: paramGroups\[0\]: lr must be in \[0, ∞\), got -1/],
    ['Adam', { lr: NaN }, RangeError, /lr must be in \[0, ∞\), got NaN/],
    ['Adam', { lr: Infinity }, RangeError, /lr must be in \[0, ∞\), got Infinity/],
    ['Adam', { lr: '0.1' }, TypeError, /lr must be a number in \[0, ∞\), got "0.1"/],
    ['Adam', { betas: [0.9, 1.2] }, RangeError, /betas\[1\] must be in \[0, 1\), got 1.2/],
    ['Adam', { betas: 0.9 }, TypeError, /betas must be an array \[β1, β2\]/],
    ['Adam', { betas: [0.9] }, TypeError, /betas must be an array \[β1, β2\].*got an Array of length 1/],
    ['Adam', { eps: -1e-8 }, RangeError, /eps must be in \[0, ∞\), got -1e-8/],
    ['Adam', { amsgrad: 1 }, TypeError, /amsgrad must be true or false, got 1/],
    ['Adam', { beta: 0.9 }, TypeError, /unknown option 'beta'; the options are lr, betas, eps/],
    ['MSVAG', { beta: 1 }, RangeError, /MSVAG: paramGroups\[0\]: beta must be in \[0, 1\), got 1/],
    ['MSVAG', { beta: -0.1 }, RangeError, /beta must be in \[0, 1\), got -0.1/],
    ['MSVAG', { weightDecay: -1 }, RangeError, /weightDecay must be in \[0, ∞\), got -1/],
    ['SSD', { beta: 0.9 }, TypeError, /unknown option 'beta'/],
    ['SGD', { nesterov: true }, RangeError, /nesterov needs momentum > 0 and dampening = 0, got momentum 0/],
    ['SGD', { momentum: 0.9, dampening: 0.1, nesterov: true }, RangeError, /nesterov needs.*dampening 0.1/],
    ['SGD', { dampening: 1.5 }, RangeError, /dampening must be in \[0, 1\], got 1.5/],
    ['SGD', { momentum: 1 }, RangeError, /momentum must be in \[0, 1\), got 1/],
    ['RMSprop', { alpha: 1 }, RangeError, /alpha must be in \[0, 1\), got 1/],
    ['RMSprop', { centered: 'no' }, TypeError, /centered must be true or false, got "no"/],
    ['Adagrad', { lrDecay: -0.1 }, RangeError, /lrDecay must be in \[0, ∞\), got -0.1/],
    ['Adagrad', { initialAccumulatorValue: -1 }, RangeError, /initialAccumulatorValue must be in \[0, ∞\), got -1/],
    ['Lion', { betas: [1, 0.99] }, RangeError, /betas\[0\] must be in \[0, 1\), got 1/],
  ]
  it.each(cases)('%s %j', (name, options, type, message) => {
    const before = JSON.stringify(spec())
    const s = spec()
    expect(() => new OPTIMIZERS[name]([s], options)).toThrow(type)
    expect(() => new OPTIMIZERS[name]([s], options)).toThrow(message)
    expect(JSON.stringify(s)).toBe(before)
  })

  it('a group option is checked with the group named', () => {
    expect(() => new Adam([{ params: [spec()] }, { params: [spec()], lr: -2 }])).toThrow(
      /Adam: paramGroups\[1\]: lr must be in \[0, ∞\), got -2/,
    )
  })

  it('options must be an object', () => {
    expect(() => new Adam([spec()], 3 as unknown as object)).toThrow(/Adam: options must be an object, got 3/)
  })
})

describe('parameters are checked at construction', () => {
  const cases: [string, () => unknown, ErrorConstructor, RegExp][] = [
    ['an empty list', () => new Adam([]), TypeError, /Adam: got an empty parameter list/],
    ['groups with no parameters', () => new Adam([{ params: [] }]), TypeError, /empty parameter list/],
    ['not an array', () => new Adam(spec() as never), TypeError, /params must be an array/],
    [
      'lengths differ',
      () => new Adam([{ param: new Float32Array(3), grad: new Float32Array(4) }]),
      RangeError,
      /params\[0\]: param and grad must have the same length, got 3 and 4/,
    ],
    [
      'a Float64Array',
      () => new Adam([{ param: new Float64Array(3), grad: new Float32Array(3) }] as never),
      TypeError,
      /params\[0\]\.param must be a Float32Array, got a Float64Array/,
    ],
    [
      'a plain array',
      () => new Adam([{ param: new Float32Array(3), grad: [0, 0, 0] }] as never),
      TypeError,
      /\.grad must be a Float32Array, got an Array of length 3/,
    ],
    [
      'a missing grad',
      () => new Adam([{ param: new Float32Array(3) }] as never),
      TypeError,
      /\.grad must be a Float32Array, got undefined/,
    ],
    [
      'groups mixed with parameters',
      () => new Adam([{ params: [spec()] }, spec()] as never),
      TypeError,
      /mixes parameter groups and parameters/,
    ],
    [
      'group params not an array',
      () => new Adam([{ params: 3 }] as never),
      TypeError,
      /paramGroups\[0\]\.params must be an array, got 3/,
    ],
    [
      'a parameter twice',
      () => {
        const s = spec()
        return new Adam([s, { param: s.param, grad: new Float32Array(8) }])
      },
      TypeError,
      /^Adam: the same parameter appears twice \(paramGroups\[0\]\.params\[0\] and paramGroups\[0\]\.params\[1\]\)/,
    ],
    [
      'a parameter() twice',
      () => {
        const p = parameter(4)
        return new Adam([p, p])
      },
      TypeError,
      /the same parameter appears twice \(paramGroups\[0\]\.params\[0\] and paramGroups\[0\]\.params\[1\]\)/,
    ],
    [
      'a parameter in two groups',
      () => {
        const s = spec()
        return new Adam([{ params: [s] }, { params: [s] }])
      },
      TypeError,
      /the same parameter appears twice \(paramGroups\[0\]\.params\[0\] and paramGroups\[1\]\.params\[0\]\)/,
    ],
    [
      'a bare Float32Array',
      () => new Adam([new Float32Array(3)] as never),
      TypeError,
      /^Adam: paramGroups\[0\]\.params\[0\] must be \{ param, grad \} or a parameter\(\), got a Float32Array$/,
    ],
    [
      'an object without param and grad',
      () => new Adam([{ values: new Float32Array(3) }] as never),
      TypeError,
      /params\[0\] must be \{ param, grad \} or a parameter\(\), got an object \{ values \}$/,
    ],
    [
      'grad aliasing its param',
      () => {
        const a = new Float32Array(8)
        return new Adam([{ param: a, grad: a }])
      },
      TypeError,
      /^Adam: paramGroups\[0\]\.params\[0\]\.param overlaps paramGroups\[0\]\.params\[0\]\.grad; each parameter needs its own memory/,
    ],
    [
      'overlapping subarrays',
      () => {
        const a = new Float32Array(16)
        return new Adam([
          { param: a.subarray(0, 8), grad: new Float32Array(8) },
          { param: a.subarray(4, 12), grad: new Float32Array(8) },
        ])
      },
      TypeError,
      /overlaps/,
    ],
    [
      'a name used twice',
      () =>
        new Adam([
          { ...spec(), name: 'w' },
          { ...spec(), name: 'w' },
        ]),
      TypeError,
      /parameter name 'w' is used twice/,
    ],
    [
      'a name that is not a string',
      () => new Adam([{ ...spec(), name: 3 }] as never),
      TypeError,
      /\.name must be a string, got 3/,
    ],
  ]
  it.each(cases)('%s', (_, make, type, message) => {
    expect(make).toThrow(type)
    expect(make).toThrow(message)
  })

  it('disjoint subarrays of one buffer are fine', () => {
    const a = new Float32Array(16)
    const opt = new Adam([
      { param: a.subarray(0, 8), grad: new Float32Array(8) },
      { param: a.subarray(8), grad: new Float32Array(8) },
    ])
    opt.dispose()
  })

  it('parameter() rejects bad lengths and values', () => {
    expect(() => parameter(-1)).toThrow(/parameter length must be an integer ≥ 0, got -1/)
    expect(() => parameter(1.5)).toThrow(RangeError)
    expect(() => parameter('abc' as never)).toThrow(TypeError)
    expect(() => parameter(3, { name: 7 as never })).toThrow(/parameter name must be a string, got 7/)
  })

  it('a failed construction allocates nothing', async () => {
    const { memoryStats } = await import('../src/index.js')
    const before = memoryStats()
    expect(() => new Adam([spec(), { param: new Float32Array(2), grad: new Float32Array(3) }])).toThrow(RangeError)
    expect(memoryStats()).toEqual(before)
  })
})

describe('a step that throws changes nothing', () => {
  function setup() {
    const a = spec(37)
    const b = parameter(Float32Array.from({ length: 11 }, (_, i) => i / 7))
    b.grad.fill(-0.25)
    const opt = new Adam([{ params: [a] }, { params: [b], lr: 0.01 }], { lr: 0.1 })
    opt.step()
    return { opt, params: [a, b], b }
  }

  const mutations: [string, (s: ReturnType<typeof setup>) => void, ErrorConstructor, RegExp][] = [
    [
      'lr set to NaN',
      (s) => {
        s.opt.paramGroups[1].lr = NaN
      },
      RangeError,
      /Adam\.step\(\): paramGroups\[1\]: lr must be in \[0, ∞\), got NaN/,
    ],
    [
      'betas set out of range',
      (s) => {
        s.opt.paramGroups[0].betas = [0.9, 1]
      },
      RangeError,
      /paramGroups\[0\]: betas\[1\] must be in \[0, 1\), got 1/,
    ],
    [
      'amsgrad switched on',
      (s) => {
        s.opt.paramGroups[0].amsgrad = true
      },
      RangeError,
      /these options need the state buffer 'vmax', which was not allocated at construction/,
    ],
    [
      'a parameter() disposed',
      (s) => {
        s.b.dispose()
      },
      TypeError,
      /paramGroups\[1\]\.params\[0\]\.param lives in a parameter\(\) that was disposed/,
    ],
    [
      'a param buffer transferred',
      (s) => {
        structuredClone(s.params[0].param.buffer, { transfer: [s.params[0].param.buffer] })
      },
      RangeError,
      /paramGroups\[0\]\.params\[0\]\.param now has length 0, expected 37 \(was its ArrayBuffer transferred or detached\?\)/,
    ],
  ]

  it.each(mutations)('%s', (_, mutate, type, message) => {
    const s = setup()
    const before = snapshot(s.opt, s.params)
    mutate(s)
    expect(() => s.opt.step()).toThrow(type)
    expect(() => s.opt.step()).toThrow(message)
    // What can still be read (not a transferred array, not a disposed parameter) is unchanged.
    snapshot(s.opt, s.params).forEach((x, i) => {
      if (typeof x !== 'string') expect(x, `snapshot[${i}]`).toEqual(before[i])
    })
    s.opt.dispose()
  })

  it('after a rejected step, fixing the option resumes exactly where a clean run would be', () => {
    const s = setup()
    const clean = setup()
    s.opt.paramGroups[0].lr = -1
    expect(() => s.opt.step()).toThrow(RangeError)
    s.opt.paramGroups[0].lr = 0.1
    s.opt.step()
    clean.opt.step()
    expect(snapshot(s.opt, s.params)).toEqual(snapshot(clean.opt, clean.params))
  })

  it('an option misspelled between steps is refused by name', () => {
    const s = setup()
    const before = snapshot(s.opt, s.params)
    ;(s.opt.paramGroups[0] as unknown as Record<string, unknown>).lrr = 1
    expect(() => s.opt.step()).toThrow(TypeError)
    expect(() => s.opt.step()).toThrow(
      /^Adam\.step\(\): paramGroups\[0\] has an unknown option 'lrr'; the options are lr, betas/,
    )
    expect(snapshot(s.opt, s.params)).toEqual(before)
    s.opt.dispose()
  })

  it('use after dispose throws a TypeError; dispose twice is harmless', () => {
    const opt = new MSVAG([spec()])
    opt.dispose()
    opt.dispose()
    expect(() => opt.step()).toThrow(/MSVAG\.step\(\): the optimizer was disposed/)
    expect(() => opt.zeroGrad()).toThrow(TypeError)
  })

  it('a disposed parameter() cannot be read', () => {
    const p = parameter(4, { name: 'w' })
    p.dispose()
    expect(p.disposed).toBe(true)
    expect(() => p.param).toThrow(/parameter 'w' used after dispose\(\)/)
  })
})

describe('options changed between steps take effect', () => {
  it('lr and momentum of a group, as the reference computes them', () => {
    const a = spec(5)
    const p = Float32Array.from(a.param)
    const state = initState('SGD', { momentum: 0.5 }, 5, (n) => new Float32Array(n))
    const opt = new SGD([a], { lr: 0.1, momentum: 0.5 })
    const o = { ...SGD.defaults, lr: 0.1, momentum: 0.5 }
    opt.step()
    referenceStep('SGD', o, p, a.grad, state, 1, f32)
    opt.paramGroups[0].lr = 0.05
    opt.paramGroups[0].momentum = 0.8
    opt.step()
    referenceStep('SGD', { ...o, lr: 0.05, momentum: 0.8 }, p, a.grad, state, 2, f32)
    expect(a.param).toEqual(p)
    opt.dispose()
  })

  it('zeroGrad zeroes plain and parameter() gradients', () => {
    const a = spec(5)
    const p = parameter(5)
    p.grad.fill(2)
    const opt = new RMSprop([a, p])
    opt.zeroGrad()
    expect([...a.grad, ...p.grad].every((x) => x === 0)).toBe(true)
    opt.dispose()
    p.dispose()
  })

  it('RMSprop and Lion refuse state-changing option switches', () => {
    const r = new RMSprop([spec()])
    r.paramGroups[0].centered = true
    expect(() => r.step()).toThrow(/state buffer 'a'/)
    const l = new Lion([spec()])
    l.paramGroups[0].betas = [0.9, -1]
    expect(() => l.step()).toThrow(/betas\[1\] must be in \[0, 1\), got -1/)
  })
})
