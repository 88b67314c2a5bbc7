// Checkpoints: 50 steps straight equal 25 steps, save, load into a fresh optimizer, 25 more,
// to the bit, for every optimizer and both forms (JSON and binary). Loading checks everything
// and changes nothing when it throws; named parameters are matched by name.
import { beforeAll, describe, expect, it } from 'vitest'
import { Adam, init, MSVAG, type Optimizer, type OptimizerName, SGD, type StateDict } from '../src/index.js'
import { view } from '../src/runtime.js'
import { randomData } from './helpers.js'
import { CASES, OPTIMIZERS, spec } from './registry.js'

const LENGTHS = [0, 5, 64, 10_007]
const DATA = LENGTHS.map((n, i) => randomData(n, 50, 100 + i))
type Spec = { param: Float32Array; grad: Float32Array; name?: string; shape?: readonly number[] }

/** One parameter per length, shaped where optimizer `name` needs shapes. */
function specs(named = false, name: OptimizerName = 'Adam'): Spec[] {
  return DATA.map((d, i) => ({
    ...spec(name, Float32Array.from(d.theta), new Float32Array(d.theta.length)),
    ...(named && { name: `p${i}` }),
  }))
}

function steps(opt: Optimizer<object>, ps: Spec[], from: number, to: number): void {
  for (let t = from; t < to; t++) {
    ps.forEach((p, i) => {
      p.grad.set(DATA[i].grads[t])
    })
    opt.step()
  }
}

function state(opt: Optimizer<object>): Float32Array[] {
  return opt.slots
    .flat()
    .flatMap((s) => [new Float32Array([s.t]), ...Object.values(s.state).map((p) => Float32Array.from(view(p, s.n)))])
}

beforeAll(async () => {
  await init()
})

describe('resume from a checkpoint, bit for bit', () => {
  it.each(
    CASES.flatMap(([name, o]): [OptimizerName, object, string][] => [
      [name, o, 'json'],
      [name, o, 'binary'],
    ]),
  )('%s %j via %s', (name, options, form) => {
    const straight = specs(false, name)
    const a = new OPTIMIZERS[name](
      straight.map((p, i) => ({ params: [p], ...(i === 1 && { lr: 0.003 }) })),
      options,
    )
    steps(a, straight, 0, 50)

    const first = specs(false, name)
    const b = new OPTIMIZERS[name](
      first.map((p, i) => ({ params: [p], ...(i === 1 && { lr: 0.003 }) })),
      options,
    )
    steps(b, first, 0, 25)
    const saved = form === 'json' ? JSON.parse(JSON.stringify(b.stateDict())) : b.stateBytes()
    const values = first.map((p) => Float32Array.from(p.param))
    b.dispose()

    // A fresh optimizer, made with default options: the checkpoint brings the groups' options.
    const resumed = values.map((v) => spec(name, v, new Float32Array(v.length)))
    const c = new OPTIMIZERS[name](
      resumed.map((p) => ({ params: [p] })),
      options,
    )
    c.loadStateDict(saved)
    expect(c.paramGroups[1].lr).toBe(0.003)
    steps(c, resumed, 25, 50)
    expect(resumed.map((p) => p.param)).toEqual(straight.map((p) => p.param))
    expect(state(c)).toEqual(state(a))
    a.dispose()
    c.dispose()
  })

  it('NaN and ±Infinity in the state survive JSON', () => {
    const ps = specs()
    const opt = new Adam(ps)
    ps[1].grad.set([NaN, Infinity, -Infinity, 0, 1])
    opt.step()
    const again = new Adam(specs())
    again.loadStateDict(JSON.parse(JSON.stringify(opt.stateDict())))
    expect(state(again)).toEqual(state(opt))
    expect(JSON.stringify(opt.stateDict()).length).toBeGreaterThan(0)
  })

  it('the binary form is compact: about 4 bytes per state value', () => {
    const opt = new Adam(specs())
    const values = LENGTHS.reduce((a, n) => a + 2 * n, 0)
    const bytes = opt.stateBytes()
    expect(bytes.length).toBeGreaterThan(4 * values)
    expect(bytes.length).toBeLessThan(4 * values + 2000)
  })
})

describe('named parameters are matched by name', () => {
  it('reordered parameters get their own state back; a new one starts fresh', () => {
    const ps = specs(true)
    const opt = new MSVAG(ps)
    steps(opt, ps, 0, 10)
    const saved = opt.stateDict()
    const before = Object.fromEntries(opt.slots.flat().map((s) => [s.name, Float32Array.from(view(s.state.m, s.n))]))
    // The same parameters, reversed, plus a new one.
    const extra = { param: new Float32Array(3), grad: new Float32Array(3), name: 'new' }
    const reordered = [...ps]
      .reverse()
      .map((p) => ({ ...p, param: Float32Array.from(p.param), grad: new Float32Array(p.param.length) }))
    const again = new MSVAG([...reordered, extra])
    again.loadStateDict(saved)
    for (const s of again.slots.flat()) {
      if (s.name === 'new') {
        expect(s.t).toBe(0)
        expect([...view(s.state.m, s.n)]).toEqual([0, 0, 0])
      } else {
        expect(s.t).toBe(10)
        expect(view(s.state.m, s.n)).toEqual(before[s.name!])
      }
    }
  })

  it('a name in the state that matches no parameter is an error', () => {
    const opt = new MSVAG(specs(true))
    const other = new MSVAG(specs(true).slice(1))
    expect(() => other.loadStateDict(opt.stateDict())).toThrow(
      /the state has parameters that this optimizer does not: 'p0'/,
    )
  })
})

describe('a checkpoint that does not fit is refused, and nothing changes', () => {
  function setup() {
    const ps = specs()
    const opt = new Adam(ps, { lr: 0.01 })
    steps(opt, ps, 0, 3)
    return { ps, opt }
  }
  const good = () => setup().opt.stateDict()
  const cases: [string, () => unknown, ErrorConstructor, RegExp][] = [
    [
      'another optimizer',
      () => {
        const o = new SGD(specs(), { momentum: 0.9 })
        return o.stateDict()
      },
      TypeError,
      /the state is for "SGD", this optimizer is Adam/,
    ],
    [
      'another number of groups',
      () => new Adam(specs().map((p) => ({ params: [p] }))).stateDict(),
      RangeError,
      /the state has 4 parameter groups, this optimizer 1/,
    ],
    [
      'another number of parameters',
      () => new Adam(specs().slice(1)).stateDict(),
      RangeError,
      /groups\[0\] has 3 parameters in the state, 4 here/,
    ],
    [
      'another length',
      () => {
        const s = specs()
        s[2] = { param: new Float32Array(65), grad: new Float32Array(65) }
        return new Adam(s).stateDict()
      },
      RangeError,
      /params\[2\]: the state has length 65, the parameter 64/,
    ],
    [
      'other state buffers (amsgrad)',
      () => new Adam(specs(), { amsgrad: true }).stateDict(),
      RangeError,
      /groups\[0\]\.options: these options need the state buffer 'vmax', which was not allocated at construction/,
    ],
    ['a future version', () => ({ ...good(), version: 2 }), RangeError, /state format version 2, this library reads 1/],
    ['not a state dict', () => ({ hello: 1 }), TypeError, /not a wasm-optim state dict/],
    [
      'a truncated buffer',
      () => {
        const d = good()
        d.groups[0].params[1].state.m = d.groups[0].params[1].state.m.slice(0, 8)
        return d
      },
      RangeError,
      /params\[1\]\.state\.m holds 6 bytes, expected 20 \(5 floats\)/,
    ],
    [
      'corrupt base64',
      () => {
        const d = good()
        d.groups[0].params[1].state.v = '!!!'
        return d
      },
      TypeError,
      /state\.v is not valid base64/,
    ],
    [
      'an invalid option',
      () => {
        const d = good()
        d.groups[0].options.lr = -1
        return d
      },
      RangeError,
      /groups\[0\]\.options: lr must be in \[0, ∞\), got -1/,
    ],
    [
      'an unknown option',
      () => {
        const d = good()
        d.groups[0].options.beta = 0.9
        return d
      },
      TypeError,
      /unknown option 'beta'/,
    ],
    [
      'a negative step',
      () => {
        const d = good()
        d.groups[0].params[0].step = -1
        return d
      },
      RangeError,
      /step must be an integer ≥ 0, got -1/,
    ],
    [
      'bytes that are not a state',
      () => new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]),
      TypeError,
      /not a wasm-optim state \(no WOPT header\)/,
    ],
    [
      'truncated bytes',
      () => {
        const b = setup().opt.stateBytes()
        return b.subarray(0, b.length - 8)
      },
      RangeError,
      /lies outside the data/,
    ],
  ]
  it.each(cases)('%s', (_, make, type, message) => {
    const { ps, opt } = setup()
    const before = state(opt)
    const values = ps.map((p) => Float32Array.from(p.param))
    const options = JSON.stringify(opt.paramGroups.map(({ params: _, ...o }) => o))
    const bad = make() as StateDict
    expect(() => opt.loadStateDict(bad)).toThrow(type)
    expect(() => opt.loadStateDict(bad)).toThrow(message)
    expect(state(opt)).toEqual(before)
    expect(ps.map((p) => p.param)).toEqual(values)
    expect(JSON.stringify(opt.paramGroups.map(({ params: _, ...o }) => o))).toBe(options)
  })
})
