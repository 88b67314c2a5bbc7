import {
  Adagrad,
  Adam,
  AdamW,
  Lion,
  MSGD,
  MSSD,
  MSVAG,
  RMSprop,
  SGD,
  SSD,
  SVAG,
  type Optimizer,
  type Params,
} from '../src/index.js'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Ctor = new (params: Params<any>, options?: any) => Optimizer<any>

/** Every optimizer by the name the reference and the tests use. */
export const OPTIMIZERS: Record<string, Ctor & { defaults: object }> = {
  SGD,
  MSGD,
  SSD,
  MSSD,
  SVAG,
  MSVAG,
  Adam,
  AdamW,
  Lion,
  RMSprop,
  Adagrad,
}

/** Cartesian product of option choices: every combination that takes another path in a kernel. */
function combos(...axes: object[][]): object[] {
  return axes.reduce<object[]>((acc, axis) => acc.flatMap((a) => axis.map((b) => ({ ...a, ...b }))), [{}])
}

/** For each optimizer, option sets covering each code path of its kernel. */
export const CASES: [string, object][] = [
  ...combos(
    [{}, { maximize: true }],
    [{}, { weightDecay: 0.01 }],
    [{}, { momentum: 0.9 }, { momentum: 0.9, dampening: 0.3 }, { momentum: 0.9, nesterov: true }],
  ).map((o): [string, object] => ['SGD', { lr: 0.01, ...o }]),
  ...['MSGD', 'SSD', 'MSSD', 'SVAG', 'MSVAG'].flatMap((name) =>
    [{}, { weightDecay: 0.01 }].map((o): [string, object] => [name, { lr: 0.01, ...o }]),
  ),
  ...['MSGD', 'MSSD'].flatMap((name) =>
    [{ trackVariance: true }, { trackVariance: true, weightDecay: 0.01 }].map((o): [string, object] => [
      name,
      { lr: 0.01, ...o },
    ]),
  ),
  ...combos([{}, { maximize: true }], [{}, { weightDecay: 0.01 }], [{}, { amsgrad: true }]).map(
    (o): [string, object] => ['Adam', { lr: 0.01, ...o }],
  ),
  ...combos([{}, { maximize: true }], [{ weightDecay: 0 }, { weightDecay: 0.05 }], [{}, { amsgrad: true }]).map(
    (o): [string, object] => ['AdamW', { lr: 0.01, ...o }],
  ),
  ...[{}, { weightDecay: 0.1 }].map((o): [string, object] => ['Lion', { lr: 0.01, ...o }]),
  ...combos([{}, { centered: true }], [{}, { momentum: 0.9 }], [{}, { weightDecay: 0.01 }]).map(
    (o): [string, object] => ['RMSprop', { lr: 0.01, ...o }],
  ),
  ...[{}, { weightDecay: 0.01 }, { lrDecay: 0.01, initialAccumulatorValue: 0.1 }].map((o): [string, object] => [
    'Adagrad',
    { lr: 0.01, ...o },
  ]),
]

/** Seeded uniform [0, 1) generator (mulberry32): the tests are repeatable. */
export function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Standard normal samples from a uniform generator (Box–Muller). */
export function normal(u: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u())
}

/**
 * Random float32 test data: values N(0, 1); gradients N(0, 1)·scale with a per-element scale
 * spread over 1e-3..1e3 and a few exact zeros (sign(0) and the M-SVAG m = v = 0 guard).
 */
export function randomData(n: number, steps: number, seed: number): { theta: Float32Array; grads: Float32Array[] } {
  const u = rng(seed)
  const z = normal(u)
  const theta = Float32Array.from({ length: n }, z)
  const scale = Float32Array.from({ length: n }, () => 10 ** (6 * u() - 3))
  const zeros = Uint8Array.from({ length: n }, () => (u() < 0.05 ? 1 : 0))
  const grads = Array.from({ length: steps }, () =>
    Float32Array.from({ length: n }, (_, i) => (zeros[i] ? 0 : z() * scale[i])),
  )
  return { theta, grads }
}

/** Index of the first element whose bits differ (any NaN equals any NaN), or -1. */
export function firstBitDifference(a: Float32Array, b: ArrayLike<number>): number {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length)
  const bb = Float32Array.from(b)
  const y = new Uint32Array(bb.buffer)
  if (a.length !== bb.length) return Math.min(a.length, bb.length)
  for (let i = 0; i < a.length; i++) {
    if (x[i] !== y[i] && !(Number.isNaN(a[i]) && Number.isNaN(bb[i]))) return i
  }
  return -1
}
