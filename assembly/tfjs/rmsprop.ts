import { add, div, mul, simdBytes, splat, sqrt, sub } from '../lanes'

/**
 * tf.train.rmsprop (TF.js 4.22): ε inside the root, and for the centered form subtracted with the
 * mean's square (TF.js's order):
 *   ms' = ms·ρ + g²·(1 − ρ)
 *   centered: mg' = mg·ρ + g·(1 − ρ);  u = g·lr / √(ms' − (mg'² + ε));   else u = g·lr / √(ms' + ε)
 *   mom' = mom·μ + u;   θ ← θ − mom'
 */
export function tfrmsprop(p: usize, g: usize, ms: usize, mom: usize, mg: usize, n: i32, rho: f32, omr: f32, lr: f32,
  mu: f32, eps: f32, centered: bool): void {
  const mid = simdBytes(n)
  if (ASC_FEATURE_SIMD) {
    if (centered) range<v128>(p, g, ms, mom, mg, 0, mid, rho, omr, lr, mu, eps, true)
    else range<v128>(p, g, ms, mom, mg, 0, mid, rho, omr, lr, mu, eps, false)
  }
  range<f32>(p, g, ms, mom, mg, mid, <usize>n << 2, rho, omr, lr, mu, eps, centered)
}

// @ts-ignore: decorator
@inline function range<T>(p: usize, g: usize, ms: usize, mom: usize, mg: usize, from: usize, to: usize, rho: f32, omr: f32,
  lr: f32, mu: f32, eps: f32, centered: bool): void {
  const RHO = splat<T>(rho), OMR = splat<T>(omr), LR = splat<T>(lr), MU = splat<T>(mu), EPS = splat<T>(eps)
  for (let i = from; i < to; i += sizeof<T>()) {
    const gi = load<T>(g + i)
    const msi = add<T>(mul<T>(load<T>(ms + i), RHO), mul<T>(mul<T>(gi, gi), OMR))
    store<T>(ms + i, msi)
    let d: T
    if (centered) {
      const mgi = add<T>(mul<T>(load<T>(mg + i), RHO), mul<T>(gi, OMR))
      store<T>(mg + i, mgi)
      d = sqrt<T>(sub<T>(msi, add<T>(mul<T>(mgi, mgi), EPS)))
    } else {
      d = sqrt<T>(add<T>(msi, EPS))
    }
    const momi = add<T>(mul<T>(load<T>(mom + i), MU), div<T>(mul<T>(gi, LR), d))
    store<T>(mom + i, momi)
    store<T>(p + i, sub<T>(load<T>(p + i), momi))
  }
}
