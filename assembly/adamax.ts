import { KEY_M, KEY_U, keys, offsetOf, packAll, slot, STATE_BLOCK, STATE_F32, unpackAll } from './codec'
import { abs, add, div, ema, max, mul, neg, simdBytes, splat, sub } from './lanes'

/**
 * Adamax (Kingma & Ba 2015, §7.1; PyTorch semantics, docs/algorithms.md §3): Adam with the
 * infinity norm in place of the second moment.
 *   g ← −g if maximize;   g ← g + wd·θ if wd ≠ 0
 *   m ← β1·m + (1 − β1)·g
 *   u ← max(β2·u, |g| + ε)
 *   θ ← θ − clr·m/u                          clr = lr/(1 − β1ᵗ)
 */
export function adamax(p: usize, g: usize, m: usize, u: usize, n: i32, b1: f32, omb1: f32, b2: f32, clr: f32,
  eps: f32, wd: f32, maximize: bool, flush: bool, fmt: i32, salt: u32, at: i32): void {
  if (fmt != STATE_F32) {
    for (let e = 0; e < n; e += STATE_BLOCK) {
      const len = min(STATE_BLOCK, n - e), o = offsetOf(fmt, e)
      unpackAll(fmt, m, u, 0, o, len, keys(KEY_M, KEY_U))
      adamax32(p + (<usize>e << 2), g + (<usize>e << 2), slot(0, m), slot(1, u), len, b1, omb1, b2, clr, eps, wd,
        maximize)
      packAll(fmt, m, u, 0, o, len, keys(KEY_M, KEY_U), flush, salt, at + e)
    }
    return
  }
  adamax32(p, g, m, u, n, b1, omb1, b2, clr, eps, wd, maximize)
}

/** The float32 path, also each compact block's: with the kernel's own arguments, which V8 compiles best. */
function adamax32(p: usize, g: usize, m: usize, u: usize, n: i32, b1: f32, omb1: f32, b2: f32, clr: f32, eps: f32,
  wd: f32, maximize: bool): void {
  const mid = simdBytes(n)
  if (ASC_FEATURE_SIMD) {
    // No maximize, no weight decay, the common case: inlined with constants, its branches fold away.
    if (!maximize && wd == 0) adamaxRange<v128>(p, g, m, u, 0, mid, b1, omb1, b2, clr, eps, 0, false)
    else adamaxRange<v128>(p, g, m, u, 0, mid, b1, omb1, b2, clr, eps, wd, maximize)
  }
  adamaxRange<f32>(p, g, m, u, mid, <usize>n << 2, b1, omb1, b2, clr, eps, wd, maximize)
}

// @ts-ignore: decorator
@inline function adamaxRange<T>(p: usize, g: usize, m: usize, u: usize, from: usize, to: usize, b1: f32, omb1: f32,
  b2: f32, clr: f32, eps: f32, wd: f32, maximize: bool): void {
  const B1 = splat<T>(b1), OMB1 = splat<T>(omb1), B2 = splat<T>(b2), CLR = splat<T>(clr), EPS = splat<T>(eps)
  const WD = splat<T>(wd)
  for (let i = from; i < to; i += sizeof<T>()) {
    const pi = load<T>(p + i)
    let gi = load<T>(g + i)
    if (maximize) gi = neg<T>(gi)
    if (wd != 0) gi = add<T>(gi, mul<T>(WD, pi))
    const mi = ema<T>(load<T>(m + i), gi, B1, OMB1)
    const ui = max<T>(mul<T>(B2, load<T>(u + i)), add<T>(abs<T>(gi), EPS))
    store<T>(m + i, mi)
    store<T>(u + i, ui)
    store<T>(p + i, sub<T>(pi, mul<T>(CLR, div<T>(mi, ui))))
  }
}
