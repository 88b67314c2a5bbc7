// A small multilayer perceptron, 784 → 64 → 10 with ReLU and softmax cross-entropy, written
// in plain TypeScript over Float32Arrays. Its weights and gradients are one flat parameter() of
// wasm-optim, so the optimizer updates them in place with no copies.
export const INPUT = 784
export const HIDDEN = 64
export const CLASSES = 10
/** Number of parameters: W1 (64×784), b1, W2 (10×64), b2. */
export const SIZE = HIDDEN * INPUT + HIDDEN + CLASSES * HIDDEN + CLASSES

/** Views of the four tensors inside one flat array (values or gradients). */
export function layers(flat: Float32Array) {
  let at = 0
  const take = (n: number) => {
    at += n
    return flat.subarray(at - n, at)
  }
  return { w1: take(HIDDEN * INPUT), b1: take(HIDDEN), w2: take(CLASSES * HIDDEN), b2: take(CLASSES) }
}

/** He initialisation for the weights, zero biases; `rand` is uniform on [0, 1). */
export function initialise(flat: Float32Array, rand: () => number): void {
  const { w1, w2 } = layers(flat)
  const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand())
  flat.fill(0)
  for (let i = 0; i < w1.length; i++) w1[i] = normal() * Math.sqrt(2 / INPUT)
  for (let i = 0; i < w2.length; i++) w2[i] = normal() * Math.sqrt(2 / HIDDEN)
}

/** Scratch space for one batch, allocated once. */
export function workspace(batch: number) {
  return { h: new Float32Array(batch * HIDDEN), p: new Float32Array(batch * CLASSES), dh: new Float32Array(HIDDEN) }
}

/**
 * Forward pass over `batch` images (x: batch × 784 in [0, 1]); with `grad`, also the backward pass,
 * writing the mean gradient of the loss into `grad`. Returns the mean loss and the number of
 * correct predictions.
 */
export function pass(
  param: Float32Array,
  x: Float32Array,
  y: Uint8Array,
  batch: number,
  ws: ReturnType<typeof workspace>,
  grad?: Float32Array,
): { loss: number; correct: number } {
  const { w1, b1, w2, b2 } = layers(param)
  const { h, p } = ws
  let loss = 0
  let correct = 0
  for (let n = 0; n < batch; n++) {
    const xn = n * INPUT
    for (let j = 0; j < HIDDEN; j++) {
      let s = b1[j]
      const wj = j * INPUT
      for (let i = 0; i < INPUT; i++) s += w1[wj + i] * x[xn + i]
      h[n * HIDDEN + j] = Math.max(s, 0)
    }
    let max = -Infinity
    for (let k = 0; k < CLASSES; k++) {
      let s = b2[k]
      for (let j = 0; j < HIDDEN; j++) s += w2[k * HIDDEN + j] * h[n * HIDDEN + j]
      p[n * CLASSES + k] = s
      if (s > max) max = s
    }
    let sum = 0
    let best = 0
    for (let k = 0; k < CLASSES; k++) {
      const e = Math.exp(p[n * CLASSES + k] - max)
      p[n * CLASSES + k] = e
      sum += e
      if (e > p[n * CLASSES + best]) best = k
    }
    for (let k = 0; k < CLASSES; k++) p[n * CLASSES + k] /= sum
    loss -= Math.log(Math.max(p[n * CLASSES + y[n]], 1e-12))
    if (best === y[n]) correct++
  }
  if (grad) backward(param, x, y, batch, ws, grad)
  return { loss: loss / batch, correct }
}

function backward(
  param: Float32Array,
  x: Float32Array,
  y: Uint8Array,
  batch: number,
  ws: ReturnType<typeof workspace>,
  grad: Float32Array,
): void {
  const { w2 } = layers(param)
  const g = layers(grad)
  const { h, p, dh } = ws
  grad.fill(0)
  for (let n = 0; n < batch; n++) {
    dh.fill(0)
    for (let k = 0; k < CLASSES; k++) {
      const d = (p[n * CLASSES + k] - (k === y[n] ? 1 : 0)) / batch
      g.b2[k] += d
      for (let j = 0; j < HIDDEN; j++) {
        g.w2[k * HIDDEN + j] += d * h[n * HIDDEN + j]
        dh[j] += d * w2[k * HIDDEN + j]
      }
    }
    const xn = n * INPUT
    for (let j = 0; j < HIDDEN; j++) {
      if (h[n * HIDDEN + j] <= 0) continue
      const d = dh[j]
      g.b1[j] += d
      const wj = j * INPUT
      for (let i = 0; i < INPUT; i++) g.w1[wj + i] += d * x[xn + i]
    }
  }
}
