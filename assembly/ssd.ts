import { mul, sign, simdBytes, splat, sub } from './lanes'

/**
 * SSD, stochastic sign descent (signSGD; docs/algorithms.md §2):
 *   θ ← decay·θ if decay ≠ 1;   θ ← θ − lr·sign(g)
 */
export function ssd(p: usize, g: usize, n: i32, lr: f32, decay: f32): void {
  const mid = simdBytes(n)
  if (ASC_FEATURE_SIMD) {
    // No weight decay, the common case: inlined with a constant, its branch folds away.
    if (decay == 1) ssdRange<v128>(p, g, 0, mid, lr, 1)
    else ssdRange<v128>(p, g, 0, mid, lr, decay)
  }
  ssdRange<f32>(p, g, mid, <usize>n << 2, lr, decay)
}

// @ts-ignore: decorator
@inline function ssdRange<T>(p: usize, g: usize, from: usize, to: usize, lr: f32, decay: f32): void {
  const LR = splat<T>(lr), DECAY = splat<T>(decay)
  for (let i = from; i < to; i += sizeof<T>()) {
    let pi = load<T>(p + i)
    if (decay != 1) pi = mul<T>(DECAY, pi)
    store<T>(p + i, sub<T>(pi, mul<T>(LR, sign<T>(load<T>(g + i)))))
  }
}
