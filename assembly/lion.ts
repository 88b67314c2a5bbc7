import { KEY_M, keys, offsetOf, packAll, slot, STATE_BLOCK, STATE_F32, unpackAll } from './codec'
import { ema, mul, sign, simdBytes, splat, sub } from './lanes'

/**
 * Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms"; docs/algorithms.md §3):
 *   u = β1·m + (1 − β1)·g
 *   θ ← decay·θ if decay ≠ 1;   θ ← θ − lr·sign(u)     decay = 1 − lr·wd
 *   m ← β2·m + (1 − β2)·g
 */
export function lion(p: usize, g: usize, m: usize, n: i32, b1: f32, omb1: f32, b2: f32, omb2: f32, lr: f32,
  decay: f32, flush: bool, fmt: i32, salt: u32, at: i32): void {
  if (fmt != STATE_F32) {
    for (let e = 0; e < n; e += STATE_BLOCK) {
      const len = min(STATE_BLOCK, n - e), o = offsetOf(fmt, e)
      unpackAll(fmt, m, 0, 0, o, len, keys(KEY_M))
      lion32(p + (<usize>e << 2), g + (<usize>e << 2), slot(0, m), len, b1, omb1, b2, omb2, lr, decay)
      packAll(fmt, m, 0, 0, o, len, keys(KEY_M), flush, salt, at + e)
    }
    return
  }
  lion32(p, g, m, n, b1, omb1, b2, omb2, lr, decay)
}

/** The float32 path, also each compact block's: with the kernel's own arguments, which V8 compiles best. */
function lion32(p: usize, g: usize, m: usize, n: i32, b1: f32, omb1: f32, b2: f32, omb2: f32, lr: f32, decay: f32): void {
  const mid = simdBytes(n)
  if (ASC_FEATURE_SIMD) {
    // No weight decay, the common case: inlined with a constant, its branch folds away.
    if (decay == 1) lionRange<v128>(p, g, m, 0, mid, b1, omb1, b2, omb2, lr, 1)
    else lionRange<v128>(p, g, m, 0, mid, b1, omb1, b2, omb2, lr, decay)
  }
  lionRange<f32>(p, g, m, mid, <usize>n << 2, b1, omb1, b2, omb2, lr, decay)
}

// @ts-ignore: decorator
@inline function lionRange<T>(p: usize, g: usize, m: usize, from: usize, to: usize, b1: f32, omb1: f32,
  b2: f32, omb2: f32, lr: f32, decay: f32): void {
  const B1 = splat<T>(b1), OMB1 = splat<T>(omb1), B2 = splat<T>(b2), OMB2 = splat<T>(omb2)
  const LR = splat<T>(lr), DECAY = splat<T>(decay)
  for (let i = from; i < to; i += sizeof<T>()) {
    let pi = load<T>(p + i)
    const gi = load<T>(g + i)
    const mi = load<T>(m + i)
    if (decay != 1) pi = mul<T>(DECAY, pi)
    store<T>(p + i, sub<T>(pi, mul<T>(LR, sign<T>(ema<T>(mi, gi, B1, OMB1)))))
    store<T>(m + i, ema<T>(mi, gi, B2, OMB2))
  }
}
