// The training loop, in a Web Worker so the page stays responsive. Every chosen optimizer trains
// its own copy of the same MLP (same initial weights) on the same sequence of mini-batches of 64;
// the worker reports the training loss every 10 steps, the test accuracy every 100, and the
// diagnostics of opt.stats() (mean γ, the estimated probability that the gradient's sign is right)
// every LENS steps.
import { init, parameter } from '../../src/index.js'
import { rng } from '../rng.js'
import { INPUT, initialise, pass, SIZE, workspace } from './mlp.js'
import { CHOICES, type FromWorker, type ToWorker } from './optimizers.js'

const BATCH = 64
const TRAIN = 8000
const EVAL = 1000
const LENS = 20

let running = false
const post = (m: FromWorker) => self.postMessage(m)

async function train(data: ArrayBuffer, keys: string[]): Promise<void> {
  const { simd, shared } = await init()
  const bytes = new Uint8Array(data)
  const count = Math.floor(bytes.length / (INPUT + 1))
  const labels = bytes.subarray(0, count)
  const pixels = bytes.subarray(count)
  const test = count - TRAIN
  post({ type: 'ready', simd, shared, train: TRAIN, test })

  // The evaluation set: the first EVAL digits of the test split, as floats, once.
  const evalX = new Float32Array(EVAL * INPUT)
  for (let i = 0; i < EVAL * INPUT; i++) evalX[i] = pixels[TRAIN * INPUT + i] / 255
  const evalY = labels.subarray(TRAIN, TRAIN + EVAL)
  const evalWs = workspace(EVAL)

  const init0 = new Float32Array(SIZE)
  initialise(init0, rng(7))
  const runs = keys.map((key) => {
    const p = parameter(init0)
    return { key, p, opt: CHOICES[key].make(p), loss: NaN, optMs: 0 }
  })
  const x = new Float32Array(BATCH * INPUT)
  const y = new Uint8Array(BATCH)
  const ws = workspace(BATCH)
  const pick = rng(11)
  const started = performance.now()
  running = true
  let lastStep = 0
  for (let step = 1; running; step++) {
    lastStep = step
    for (let n = 0; n < BATCH; n++) {
      const k = Math.floor(pick() * TRAIN)
      y[n] = labels[k]
      for (let i = 0; i < INPUT; i++) x[n * INPUT + i] = pixels[k * INPUT + i] / 255
    }
    for (const r of runs) {
      const { loss } = pass(r.p.param, x, y, BATCH, ws, r.p.grad)
      const t0 = performance.now()
      r.opt.step()
      r.optMs += performance.now() - t0
      if (step % LENS === 0) {
        // After step() and before the next gradient: what the step just used.
        const s = r.opt.stats().total
        post({ type: 'lens', key: r.key, step, gamma: s.gamma?.mean ?? null, signProbability: s.signProbability })
      }
      r.loss = Number.isNaN(r.loss) ? loss : 0.9 * r.loss + 0.1 * loss
    }
    if (step % 10 === 0) {
      const stepsPerSecond = (step * 1000) / (performance.now() - started)
      for (const r of runs) {
        post({
          type: 'progress',
          key: r.key,
          step,
          loss: r.loss,
          stepsPerSecond,
          optimizerMicros: (r.optMs * 1000) / step,
        })
      }
    }
    if (step % 100 === 0 || step === 20) {
      for (const r of runs) {
        const { correct } = pass(r.p.param, evalX, evalY, EVAL, evalWs)
        post({ type: 'eval', key: r.key, step, accuracy: correct / EVAL })
      }
    }
    // Let a 'stop' message in.
    await new Promise((resolve) => setTimeout(resolve, 0))
  }
  for (const r of runs) {
    r.opt.dispose()
    r.p.dispose()
  }
  post({ type: 'stopped', step: lastStep })
}

self.onmessage = (e: MessageEvent<ToWorker>) => {
  const m = e.data
  if (m.type === 'stop') running = false
  else train(m.data, m.optimizers).catch((err) => post({ type: 'error', message: String(err) }))
}
