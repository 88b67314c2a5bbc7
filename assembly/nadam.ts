import { KEY_M, KEY_V, keys, offsetOf, packAll, slot, STATE_BLOCK, STATE_F32, unpackAll } from './codec'
import { add, div, ema, mul, neg, simdBytes, splat, sqrt, square, squareBelow, sub } from './lanes'

/**
 * NAdam (Dozat 2016; PyTorch 2.x semantics, docs/algorithms.md §3): Adam with Nesterov momentum
 * through the momentum schedule μₜ = β1·(1 − ½·0.96^(t·ψ)).
 *   g ← −g if maximize;   g ← g + wd·θ if wd ≠ 0;   θ ← decay·θ if decay ≠ 1
 *   m ← β1·m + (1 − β1)·g;   v ← β2·v + (1 − β2)·g²
 *   d = √v·rc2 + ε                               rc2 = 1/√(1 − β2ᵗ)
 *   θ ← θ − (cg·g + cm·m)/d                      cg = lr(1 − μₜ)/(1 − Π μ),  cm = lr·μₜ₊₁/(1 − Π μ·μₜ₊₁)
 * (one division where PyTorch makes two: the same step, rounded once less).
 * wd is the coupled weight decay, decay = 1 − lr·wd the decoupled one (one of them is off).
 * With flush, a square that would be subnormal is 0 (square() in lanes.ts; docs/algorithms.md §4).
 */
export function nadam(p: usize, g: usize, m: usize, v: usize, n: i32, b1: f32, omb1: f32, b2: f32, omb2: f32,
  cg: f32, cm: f32, rc2: f32, eps: f32, wd: f32, decay: f32, maximize: bool, flush: bool, fmt: i32, salt: u32,
  at: i32): void {
  if (fmt != STATE_F32) {
    for (let e = 0; e < n; e += STATE_BLOCK) {
      const len = min(STATE_BLOCK, n - e), o = offsetOf(fmt, e)
      unpackAll(fmt, m, v, 0, o, len, keys(KEY_M, KEY_V))
      nadam32(p + (<usize>e << 2), g + (<usize>e << 2), slot(0, m), slot(1, v), len, b1, omb1, b2, omb2, cg, cm, rc2,
        eps, wd, decay, maximize, flush)
      packAll(fmt, m, v, 0, o, len, keys(KEY_M, KEY_V), flush, salt, at + e)
    }
    return
  }
  nadam32(p, g, m, v, n, b1, omb1, b2, omb2, cg, cm, rc2, eps, wd, decay, maximize, flush)
}

/** The float32 path, also each compact block's: with the kernel's own arguments, which V8 compiles best. */
function nadam32(p: usize, g: usize, m: usize, v: usize, n: i32, b1: f32, omb1: f32, b2: f32, omb2: f32, cg: f32,
  cm: f32, rc2: f32, eps: f32, wd: f32, decay: f32, maximize: bool, flush: bool): void {
  const mid = simdBytes(n)
  if (ASC_FEATURE_SIMD) {
    // Every option off, the common case: inlined with constants, its branches fold away.
    if (!maximize && wd == 0 && decay == 1) nadamRange<v128>(p, g, m, v, 0, mid, b1, omb1, b2, omb2, cg, cm, rc2, eps, 0, 1, false, flush)
    else nadamRange<v128>(p, g, m, v, 0, mid, b1, omb1, b2, omb2, cg, cm, rc2, eps, wd, decay, maximize, flush)
  }
  nadamRange<f32>(p, g, m, v, mid, <usize>n << 2, b1, omb1, b2, omb2, cg, cm, rc2, eps, wd, decay, maximize, flush)
}

// @ts-ignore: decorator
@inline function nadamRange<T>(p: usize, g: usize, m: usize, v: usize, from: usize, to: usize, b1: f32, omb1: f32,
  b2: f32, omb2: f32, cg: f32, cm: f32, rc2: f32, eps: f32, wd: f32, decay: f32, maximize: bool, flush: bool): void {
  const B1 = splat<T>(b1), OMB1 = splat<T>(omb1), B2 = splat<T>(b2), OMB2 = splat<T>(omb2), CG = splat<T>(cg)
  const CM = splat<T>(cm), RC2 = splat<T>(rc2), EPS = splat<T>(eps), WD = splat<T>(wd), DECAY = splat<T>(decay)
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
    const d = add<T>(mul<T>(sqrt<T>(vi), RC2), EPS)
    store<T>(p + i, sub<T>(pi, div<T>(add<T>(mul<T>(CG, gi), mul<T>(CM, mi)), d)))
  }
}
