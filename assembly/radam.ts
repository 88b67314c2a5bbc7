import { KEY_M, KEY_V, keys, offsetOf, packAll, slot, STATE_BLOCK, STATE_F32, unpackAll } from './codec'
import { add, div, ema, mul, neg, simdBytes, splat, sqrt, square, squareBelow, sub } from './lanes'

/**
 * RAdam (Liu et al. 2020; PyTorch 2.x semantics, docs/algorithms.md §3): Adam whose adaptive step
 * is switched on only once the variance of its adaptive learning rate is tractable, ρₜ > 5.
 *   g ← −g if maximize;   g ← g + wd·θ if wd ≠ 0;   θ ← decay·θ if decay ≠ 1
 *   m ← β1·m + (1 − β1)·g;   v ← β2·v + (1 − β2)·g²
 *   adaptive: θ ← θ − step·m/(√v + ε)        step = lr·rₜ·√(1 − β2ᵗ)/(1 − β1ᵗ), rₜ the rectification
 *   else:     θ ← θ − step·m                 step = lr/(1 − β1ᵗ)
 * With flush, a square that would be subnormal is 0 (square() in lanes.ts; docs/algorithms.md §4).
 */
export function radam(p: usize, g: usize, m: usize, v: usize, n: i32, b1: f32, omb1: f32, b2: f32, omb2: f32,
  step: f32, eps: f32, wd: f32, decay: f32, adaptive: bool, maximize: bool, flush: bool, fmt: i32, salt: u32,
  at: i32): void {
  if (fmt != STATE_F32) {
    for (let e = 0; e < n; e += STATE_BLOCK) {
      const len = min(STATE_BLOCK, n - e), o = offsetOf(fmt, e)
      unpackAll(fmt, m, v, 0, o, len, keys(KEY_M, KEY_V))
      radam32(p + (<usize>e << 2), g + (<usize>e << 2), slot(0, m), slot(1, v), len, b1, omb1, b2, omb2, step, eps,
        wd, decay, adaptive, maximize, flush)
      packAll(fmt, m, v, 0, o, len, keys(KEY_M, KEY_V), flush, salt, at + e)
    }
    return
  }
  radam32(p, g, m, v, n, b1, omb1, b2, omb2, step, eps, wd, decay, adaptive, maximize, flush)
}

/** The float32 path, also each compact block's: with the kernel's own arguments, which V8 compiles best. */
function radam32(p: usize, g: usize, m: usize, v: usize, n: i32, b1: f32, omb1: f32, b2: f32, omb2: f32, step: f32,
  eps: f32, wd: f32, decay: f32, adaptive: bool, maximize: bool, flush: bool): void {
  const mid = simdBytes(n)
  if (ASC_FEATURE_SIMD) {
    // No maximize, no weight decay: inlined with constants for both kinds of step.
    if (!maximize && wd == 0 && decay == 1) {
      if (adaptive) radamRange<v128>(p, g, m, v, 0, mid, b1, omb1, b2, omb2, step, eps, 0, 1, true, false, flush)
      else radamRange<v128>(p, g, m, v, 0, mid, b1, omb1, b2, omb2, step, eps, 0, 1, false, false, flush)
    } else {
      radamRange<v128>(p, g, m, v, 0, mid, b1, omb1, b2, omb2, step, eps, wd, decay, adaptive, maximize, flush)
    }
  }
  radamRange<f32>(p, g, m, v, mid, <usize>n << 2, b1, omb1, b2, omb2, step, eps, wd, decay, adaptive, maximize, flush)
}

// @ts-ignore: decorator
@inline function radamRange<T>(p: usize, g: usize, m: usize, v: usize, from: usize, to: usize, b1: f32, omb1: f32,
  b2: f32, omb2: f32, step: f32, eps: f32, wd: f32, decay: f32, adaptive: bool, maximize: bool, flush: bool): void {
  const B1 = splat<T>(b1), OMB1 = splat<T>(omb1), B2 = splat<T>(b2), OMB2 = splat<T>(omb2), STEP = splat<T>(step)
  const EPS = splat<T>(eps), WD = splat<T>(wd), DECAY = splat<T>(decay)
  const SQ = squareBelow<T>(flush)
  for (let i = from; i < to; i += sizeof<T>()) {
    let pi = load<T>(p + i)
    let gi = load<T>(g + i)
    if (maximize) gi = neg<T>(gi)
    if (wd != 0) gi = add<T>(gi, mul<T>(WD, pi))
    if (decay != 1) pi = mul<T>(DECAY, pi)
    const mi = ema<T>(load<T>(m + i), gi, B1, OMB1)
    const vi = ema<T>(load<T>(v + i), square<T>(gi, SQ), B2, OMB2)
    store<T>(m + i, mi)
    store<T>(v + i, vi)
    const u = adaptive ? div<T>(mi, add<T>(sqrt<T>(vi), EPS)) : mi
    store<T>(p + i, sub<T>(pi, mul<T>(STEP, u)))
  }
}
