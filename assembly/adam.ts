import { KEY_M, KEY_V, KEY_VMAX, keys, offsetOf, packAll, slot, STATE_BLOCK, STATE_F32, unpackAll } from './codec'
import { add, div, ema, max, mul, neg, simdBytes, splat, sqrt, square, squareBelow, sub } from './lanes'

/**
 * Adam and AdamW (Kingma & Ba 2015; Loshchilov & Hutter 2019; docs/algorithms.md §3), one fused pass:
 *   g ← −g if maximize;   g ← g + wd·θ if wd ≠ 0        Adam's coupled L2 (AdamW passes wd = 0)
 *   θ ← decay·θ if decay ≠ 1                             AdamW: decay = 1 − lr·wd
 *   m ← β1·m + (1 − β1)·g;   v ← β2·v + (1 − β2)·g²
 *   u = max(vmax, v), stored back to vmax, if amsgrad; else u = v
 *   θ ← θ − lrc1·m / (√u·rc2 + ε)                       lrc1 = lr/(1 − β1ᵗ), rc2 = 1/√(1 − β2ᵗ)
 * With flush, a square that would be subnormal is 0 (square() in lanes.ts; docs/algorithms.md §4).
 * State in format fmt (compact.ts): m, v and vmax decoded a block at a time, stepped, encoded.
 */
export function adam(p: usize, g: usize, m: usize, v: usize, vmax: usize, n: i32, b1: f32, omb1: f32, b2: f32,
  omb2: f32, lrc1: f32, rc2: f32, eps: f32, wd: f32, decay: f32, maximize: bool, amsgrad: bool, flush: bool,
  fmt: i32, salt: u32, at: i32): void {
  if (fmt != STATE_F32) {
    for (let e = 0; e < n; e += STATE_BLOCK) {
      const len = min(STATE_BLOCK, n - e), o = offsetOf(fmt, e)
      unpackAll(fmt, m, v, vmax, o, len, keys(KEY_M, KEY_V, KEY_VMAX))
      adam32(p + (<usize>e << 2), g + (<usize>e << 2), slot(0, m), slot(1, v), slot(2, vmax), len, b1, omb1, b2,
        omb2, lrc1, rc2, eps, wd, decay, maximize, amsgrad, flush)
      packAll(fmt, m, v, vmax, o, len, keys(KEY_M, KEY_V, KEY_VMAX), flush, salt, at + e)
    }
    return
  }
  adam32(p, g, m, v, vmax, n, b1, omb1, b2, omb2, lrc1, rc2, eps, wd, decay, maximize, amsgrad, flush)
}

/** The float32 path, also each compact block's: with the kernel's own arguments, which V8 compiles best. */
function adam32(p: usize, g: usize, m: usize, v: usize, vmax: usize, n: i32, b1: f32, omb1: f32, b2: f32, omb2: f32,
  lrc1: f32, rc2: f32, eps: f32, wd: f32, decay: f32, maximize: bool, amsgrad: bool, flush: bool): void {
  const mid = simdBytes(n)
  if (ASC_FEATURE_SIMD) {
    // Every option off, the common case: inlined with constants, its branches fold away.
    if (!maximize && wd == 0 && decay == 1 && !amsgrad) {
      adamRange<v128>(p, g, m, v, vmax, 0, mid, b1, omb1, b2, omb2, lrc1, rc2, eps, 0, 1, false, false, flush)
    } else {
      adamRange<v128>(p, g, m, v, vmax, 0, mid, b1, omb1, b2, omb2, lrc1, rc2, eps, wd, decay, maximize, amsgrad, flush)
    }
  }
  adamRange<f32>(p, g, m, v, vmax, mid, <usize>n << 2, b1, omb1, b2, omb2, lrc1, rc2, eps, wd, decay,
    maximize, amsgrad, flush)
}

// @ts-ignore: decorator
@inline function adamRange<T>(p: usize, g: usize, m: usize, v: usize, vmax: usize, from: usize, to: usize,
  b1: f32, omb1: f32, b2: f32, omb2: f32, lrc1: f32, rc2: f32, eps: f32, wd: f32, decay: f32,
  maximize: bool, amsgrad: bool, flush: bool): void {
  const B1 = splat<T>(b1), OMB1 = splat<T>(omb1), B2 = splat<T>(b2), OMB2 = splat<T>(omb2)
  const LRC1 = splat<T>(lrc1), RC2 = splat<T>(rc2), EPS = splat<T>(eps), WD = splat<T>(wd)
  const DECAY = splat<T>(decay)
  const SQ = squareBelow<T>(flush)
  for (let i = from; i < to; i += sizeof<T>()) {
    let pi = load<T>(p + i)
    let gi = load<T>(g + i)
    if (maximize) gi = neg<T>(gi)
    if (wd != 0) gi = add<T>(gi, mul<T>(WD, pi))
    if (decay != 1) pi = mul<T>(DECAY, pi)
    const mi = ema<T>(load<T>(m + i), gi, B1, OMB1)
    let vi = ema<T>(load<T>(v + i), square<T>(gi, SQ), B2, OMB2)
    store<T>(m + i, mi)
    store<T>(v + i, vi)
    if (amsgrad) {
      vi = max<T>(load<T>(vmax + i), vi)
      store<T>(vmax + i, vi)
    }
    store<T>(p + i, sub<T>(pi, mul<T>(LRC1, div<T>(mi, add<T>(mul<T>(sqrt<T>(vi), RC2), EPS)))))
  }
}
