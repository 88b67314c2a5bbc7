// An adapter's state as TF.js sees it: getWeights() lists the iteration counter, then, group by
// group, each state buffer of each of the group's variables under TF.js's slot names (a Muon over
// a whole model: the matrices' momentum, then the other variables' AdamW m, then their v);
// setWeights() is checked whole when it is called, and bound to the variables by position at the
// next applyGradients() (a reloaded model's variables have new names), where a mismatch is
// refused with nothing changed.
import type * as tfc from '@tensorflow/tfjs-core'
import type { ParamState } from '../checkpoint.js'
import { internals, type Optimizer } from '../index.js'
import type { Slot } from '../walk.js'
import type { Kind, NamedTensor } from './adapter.js'

type TF = typeof tfc

/** Weights from setWeights() waiting to be bound: each slot's values and shape, in TF.js's order, and each group's own state. */
export interface Pending {
  values: { data: Float32Array; shape: number[] }[]
  groups: unknown[] | undefined
}

/** The weight that holds each group's own state (Schedule-Free's step, weight sum, largest lr and mode), as JSON. */
const GROUPS = 'wasm-optim/groups'

/** The getWeights() order after the iteration counter: each group, each of its slots, each of its parameters. */
export function layout(opt: Optimizer<object>, kind: Kind): { s: Slot; buffer: string; slot: string }[] {
  return opt.slots.flatMap((params, g) =>
    kind.slots(opt, g).flatMap(([buffer, slot]) => params.map((s) => ({ s, buffer, slot }))),
  )
}

/** The iteration counter, then each state buffer of each parameter, as TF.js names them. */
export function slotWeights(tf: TF, opt: Optimizer<object> | undefined, kind: Kind, iterations: number) {
  const out: NamedTensor[] = [{ name: 'iter', tensor: tf.scalar(iterations, 'int32') }]
  if (opt && kind.modes) {
    const groups = JSON.stringify(opt.stateDict().groups.map((g) => g.state ?? null))
    out.push({ name: GROUPS, tensor: tf.tensor([groups], [1], 'string') })
  }
  for (const { s, buffer, slot } of opt ? layout(opt, kind) : []) {
    // Compact state (stateDtype) decoded: TF.js's slots are float32.
    const values = internals.readState(s.state[buffer], s.z.fmt, s.n, buffer)
    out.push({ name: `${s.name}/${slot}`, tensor: tf.tensor(values, s.shape as number[], 'float32') })
  }
  return out
}

/**
 * Reads and checks what setWeights() was given: [iter, ...slots], iter an integer ≥ 0; and where
 * the variables are already known (`sizes`, each weight's in the getWeights() order), that the
 * count and each size fit. Throws before anything changes.
 */
export async function readWeights(
  where: string,
  weights: NamedTensor[],
  sizes: number[] | undefined,
): Promise<{ iter: number } & Pending> {
  if (!Array.isArray(weights) || weights.length === 0 || weights[0]?.name !== 'iter') {
    throw new TypeError(`${where}: expected [iter, ...slots] as getWeights() returns them`)
  }
  const iter = (await weights[0].tensor.data())[0]
  if (!Number.isInteger(iter) || iter < 0) {
    throw new RangeError(`${where}: iter must be an integer ≥ 0, got ${internals.describe(iter)}`)
  }
  let groups: unknown[] | undefined
  let rest = weights.slice(1)
  if (rest[0]?.name === GROUPS) {
    const [text] = (await rest[0].tensor.data()) as unknown as (string | Uint8Array)[]
    try {
      groups = JSON.parse(typeof text === 'string' ? text : new TextDecoder().decode(text))
    } catch {}
    if (!Array.isArray(groups)) throw new TypeError(`${where}: '${GROUPS}' does not hold the groups' state`)
    rest = rest.slice(1)
  }
  const values: Pending['values'] = []
  for (const [i, w] of rest.entries()) {
    // NaN and ±Infinity in a slot are state as TF.js computes it (centered RMSprop can make NaN): kept as they are.
    const data = Float32Array.from(await w.tensor.data())
    values.push({ data, shape: w.tensor.shape })
    if (sizes && sizes.length > 0 && i < sizes.length && data.length !== sizes[i]) {
      throw new RangeError(
        `${where}: weight ${i + 1} ('${w.name}') has ${data.length} values, its variable ${sizes[i]}`,
      )
    }
  }
  if (sizes && sizes.length > 0 && values.length > 0 && values.length !== sizes.length) {
    throw new RangeError(
      `${where}: got ${values.length} weights besides iter; this optimizer keeps ${sizes.length} for its variables`,
    )
  }
  return { iter, values, groups }
}

/** Loads setWeights()'s values into `opt` for these variables, by position; throws, changing nothing, where they do not fit. */
export function bindWeights(
  where: string,
  opt: Optimizer<object>,
  kind: Kind,
  { values, groups }: Pending,
  vars: tfc.Variable[],
  step: number,
): void {
  const known = new Set(vars.map((v) => v.name))
  const order = layout(opt, kind).filter((l) => known.has(l.s.name!))
  if (values.length !== order.length) {
    const slots = [...new Set(order.map((l) => l.slot))].join(', ')
    throw new RangeError(
      `${where}: got ${values.length} weights besides iter for ${vars.length} variables; ` +
        `this optimizer keeps ${order.length} for them (${slots})`,
    )
  }
  const params = new Map<string, ParamState<string>>()
  order.forEach(({ s, buffer }, i) => {
    const w = values[i]
    if (w.data.length !== s.n) {
      throw new RangeError(`${where}: weight ${i + 1} has ${w.data.length} values, variable '${s.name}' ${s.n}`)
    }
    const p = params.get(s.name!) ?? { name: s.name, length: s.n, step, state: {} }
    p.state[buffer] = internals.toBase64(w.data)
    params.set(s.name!, p)
  })
  const dict = opt.stateDict()
  // TF.js's float32 slots into compact state (stateDtype) are rounded as a step would round them.
  opt.loadStateDict(
    {
      ...dict,
      groups: dict.groups.map((g, i) => ({
        ...g,
        ...(groups?.[i] != null && { state: groups[i] as Record<string, unknown> }),
        params: g.params.map((p) => params.get(p.name!) ?? p),
      })),
    },
    { convert: true },
  )
}
