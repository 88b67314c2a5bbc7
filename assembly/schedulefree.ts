import { KEY_V, KEY_Z, keys, offsetOf, packAll, slot, STATE_BLOCK, STATE_F32, unpackAll } from './codec'
import { add, div, ema, mul, neg, simdBytes, splat, sqrt, square, squareBelow, sub } from './lanes'

/**
 * Schedule-Free AdamW (Defazio et al. 2024, "The Road Less Scheduled"; docs/algorithms.md §3).
 * The parameter buffer holds y, the point gradients are taken at; z is the base sequence and x,
 * the average that is evaluated, is never stored: y = (1 − β1)·z + β1·x.
 *   g ← −g if maximize
 *   z ← y if first (the first step of this parameter)
 *   v ← β2·v + (1 − β2)·g²
 *   u = g/(√v + ε);   u ← u + wd·y if wd ≠ 0
 *   y ← y + c·(z − y);   y ← y + cy·u          c = cₜ₊₁ (weight/weight sum), cy = lr·(β1(1 − c) − 1)
 *   z ← z − lr·u
 * With flush, a square that would be subnormal is 0 (square() in lanes.ts; docs/algorithms.md §4).
 */
export function sfadamw(p: usize, g: usize, z: usize, v: usize, n: i32, b2: f32, omb2: f32, eps: f32, wd: f32, c: f32,
  cy: f32, lr: f32, first: bool, maximize: bool, flush: bool, fmt: i32, salt: u32, at: i32): void {
  if (fmt != STATE_F32) {
    for (let e = 0; e < n; e += STATE_BLOCK) {
      const len = min(STATE_BLOCK, n - e), o = offsetOf(fmt, e)
      unpackAll(fmt, z, v, 0, o, len, keys(KEY_Z, KEY_V))
      sfadamw32(p + (<usize>e << 2), g + (<usize>e << 2), slot(0, z), slot(1, v), len, b2, omb2, eps, wd, c, cy, lr,
        first, maximize, flush)
      packAll(fmt, z, v, 0, o, len, keys(KEY_Z, KEY_V), flush, salt, at + e)
    }
    return
  }
  sfadamw32(p, g, z, v, n, b2, omb2, eps, wd, c, cy, lr, first, maximize, flush)
}

/** The float32 path, also each compact block's: with the kernel's own arguments, which V8 compiles best. */
function sfadamw32(p: usize, g: usize, z: usize, v: usize, n: i32, b2: f32, omb2: f32, eps: f32, wd: f32, c: f32,
  cy: f32, lr: f32, first: bool, maximize: bool, flush: bool): void {
  const mid = simdBytes(n)
  if (ASC_FEATURE_SIMD) {
    // After the first step, no maximize, no weight decay, the common case: its branches fold away.
    if (!first && !maximize && wd == 0) sfRange<v128>(p, g, z, v, 0, mid, b2, omb2, eps, 0, c, cy, lr, false, false, flush)
    else sfRange<v128>(p, g, z, v, 0, mid, b2, omb2, eps, wd, c, cy, lr, first, maximize, flush)
  }
  sfRange<f32>(p, g, z, v, mid, <usize>n << 2, b2, omb2, eps, wd, c, cy, lr, first, maximize, flush)
}

// @ts-ignore: decorator
@inline function sfRange<T>(p: usize, g: usize, z: usize, v: usize, from: usize, to: usize, b2: f32, omb2: f32, eps: f32,
  wd: f32, c: f32, cy: f32, lr: f32, first: bool, maximize: bool, flush: bool): void {
  const B2 = splat<T>(b2), OMB2 = splat<T>(omb2), EPS = splat<T>(eps), WD = splat<T>(wd), C = splat<T>(c)
  const CY = splat<T>(cy), LR = splat<T>(lr)
  const SQ = squareBelow<T>(flush)
  for (let i = from; i < to; i += sizeof<T>()) {
    let yi = load<T>(p + i)
    let gi = load<T>(g + i)
    if (maximize) gi = neg<T>(gi)
    const zi = first ? yi : load<T>(z + i)
    const vi = ema<T>(load<T>(v + i), square<T>(gi, SQ), B2, OMB2)
    store<T>(v + i, vi)
    let u = div<T>(gi, add<T>(sqrt<T>(vi), EPS))
    if (wd != 0) u = add<T>(u, mul<T>(WD, yi))
    yi = add<T>(yi, mul<T>(C, sub<T>(zi, yi)))
    store<T>(p + i, add<T>(yi, mul<T>(CY, u)))
    store<T>(z + i, sub<T>(zi, mul<T>(LR, u)))
  }
}

/** p ← p + w·(z − p): Schedule-Free's switch between y (training) and x (evaluation); z in format fmt. */
export function lerp(p: usize, z: usize, n: i32, w: f32, fmt: i32): void {
  if (fmt != STATE_F32) {
    for (let e = 0; e < n; e += STATE_BLOCK) {
      const len = min(STATE_BLOCK, n - e)
      unpackAll(fmt, z, 0, 0, offsetOf(fmt, e), len, keys(KEY_Z))
      lerp32(p + (<usize>e << 2), slot(0, z), len, w)
    }
    return
  }
  lerp32(p, z, n, w)
}

function lerp32(p: usize, z: usize, n: i32, w: f32): void {
  const mid = simdBytes(n)
  if (ASC_FEATURE_SIMD) lerpRange<v128>(p, z, 0, mid, w)
  lerpRange<f32>(p, z, mid, <usize>n << 2, w)
}

// @ts-ignore: decorator
@inline function lerpRange<T>(p: usize, z: usize, from: usize, to: usize, w: f32): void {
  const W = splat<T>(w)
  for (let i = from; i < to; i += sizeof<T>()) {
    const pi = load<T>(p + i)
    store<T>(p + i, add<T>(pi, mul<T>(W, sub<T>(load<T>(z + i), pi))))
  }
}
