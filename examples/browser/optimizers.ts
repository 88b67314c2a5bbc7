// The optimizers the page offers: every one the library has (its registry), the paper's four
// checked and at the learning rates the paper found best for a small network on Fashion-MNIST
// (its §5: M-SGD 0.1, Adam 1e-3, M-SSD 3e-4, M-SVAG 0.3), the others at their defaults unless
// this network wants another. Shared by the page (labels) and the worker (construction).
import { type Optimizer, type OptimizerName, optimizers, type Parameter } from '../../src/index.js'

export interface Choice {
  label: string
  color: string
  /** Checked when the page opens. */
  checked: boolean
  make: (p: Parameter) => Optimizer<object>
}

/** The paper's four, checked when the page opens, at its best learning rates for this kind of problem. */
const PAPER: Partial<Record<OptimizerName, { lr: number; label: string }>> = {
  MSGD: { lr: 0.1, label: 'M-SGD' },
  MSSD: { lr: 3e-4, label: 'M-SSD' },
  MSVAG: { lr: 0.3, label: 'M-SVAG' },
  Adam: { lr: 1e-3, label: 'Adam' },
}
/** Learning rates that suit this network better than the class's default. */
const LR: Partial<Record<OptimizerName, number>> = { SGD: 0.01, SVAG: 0.3, RMSprop: 1e-3 }
const COLORS = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#ff7f0e',
  '#8c564b',
  '#e377c2',
  '#17becf',
  '#bcbd22',
  '#7f7f7f',
  '#9467bd',
  '#aec7e8',
  '#98df8a',
  '#ffbb78',
  '#c5b0d5',
  '#c49c94',
  '#f7b6d2',
]

/** Every optimizer of the library (the paper's four first), at the lr above or its default; not Muon, which takes only the weight matrices of the perceptron. */
const ORDER = [
  ...(Object.keys(PAPER) as OptimizerName[]),
  ...(Object.keys(optimizers) as OptimizerName[]).filter((n) => !PAPER[n] && !optimizers[n].matrices),
]
export const CHOICES: Record<string, Choice> = Object.fromEntries(
  ORDER.map((name, i) => {
    const cls = optimizers[name] as unknown as { defaults: { lr: number } } & (new (
      p: Parameter[],
      o: object,
    ) => Optimizer<object>)
    const lr = PAPER[name]?.lr ?? LR[name] ?? cls.defaults.lr
    // M-SGD and M-SSD keep v as well when asked (trackVariance), so that stats() reports γ and
    // P(sign right) for them too; the step itself does not change.
    const options =
      name === 'SGD' ? { lr, momentum: 0.9 } : name === 'MSGD' || name === 'MSSD' ? { lr, trackVariance: true } : { lr }
    const label = `${PAPER[name]?.label ?? name}${name === 'SGD' ? ' + momentum 0.9' : ''} (lr ${lr})`
    return [
      name.toLowerCase(),
      {
        label,
        color: COLORS[i % COLORS.length],
        checked: name in PAPER,
        make: (p: Parameter) => new cls([p], options),
      },
    ]
  }),
)

/** Messages from the page to the worker. */
export type ToWorker = { type: 'start'; data: ArrayBuffer; optimizers: string[] } | { type: 'stop' }

/** Messages from the worker to the page. */
export type FromWorker =
  | { type: 'ready'; simd: boolean; shared: boolean; train: number; test: number }
  | { type: 'progress'; key: string; step: number; loss: number; stepsPerSecond: number; optimizerMicros: number }
  | { type: 'eval'; key: string; step: number; accuracy: number }
  /** opt.stats().total's mean γ and P(sign right); null where the optimizer's state does not give them. */
  | { type: 'lens'; key: string; step: number; gamma: number | null; signProbability: number | null }
  | { type: 'stopped'; step: number }
  | { type: 'error'; message: string }
