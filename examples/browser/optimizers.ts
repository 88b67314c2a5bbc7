// The optimizers the page offers, with the learning rates the paper found best for a small
// network on (Fashion-)MNIST (SPEC.md §5: M-SGD 0.1, Adam 1e-3, M-SSD 3e-4, M-SVAG 0.3; the others
// at their usual values). Shared by the page (labels) and the worker (construction).
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
  type Parameter,
} from '../../src/index.js'

export interface Choice {
  label: string
  color: string
  /** Checked when the page opens. */
  checked: boolean
  make: (p: Parameter) => Optimizer<object>
}

export const CHOICES: Record<string, Choice> = {
  msgd: { label: 'M-SGD (lr 0.1)', color: '#1f77b4', checked: true, make: (p) => new MSGD([p], { lr: 0.1 }) },
  mssd: { label: 'M-SSD (lr 3e-4)', color: '#d62728', checked: true, make: (p) => new MSSD([p], { lr: 3e-4 }) },
  msvag: { label: 'M-SVAG (lr 0.3)', color: '#2ca02c', checked: true, make: (p) => new MSVAG([p], { lr: 0.3 }) },
  adam: { label: 'Adam (lr 1e-3)', color: '#ff7f0e', checked: true, make: (p) => new Adam([p], { lr: 1e-3 }) },
  sgd: {
    label: 'SGD + momentum 0.9 (lr 0.01)',
    color: '#8c564b',
    checked: false,
    make: (p) => new SGD([p], { lr: 0.01, momentum: 0.9 }),
  },
  ssd: { label: 'SSD (lr 1e-3)', color: '#e377c2', checked: false, make: (p) => new SSD([p], { lr: 1e-3 }) },
  svag: { label: 'SVAG (lr 0.3)', color: '#17becf', checked: false, make: (p) => new SVAG([p], { lr: 0.3 }) },
  adamw: { label: 'AdamW (lr 1e-3)', color: '#bcbd22', checked: false, make: (p) => new AdamW([p], { lr: 1e-3 }) },
  lion: { label: 'Lion (lr 1e-4)', color: '#7f7f7f', checked: false, make: (p) => new Lion([p], { lr: 1e-4 }) },
  rmsprop: {
    label: 'RMSprop (lr 1e-3)',
    color: '#9467bd',
    checked: false,
    make: (p) => new RMSprop([p], { lr: 1e-3 }),
  },
  adagrad: {
    label: 'Adagrad (lr 0.01)',
    color: '#aec7e8',
    checked: false,
    make: (p) => new Adagrad([p], { lr: 0.01 }),
  },
}

/** Messages from the page to the worker. */
export type ToWorker = { type: 'start'; data: ArrayBuffer; optimizers: string[] } | { type: 'stop' }

/** Messages from the worker to the page. */
export type FromWorker =
  | { type: 'ready'; simd: boolean; shared: boolean; train: number; test: number }
  | { type: 'progress'; key: string; step: number; loss: number; stepsPerSecond: number; optimizerMicros: number }
  | { type: 'eval'; key: string; step: number; accuracy: number }
  | { type: 'error'; message: string }
