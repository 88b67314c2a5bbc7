import { abs, add, div, max, mul, simdBytes, splat, sqrt } from '../lanes'

/**
 * tf.train.adam (TF.js 4.22). c1 = 1 − β1ᵗ and c2 = 1 − β2ᵗ with βᵗ a float32 running product, as
 * TF.js keeps it; ε the backend's; c = −lr:
 *   m' = m·β1 + g·(1 − β1);   v' = v·β2 + g²·(1 − β2)
 *   θ ← ((m'/c1) / (√(v'/c2) + ε))·c + θ
 */
export function tfadam(p: usize, g: usize, m: usize, v: usize, n: i32, b1: f32, omb1: f32, b2: f32, omb2: f32, c1: f32,
  c2: f32, eps: f32, c: f32): void {
  const mid = simdBytes(n)
  if (ASC_FEATURE_SIMD) adamRange<v128>(p, g, m, v, 0, mid, b1, omb1, b2, omb2, c1, c2, eps, c)
  adamRange<f32>(p, g, m, v, mid, <usize>n << 2, b1, omb1, b2, omb2, c1, c2, eps, c)
}

// @ts-ignore: decorator
@inline function adamRange<T>(p: usize, g: usize, m: usize, v: usize, from: usize, to: usize, b1: f32, omb1: f32, b2: f32,
  omb2: f32, c1: f32, c2: f32, eps: f32, c: f32): void {
  const B1 = splat<T>(b1), OMB1 = splat<T>(omb1), B2 = splat<T>(b2), OMB2 = splat<T>(omb2), C1 = splat<T>(c1)
  const C2 = splat<T>(c2), EPS = splat<T>(eps), C = splat<T>(c)
  for (let i = from; i < to; i += sizeof<T>()) {
    const gi = load<T>(g + i)
    const mi = add<T>(mul<T>(load<T>(m + i), B1), mul<T>(gi, OMB1))
    const vi = add<T>(mul<T>(load<T>(v + i), B2), mul<T>(mul<T>(gi, gi), OMB2))
    store<T>(m + i, mi)
    store<T>(v + i, vi)
    const u = div<T>(div<T>(mi, C1), add<T>(sqrt<T>(div<T>(vi, C2)), EPS))
    store<T>(p + i, add<T>(mul<T>(u, C), load<T>(p + i)))
  }
}

/**
 * tf.train.adamax (TF.js 4.22): no ε inside the maximum (PyTorch's has one), ε added to it in the
 * denominator; lrc = (−lr/(1 + it·decay)) / (1 − β1ᵗ), computed in float32 as TF.js does:
 *   m' = m·β1 + g·(1 − β1);   u' = max(u·β2, |g|);   θ ← lrc·(m' / (u' + ε)) + θ
 */
export function tfadamax(p: usize, g: usize, m: usize, u: usize, n: i32, b1: f32, omb1: f32, b2: f32, lrc: f32, eps: f32): void {
  const mid = simdBytes(n)
  if (ASC_FEATURE_SIMD) adamaxRange<v128>(p, g, m, u, 0, mid, b1, omb1, b2, lrc, eps)
  adamaxRange<f32>(p, g, m, u, mid, <usize>n << 2, b1, omb1, b2, lrc, eps)
}

// @ts-ignore: decorator
@inline function adamaxRange<T>(p: usize, g: usize, m: usize, u: usize, from: usize, to: usize, b1: f32, omb1: f32, b2: f32,
  lrc: f32, eps: f32): void {
  const B1 = splat<T>(b1), OMB1 = splat<T>(omb1), B2 = splat<T>(b2), LRC = splat<T>(lrc), EPS = splat<T>(eps)
  for (let i = from; i < to; i += sizeof<T>()) {
    const gi = load<T>(g + i)
    const mi = add<T>(mul<T>(load<T>(m + i), B1), mul<T>(gi, OMB1))
    const ui = max<T>(mul<T>(load<T>(u + i), B2), abs<T>(gi))
    store<T>(m + i, mi)
    store<T>(u + i, ui)
    store<T>(p + i, add<T>(mul<T>(LRC, div<T>(mi, add<T>(ui, EPS))), load<T>(p + i)))
  }
}
