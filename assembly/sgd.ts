import { KEY_B, keys, offsetOf, packAll, slot, STATE_BLOCK, STATE_F32, unpackAll } from './codec'
import { add, ema, mul, neg, simdBytes, splat, sub } from './lanes'

/**
 * SGD with PyTorch's heavy-ball momentum (docs/algorithms.md §3), one fused pass:
 *   g ← −g if maximize;  g ← g + wd·θ if wd ≠ 0
 *   if μ ≠ 0:  b ← g at t = 1, else b ← μ·b + (1 − dampening)·g
 *              g ← g + μ·b if nesterov, else g ← b
 *   θ ← θ − lr·g
 * damp1 = 1 − dampening. b is not touched when μ = 0.
 */
export function sgd(p: usize, g: usize, b: usize, n: i32, lr: f32, wd: f32, mu: f32, damp1: f32, maximize: bool,
  first: bool, nesterov: bool, flush: bool, fmt: i32, salt: u32, at: i32): void {
  if (fmt != STATE_F32) {
    for (let e = 0; e < n; e += STATE_BLOCK) {
      const len = min(STATE_BLOCK, n - e), o = offsetOf(fmt, e)
      unpackAll(fmt, b, 0, 0, o, len, keys(KEY_B))
      sgd32(p + (<usize>e << 2), g + (<usize>e << 2), slot(0, b), len, lr, wd, mu, damp1, maximize, first, nesterov)
      packAll(fmt, b, 0, 0, o, len, keys(KEY_B), flush, salt, at + e)
    }
    return
  }
  sgd32(p, g, b, n, lr, wd, mu, damp1, maximize, first, nesterov)
}

/** The float32 path, also each compact block's: with the kernel's own arguments, which V8 compiles best. */
function sgd32(p: usize, g: usize, b: usize, n: i32, lr: f32, wd: f32, mu: f32, damp1: f32, maximize: bool,
  first: bool, nesterov: bool): void {
  const mid = simdBytes(n)
  if (ASC_FEATURE_SIMD) {
    // No maximize, no weight decay, the common case: inlined with constants, its branches fold away.
    if (!maximize && wd == 0) sgdRange<v128>(p, g, b, 0, mid, lr, 0, mu, damp1, false, first, nesterov)
    else sgdRange<v128>(p, g, b, 0, mid, lr, wd, mu, damp1, maximize, first, nesterov)
  }
  sgdRange<f32>(p, g, b, mid, <usize>n << 2, lr, wd, mu, damp1, maximize, first, nesterov)
}

// @ts-ignore: decorator
@inline function sgdRange<T>(p: usize, g: usize, b: usize, from: usize, to: usize, lr: f32, wd: f32,
  mu: f32, damp1: f32, maximize: bool, first: bool, nesterov: bool): void {
  const LR = splat<T>(lr), WD = splat<T>(wd), MU = splat<T>(mu), DAMP1 = splat<T>(damp1)
  for (let i = from; i < to; i += sizeof<T>()) {
    const pi = load<T>(p + i)
    let gi = load<T>(g + i)
    if (maximize) gi = neg<T>(gi)
    if (wd != 0) gi = add<T>(gi, mul<T>(WD, pi))
    if (mu != 0) {
      const bi = first ? gi : ema<T>(load<T>(b + i), gi, MU, DAMP1)
      store<T>(b + i, bi)
      gi = nesterov ? add<T>(gi, mul<T>(MU, bi)) : bi
    }
    store<T>(p + i, sub<T>(pi, mul<T>(LR, gi)))
  }
}
