import { KEY_U, KEY_V, keys, offsetOf, packAll, slot, STATE_BLOCK, STATE_F32, unpackAll } from './codec'
import { add, div, ema, mul, neg, simdBytes, splat, sqrt, square, squareBelow, sub } from './lanes'

/**
 * Adadelta (Zeiler 2012; PyTorch semantics, docs/algorithms.md §3):
 *   g ← −g if maximize;   g ← g + wd·θ if wd ≠ 0
 *   v ← ρ·v + (1 − ρ)·g²
 *   Δ = √(u + ε)/√(v + ε)·g
 *   u ← ρ·u + (1 − ρ)·Δ²
 *   θ ← θ − lr·Δ
 * With flush, a square that would be subnormal is 0 (square() in lanes.ts; docs/algorithms.md §4).
 */
export function adadelta(p: usize, g: usize, v: usize, u: usize, n: i32, rho: f32, omr: f32, eps: f32, lr: f32,
  wd: f32, maximize: bool, flush: bool, fmt: i32, salt: u32, at: i32): void {
  if (fmt != STATE_F32) {
    for (let e = 0; e < n; e += STATE_BLOCK) {
      const len = min(STATE_BLOCK, n - e), o = offsetOf(fmt, e)
      unpackAll(fmt, v, u, 0, o, len, keys(KEY_V, KEY_U))
      adadelta32(p + (<usize>e << 2), g + (<usize>e << 2), slot(0, v), slot(1, u), len, rho, omr, eps, lr, wd,
        maximize, flush)
      packAll(fmt, v, u, 0, o, len, keys(KEY_V, KEY_U), flush, salt, at + e)
    }
    return
  }
  adadelta32(p, g, v, u, n, rho, omr, eps, lr, wd, maximize, flush)
}

/** The float32 path, also each compact block's: with the kernel's own arguments, which V8 compiles best. */
function adadelta32(p: usize, g: usize, v: usize, u: usize, n: i32, rho: f32, omr: f32, eps: f32, lr: f32, wd: f32,
  maximize: bool, flush: bool): void {
  const mid = simdBytes(n)
  if (ASC_FEATURE_SIMD) {
    // No maximize, no weight decay, the common case: inlined with constants, its branches fold away.
    if (!maximize && wd == 0) adadeltaRange<v128>(p, g, v, u, 0, mid, rho, omr, eps, lr, 0, false, flush)
    else adadeltaRange<v128>(p, g, v, u, 0, mid, rho, omr, eps, lr, wd, maximize, flush)
  }
  adadeltaRange<f32>(p, g, v, u, mid, <usize>n << 2, rho, omr, eps, lr, wd, maximize, flush)
}

// @ts-ignore: decorator
@inline function adadeltaRange<T>(p: usize, g: usize, v: usize, u: usize, from: usize, to: usize, rho: f32, omr: f32,
  eps: f32, lr: f32, wd: f32, maximize: bool, flush: bool): void {
  const RHO = splat<T>(rho), OMR = splat<T>(omr), EPS = splat<T>(eps), LR = splat<T>(lr), WD = splat<T>(wd)
  const SQ = squareBelow<T>(flush)
  for (let i = from; i < to; i += sizeof<T>()) {
    const pi = load<T>(p + i)
    let gi = load<T>(g + i)
    if (maximize) gi = neg<T>(gi)
    if (wd != 0) gi = add<T>(gi, mul<T>(WD, pi))
    const vi = ema<T>(load<T>(v + i), square<T>(gi, SQ), RHO, OMR)
    const delta = mul<T>(div<T>(sqrt<T>(add<T>(load<T>(u + i), EPS)), sqrt<T>(add<T>(vi, EPS))), gi)
    store<T>(v + i, vi)
    store<T>(u + i, ema<T>(load<T>(u + i), square<T>(delta, SQ), RHO, OMR))
    store<T>(p + i, sub<T>(pi, mul<T>(LR, delta)))
  }
}
