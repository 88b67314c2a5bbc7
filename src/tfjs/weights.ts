// An adapter's state as TF.js sees it: getWeights() lists the iteration counter, then each state
// buffer of each variable under TF.js's slot names; setWeights() is checked whole when it is
// called, and bound to the variables by position at the next applyGradients() (a reloaded
// model's variables have new names), where a mismatch is refused with nothing changed.
import type * as tfc from '@tensorflow/tfjs-core'
import type { ParamState } from '../checkpoint.js'
import { internals, type Optimizer } from '../index.js'
import type { Kind, NamedTensor } from './adapter.js'

type TF = typeof tfc

/** Weights from setWeights() waiting to be bound: each slot's values and shape, in TF.js's order. */
export type Pending = { data: Float32Array; shape: number[] }[]

/** The iteration counter, then each state buffer of each parameter, as TF.js names them. */
export function slotWeights(tf: TF, opt: Optimizer<object> | undefined, kind: Kind, iterations: number) {
  const out: NamedTensor[] = [{ name: 'iter', tensor: tf.scalar(iterations, 'int32') }]
  if (!opt) return out
  const slots = opt.slots[0]
  for (const [buffer, slot] of kind.slots(opt)) {
    for (const s of slots) {
      const values = internals.view(s.state[buffer], s.n).slice()
      out.push({ name: `${s.name}/${slot}`, tensor: tf.tensor(values, s.shape as number[], 'float32') })
    }
  }
  return out
}

/**
 * Reads and checks what setWeights() was given: [iter, ...slots], iter an integer ≥ 0; and where the variables are already known (`perVariable` slots for each of `sizes`),
 * that the count and each size fit. Throws before anything changes.
 */
export async function readWeights(
  where: string,
  weights: NamedTensor[],
  known: { perVariable: number; sizes: number[] } | undefined,
): Promise<{ iter: number; values: Pending }> {
  if (!Array.isArray(weights) || weights.length === 0 || weights[0]?.name !== 'iter') {
    throw new TypeError(`${where}: expected [iter, ...slots] as getWeights() returns them`)
  }
  const iter = (await weights[0].tensor.data())[0]
  if (!Number.isInteger(iter) || iter < 0) {
    throw new RangeError(`${where}: iter must be an integer ≥ 0, got ${internals.describe(iter)}`)
  }
  const values: Pending = []
  for (const [i, w] of weights.slice(1).entries()) {
    // NaN and ±Infinity in a slot are state as TF.js computes it (centered RMSprop can make NaN): kept as they are.
    const data = Float32Array.from(await w.tensor.data())
    values.push({ data, shape: w.tensor.shape })
    if (known && known.sizes.length > 0) {
      const size = known.sizes[i % known.sizes.length]
      if (data.length !== size) {
        throw new RangeError(`${where}: weight ${i + 1} ('${w.name}') has ${data.length} values, its variable ${size}`)
      }
    }
  }
  if (
    known &&
    known.sizes.length > 0 &&
    values.length > 0 &&
    values.length !== known.perVariable * known.sizes.length
  ) {
    throw new RangeError(
      `${where}: got ${values.length} weights besides iter for ${known.sizes.length} variables; this optimizer keeps ` +
        `${known.perVariable} per variable, so ${known.perVariable * known.sizes.length}`,
    )
  }
  return { iter, values }
}

/** Loads setWeights()'s values into `opt` for these variables, by position; throws, changing nothing, where they do not fit. */
export function bindWeights(
  where: string,
  opt: Optimizer<object>,
  kind: Kind,
  values: Pending,
  vars: tfc.Variable[],
  step: number,
): void {
  const slots = kind.slots(opt)
  if (values.length !== slots.length * vars.length) {
    throw new RangeError(
      `${where}: got ${values.length} weights besides iter for ${vars.length} variables; ` +
        `this optimizer keeps ${slots.length} per variable (${slots.map(([, s]) => s).join(', ')}), so ${slots.length * vars.length}`,
    )
  }
  const params = vars.map(
    (v, j): ParamState<string> => ({
      name: v.name,
      length: v.size,
      step,
      state: Object.fromEntries(
        slots.map(([buffer], b) => {
          const w = values[b * vars.length + j]
          if (w.data.length !== v.size) {
            throw new RangeError(
              `${where}: weight ${b * vars.length + j + 1} has ${w.data.length} values, variable '${v.name}' ${v.size}`,
            )
          }
          return [buffer, internals.toBase64(w.data)]
        }),
      ),
    }),
  )
  const dict = opt.stateDict()
  const named = new Map(params.map((p) => [p.name, p]))
  opt.loadStateDict({
    ...dict,
    groups: [{ ...dict.groups[0], params: dict.groups[0].params.map((p) => named.get(p.name!) ?? p) }],
  })
}
