import { KEY_S, keys, offsetOf, packAll, slot, STATE_BLOCK, STATE_F32, unpackAll } from './codec'
import { add, div, mul, neg, simdBytes, splat, sqrt, square, squareBelow, sub } from './lanes'

/**
 * Adagrad (Duchi et al. 2011; PyTorch semantics, docs/algorithms.md §3):
 *   g ← −g if maximize;   g ← g + wd·θ if wd ≠ 0
 *   s ← s + g²
 *   θ ← θ − clr·g/(√s + ε)          clr = lr / (1 + (t − 1)·lrDecay)
 * With flush, a square that would be subnormal is 0 (square() in lanes.ts; docs/algorithms.md §4).
 */
export function adagrad(p: usize, g: usize, s: usize, n: i32, clr: f32, eps: f32, wd: f32, maximize: bool,
  flush: bool, fmt: i32, salt: u32, at: i32): void {
  if (fmt != STATE_F32) {
    for (let e = 0; e < n; e += STATE_BLOCK) {
      const len = min(STATE_BLOCK, n - e), o = offsetOf(fmt, e)
      unpackAll(fmt, s, 0, 0, o, len, keys(KEY_S))
      adagrad32(p + (<usize>e << 2), g + (<usize>e << 2), slot(0, s), len, clr, eps, wd, maximize, flush)
      packAll(fmt, s, 0, 0, o, len, keys(KEY_S), flush, salt, at + e)
    }
    return
  }
  adagrad32(p, g, s, n, clr, eps, wd, maximize, flush)
}

/** The float32 path, also each compact block's: with the kernel's own arguments, which V8 compiles best. */
function adagrad32(p: usize, g: usize, s: usize, n: i32, clr: f32, eps: f32, wd: f32, maximize: bool, flush: bool): void {
  const mid = simdBytes(n)
  if (ASC_FEATURE_SIMD) {
    // No maximize, no weight decay, the common case: inlined with constants, its branches fold away.
    if (wd == 0 && !maximize) adagradRange<v128>(p, g, s, 0, mid, clr, eps, 0, false, flush)
    else adagradRange<v128>(p, g, s, 0, mid, clr, eps, wd, maximize, flush)
  }
  adagradRange<f32>(p, g, s, mid, <usize>n << 2, clr, eps, wd, maximize, flush)
}

// @ts-ignore: decorator
@inline function adagradRange<T>(p: usize, g: usize, s: usize, from: usize, to: usize, clr: f32, eps: f32,
  wd: f32, maximize: bool, flush: bool): void {
  const CLR = splat<T>(clr), EPS = splat<T>(eps), WD = splat<T>(wd)
  const SQ = squareBelow<T>(flush)
  for (let i = from; i < to; i += sizeof<T>()) {
    const pi = load<T>(p + i)
    let gi = load<T>(g + i)
    if (maximize) gi = neg<T>(gi)
    if (wd != 0) gi = add<T>(gi, mul<T>(WD, pi))
    const si = add<T>(load<T>(s + i), square<T>(gi, SQ))
    store<T>(s + i, si)
    store<T>(p + i, sub<T>(pi, mul<T>(CLR, div<T>(gi, add<T>(sqrt<T>(si), EPS)))))
  }
}
