import { add, div, mul, simdBytes, splat, sqrt } from '../lanes'

/**
 * tf.train.adagrad (TF.js 4.22), c = −lr, ε the backend's:
 *   acc' = acc + g²;   θ ← (g / √(acc' + ε))·c + θ
 */
export function tfadagrad(p: usize, g: usize, acc: usize, n: i32, eps: f32, c: f32): void {
  const mid = simdBytes(n)
  if (ASC_FEATURE_SIMD) adagradRange<v128>(p, g, acc, 0, mid, eps, c)
  adagradRange<f32>(p, g, acc, mid, <usize>n << 2, eps, c)
}

// @ts-ignore: decorator
@inline function adagradRange<T>(p: usize, g: usize, acc: usize, from: usize, to: usize, eps: f32, c: f32): void {
  const EPS = splat<T>(eps), C = splat<T>(c)
  for (let i = from; i < to; i += sizeof<T>()) {
    const gi = load<T>(g + i)
    const ai = add<T>(load<T>(acc + i), mul<T>(gi, gi))
    store<T>(acc + i, ai)
    store<T>(p + i, add<T>(mul<T>(div<T>(gi, sqrt<T>(add<T>(ai, EPS))), C), load<T>(p + i)))
  }
}

/**
 * tf.train.adadelta (TF.js 4.22), c = −lr. The update is scaled by the accumulated gradient of
 * the step before (TF.js's order; PyTorch's Adadelta uses the new one):
 *   ag' = ag·ρ + g²·(1 − ρ);   u = (√(au + ε) / √(ag + ε))·g
 *   au' = au·ρ + u²·(1 − ρ);   θ ← u·c + θ
 */
export function tfadadelta(p: usize, g: usize, ag: usize, au: usize, n: i32, rho: f32, omr: f32, eps: f32, c: f32): void {
  const mid = simdBytes(n)
  if (ASC_FEATURE_SIMD) adadeltaRange<v128>(p, g, ag, au, 0, mid, rho, omr, eps, c)
  adadeltaRange<f32>(p, g, ag, au, mid, <usize>n << 2, rho, omr, eps, c)
}

// @ts-ignore: decorator
@inline function adadeltaRange<T>(p: usize, g: usize, ag: usize, au: usize, from: usize, to: usize, rho: f32, omr: f32,
  eps: f32, c: f32): void {
  const RHO = splat<T>(rho), OMR = splat<T>(omr), EPS = splat<T>(eps), C = splat<T>(c)
  for (let i = from; i < to; i += sizeof<T>()) {
    const gi = load<T>(g + i)
    const agi = load<T>(ag + i), aui = load<T>(au + i)
    const u = mul<T>(div<T>(sqrt<T>(add<T>(aui, EPS)), sqrt<T>(add<T>(agi, EPS))), gi)
    store<T>(ag + i, add<T>(mul<T>(agi, RHO), mul<T>(mul<T>(gi, gi), OMR)))
    store<T>(au + i, add<T>(mul<T>(aui, RHO), mul<T>(mul<T>(u, u), OMR)))
    store<T>(p + i, add<T>(mul<T>(u, C), load<T>(p + i)))
  }
}
