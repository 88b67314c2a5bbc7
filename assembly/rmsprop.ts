import { KEY_A, KEY_B, KEY_V, keys, offsetOf, packAll, slot, STATE_BLOCK, STATE_F32, unpackAll } from './codec'
import { add, div, ema, mul, neg, simdBytes, splat, sqrt, square, squareBelow, sub } from './lanes'

/**
 * RMSprop (Hinton 2012; PyTorch semantics, docs/algorithms.md §3):
 *   g ← −g if maximize;   g ← g + wd·θ if wd ≠ 0
 *   v ← α·v + (1 − α)·g²
 *   centered: a ← α·a + (1 − α)·g,  d = √(v − a²) + ε;   else d = √v + ε
 *   μ ≠ 0:  b ← μ·b + g/d,  θ ← θ − lr·b;               else θ ← θ − lr·(g/d)
 * oma = 1 − α. a and b are not touched unless centered, resp. μ ≠ 0.
 * With flush, a square that would be subnormal is 0 (square() in lanes.ts; docs/algorithms.md §4).
 */
export function rmsprop(p: usize, g: usize, v: usize, a: usize, b: usize, n: i32, alpha: f32, oma: f32, eps: f32,
  lr: f32, mu: f32, wd: f32, centered: bool, maximize: bool, flush: bool, fmt: i32, salt: u32, at: i32): void {
  if (fmt != STATE_F32) {
    for (let e = 0; e < n; e += STATE_BLOCK) {
      const len = min(STATE_BLOCK, n - e), o = offsetOf(fmt, e)
      unpackAll(fmt, v, a, b, o, len, keys(KEY_V, KEY_A, KEY_B))
      rmsprop32(p + (<usize>e << 2), g + (<usize>e << 2), slot(0, v), slot(1, a), slot(2, b), len, alpha, oma, eps,
        lr, mu, wd, centered, maximize, flush)
      packAll(fmt, v, a, b, o, len, keys(KEY_V, KEY_A, KEY_B), flush, salt, at + e)
    }
    return
  }
  rmsprop32(p, g, v, a, b, n, alpha, oma, eps, lr, mu, wd, centered, maximize, flush)
}

/** The float32 path, also each compact block's: with the kernel's own arguments, which V8 compiles best. */
function rmsprop32(p: usize, g: usize, v: usize, a: usize, b: usize, n: i32, alpha: f32, oma: f32, eps: f32, lr: f32,
  mu: f32, wd: f32, centered: bool, maximize: bool, flush: bool): void {
  const mid = simdBytes(n)
  if (ASC_FEATURE_SIMD) {
    // Every option off, the common case: inlined with constants, its branches fold away.
    if (mu == 0 && wd == 0 && !centered && !maximize) rmspropRange<v128>(p, g, v, a, b, 0, mid, alpha, oma, eps, lr, 0, 0, false, false, flush)
    else rmspropRange<v128>(p, g, v, a, b, 0, mid, alpha, oma, eps, lr, mu, wd, centered, maximize, flush)
  }
  rmspropRange<f32>(p, g, v, a, b, mid, <usize>n << 2, alpha, oma, eps, lr, mu, wd, centered, maximize, flush)
}

// @ts-ignore: decorator
@inline function rmspropRange<T>(p: usize, g: usize, v: usize, a: usize, b: usize, from: usize, to: usize,
  alpha: f32, oma: f32, eps: f32, lr: f32, mu: f32, wd: f32, centered: bool, maximize: bool, flush: bool): void {
  const ALPHA = splat<T>(alpha), OMA = splat<T>(oma), EPS = splat<T>(eps), LR = splat<T>(lr)
  const MU = splat<T>(mu), WD = splat<T>(wd)
  const SQ = squareBelow<T>(flush)
  for (let i = from; i < to; i += sizeof<T>()) {
    const pi = load<T>(p + i)
    let gi = load<T>(g + i)
    if (maximize) gi = neg<T>(gi)
    if (wd != 0) gi = add<T>(gi, mul<T>(WD, pi))
    const vi = ema<T>(load<T>(v + i), square<T>(gi, SQ), ALPHA, OMA)
    store<T>(v + i, vi)
    let d: T
    if (centered) {
      const ai = ema<T>(load<T>(a + i), gi, ALPHA, OMA)
      store<T>(a + i, ai)
      d = add<T>(sqrt<T>(sub<T>(vi, square<T>(ai, SQ))), EPS)
    } else {
      d = add<T>(sqrt<T>(vi), EPS)
    }
    let u = div<T>(gi, d)
    if (mu != 0) {
      u = add<T>(mul<T>(MU, load<T>(b + i)), u)
      store<T>(b + i, u)
    }
    store<T>(p + i, sub<T>(pi, mul<T>(LR, u)))
  }
}
