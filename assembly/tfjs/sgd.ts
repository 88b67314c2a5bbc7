import { add, mul, simdBytes, splat } from '../lanes'

/**
 * tf.train.sgd and tf.train.momentum (TF.js 4.22), c = −lr:
 *   no momentum buffer (acc = 0):  θ ← c·g + θ
 *   acc' = μ·acc + g;   θ ← c·(g + acc'·μ) + θ (Nesterov), else θ ← c·acc' + θ
 */
export function tfsgd(p: usize, g: usize, acc: usize, n: i32, c: f32, mu: f32, nesterov: bool): void {
  const mid = simdBytes(n)
  if (ASC_FEATURE_SIMD) {
    if (acc == 0) range<v128>(p, g, 0, 0, mid, c, mu, false)
    else if (nesterov) range<v128>(p, g, acc, 0, mid, c, mu, true)
    else range<v128>(p, g, acc, 0, mid, c, mu, false)
  }
  range<f32>(p, g, acc, mid, <usize>n << 2, c, mu, nesterov)
}

// @ts-ignore: decorator
@inline function range<T>(p: usize, g: usize, acc: usize, from: usize, to: usize, c: f32, mu: f32, nesterov: bool): void {
  const C = splat<T>(c), MU = splat<T>(mu)
  for (let i = from; i < to; i += sizeof<T>()) {
    const gi = load<T>(g + i)
    let step = gi
    if (acc != 0) {
      const ai = add<T>(mul<T>(MU, load<T>(acc + i)), gi)
      store<T>(acc + i, ai)
      step = nesterov ? add<T>(gi, mul<T>(ai, MU)) : ai
    }
    store<T>(p + i, add<T>(mul<T>(C, step), load<T>(p + i)))
  }
}
