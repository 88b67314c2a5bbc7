import { ema, mul, sign, simdBytes, splat, sub } from './lanes'

/**
 * SSD, stochastic sign descent (signSGD; SPEC §2):
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

/**
 * M-SSD, sign descent with momentum (Signum; SPEC §2). Bias correction cannot change a sign.
 *   θ ← decay·θ if decay ≠ 1;   m ← β·m + (1 − β)·g;   θ ← θ − lr·sign(m)
 *   v ← β·v + (1 − β)·g² if v ≠ 0     (address 0: not tracked; only the diagnostics read v)
 */
export function mssd(p: usize, g: usize, m: usize, v: usize, n: i32, beta: f32, omb: f32, lr: f32, decay: f32): void {
  const mid = simdBytes(n)
  if (ASC_FEATURE_SIMD) {
    if (decay == 1 && v == 0) mssdRange<v128>(p, g, m, 0, 0, mid, beta, omb, lr, 1)
    else mssdRange<v128>(p, g, m, v, 0, mid, beta, omb, lr, decay)
  }
  mssdRange<f32>(p, g, m, v, mid, <usize>n << 2, beta, omb, lr, decay)
}

// @ts-ignore: decorator
@inline function mssdRange<T>(p: usize, g: usize, m: usize, v: usize, from: usize, to: usize, beta: f32, omb: f32,
  lr: f32, decay: f32): void {
  const BETA = splat<T>(beta), OMB = splat<T>(omb), LR = splat<T>(lr), DECAY = splat<T>(decay)
  for (let i = from; i < to; i += sizeof<T>()) {
    let pi = load<T>(p + i)
    const gi = load<T>(g + i)
    if (decay != 1) pi = mul<T>(DECAY, pi)
    const mi = ema<T>(load<T>(m + i), gi, BETA, OMB)
    store<T>(m + i, mi)
    if (v != 0) store<T>(v + i, ema<T>(load<T>(v + i), mul<T>(gi, gi), BETA, OMB))
    store<T>(p + i, sub<T>(pi, mul<T>(LR, sign<T>(mi))))
  }
}
