// Muon over a whole TF.js model, as Keras's Muon does it: the weight matrices step with Muon, every
// other variable (biases, gains, embeddings, and convolution kernels unless opted in) with AdamW,
// in one wasm-optim Muon whose second group is in mode 'adamw'. One applyGradients, one
// getWeights (the matrices' momentum, then the others' m, then their v), one stats().
import { internals, Muon, type Optimizer, type Parameter } from '../index.js'
import type { Kind } from './adapter.js'

/** The AdamW that steps what is not a weight matrix. */
export interface MuonAdamW {
  /** Its learning rate; a schedule given as learningRate scales it in proportion. Default 1e-3. */
  lr?: number
  /** Its [β1, β2]. Default [0.9, 0.999]. */
  betas?: [number, number]
  /** Its ε. Default 1e-8. */
  eps?: number
  /** Its decoupled weight decay. Default 1e-2. */
  weightDecay?: number
}

/** What muon() takes besides Muon's own options. */
export interface MuonModelOptions {
  /** The AdamW of every variable that is not a weight matrix (see MuonAdamW). */
  adamw?: MuonAdamW
  /** Step convolution kernels (rank > 2) with Muon too, read as [shape[0], the rest]. Default false: with AdamW. */
  convolutions?: boolean
}

const ADAMW_KEYS = ['lr', 'betas', 'eps', 'weightDecay']
const ADAMW_DEFAULTS: Required<MuonAdamW> = { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2 }

/** Whether Muon steps a variable: a matrix, or any kernel of rank > 2 if convolutions; never an embedding table. */
function isMatrix(p: Parameter, convolutions: boolean): boolean {
  const rank = p.shape?.length ?? 1
  return (rank === 2 || (convolutions && rank > 2)) && !/(^|\/)embeddings(_\d+)?$/.test(p.name ?? '')
}

/** The kind of wasm-optim/tfjs's muon(): two groups, [weight matrices, the rest in mode 'adamw']. */
export function muonKind(slots: Kind['slots']): Kind {
  return {
    className: 'WasmOptimMuon',
    slots,
    make(params, options): Optimizer<object> {
      const { adamw = {}, convolutions = false, ...own } = options as MuonModelOptions & Record<string, unknown>
      const where = 'wasm-optim/tfjs: muon'
      if (adamw === null || typeof adamw !== 'object')
        throw new TypeError(
          `${where}: adamw must be an object { ${ADAMW_KEYS.join(', ')} }, got ${internals.describe(adamw)}`,
        )
      for (const key of Object.keys(adamw))
        if (!ADAMW_KEYS.includes(key))
          throw new TypeError(
            `${where}: adamw has an unknown option '${key}'; the options are ${ADAMW_KEYS.join(', ')}`,
          )
      if (typeof convolutions !== 'boolean')
        throw new TypeError(`${where}: convolutions must be true or false, got ${internals.describe(convolutions)}`)
      const a = { ...ADAMW_DEFAULTS, ...adamw }
      const rest = {
        mode: 'adamw' as const,
        lr: a.lr,
        weightDecay: a.weightDecay,
        adamwBetas: a.betas,
        adamwEps: a.eps,
      }
      return new Muon(
        [
          { params: params.filter((p) => isMatrix(p, convolutions)) },
          { params: params.filter((p) => !isMatrix(p, convolutions)), ...rest },
        ],
        own,
      ) as unknown as Optimizer<object>
    },
  }
}
