import { KEY_M, KEY_V, keys, offsetOf, packAll, slot, STATE_BLOCK, STATE_F32, unpackAll } from './codec'
import { add, clamp01, div, ema, mul, simdBytes, splat, square, squareBelow, sub } from './lanes'

/**
 * SVAG and M-SVAG, stochastic variance-adapted gradient with and without momentum
 * (Balles & Hennig 2018; docs/algorithms.md §2), one fused pass:
 *   θ ← decay·θ if decay ≠ 1                     decoupled weight decay, decay = 1 − lr·wd
 *   m ← β·m + (1 − β)·g;   v ← β·v + (1 − β)·g²
 *   m̂ = m·ic,  v̂ = v·ic                          ic = 1 / (1 − βᵗ)
 *   γ = clamp01(m̂² / (m̂² + κ·(v̂ − m̂²)))          NaN (m = v = 0) → 0
 *   SVAG:   θ ← θ − lr·γ·g,   κ = 1/(1 − ρ)       (γ = m̂²/(m̂² + ŝ))
 *   M-SVAG: θ ← θ − lr·γ·m̂,   κ = ρ/(1 − ρ)       (γ = m̂²/(m̂² + ρ·ŝ))
 * with ŝ = (v̂ − m̂²)/(1 − ρ) and ρ computed by the caller once per step. No ε, on purpose.
 * With flush, a square that would be subnormal is 0 (square() in lanes.ts; docs/algorithms.md §4).
 */
export function svag(p: usize, g: usize, m: usize, v: usize, n: i32, beta: f32, omb: f32, ic: f32,
  kappa: f32, lr: f32, decay: f32, flush: bool, fmt: i32, salt: u32, at: i32): void {
  if (fmt != STATE_F32) blocks(p, g, m, v, n, beta, omb, ic, kappa, lr, decay, flush, false, fmt, salt, at)
  else svag32(p, g, m, v, n, beta, omb, ic, kappa, lr, decay, flush)
}

/** M-SVAG: as svag, stepping along m̂ instead of g. */
export function msvag(p: usize, g: usize, m: usize, v: usize, n: i32, beta: f32, omb: f32, ic: f32,
  kappa: f32, lr: f32, decay: f32, flush: bool, fmt: i32, salt: u32, at: i32): void {
  if (fmt != STATE_F32) blocks(p, g, m, v, n, beta, omb, ic, kappa, lr, decay, flush, true, fmt, salt, at)
  else msvag32(p, g, m, v, n, beta, omb, ic, kappa, lr, decay, flush)
}

/** The float32 paths, also each compact block's: with the kernels' own arguments, which V8 compiles best. */
function svag32(p: usize, g: usize, m: usize, v: usize, n: i32, beta: f32, omb: f32, ic: f32, kappa: f32, lr: f32,
  decay: f32, flush: bool): void {
  variance(p, g, m, v, n, beta, omb, ic, kappa, lr, decay, flush, false)
}

function msvag32(p: usize, g: usize, m: usize, v: usize, n: i32, beta: f32, omb: f32, ic: f32, kappa: f32, lr: f32,
  decay: f32, flush: bool): void {
  variance(p, g, m, v, n, beta, omb, ic, kappa, lr, decay, flush, true)
}

/** Compact state (codec.ts): each block decoded, stepped on float32, encoded. */
function blocks(p: usize, g: usize, m: usize, v: usize, n: i32, beta: f32, omb: f32, ic: f32, kappa: f32, lr: f32,
  decay: f32, flush: bool, momentum: bool, fmt: i32, salt: u32, at: i32): void {
  for (let e = 0; e < n; e += STATE_BLOCK) {
    const len = min(STATE_BLOCK, n - e), o = offsetOf(fmt, e)
    const pe = p + (<usize>e << 2), ge = g + (<usize>e << 2), me = slot(0, m), ve = slot(1, v)
    unpackAll(fmt, m, v, 0, o, len, keys(KEY_M, KEY_V))
    if (momentum) msvag32(pe, ge, me, ve, len, beta, omb, ic, kappa, lr, decay, flush)
    else svag32(pe, ge, me, ve, len, beta, omb, ic, kappa, lr, decay, flush)
    packAll(fmt, m, v, 0, o, len, keys(KEY_M, KEY_V), flush, salt, at + e)
  }
}

// @ts-ignore: decorator
@inline function variance(p: usize, g: usize, m: usize, v: usize, n: i32, beta: f32, omb: f32, ic: f32,
  kappa: f32, lr: f32, decay: f32, flush: bool, momentum: bool): void {
  const mid = simdBytes(n)
  if (ASC_FEATURE_SIMD) {
    // No weight decay, the common case: inlined with a constant, its branch folds away.
    if (decay == 1) svagRange<v128>(p, g, m, v, 0, mid, beta, omb, ic, kappa, lr, 1, flush, momentum)
    else svagRange<v128>(p, g, m, v, 0, mid, beta, omb, ic, kappa, lr, decay, flush, momentum)
  }
  svagRange<f32>(p, g, m, v, mid, <usize>n << 2, beta, omb, ic, kappa, lr, decay, flush, momentum)
}

// @ts-ignore: decorator
@inline function svagRange<T>(p: usize, g: usize, m: usize, v: usize, from: usize, to: usize,
  beta: f32, omb: f32, ic: f32, kappa: f32, lr: f32, decay: f32, flush: bool, momentum: bool): void {
  const BETA = splat<T>(beta), OMB = splat<T>(omb), IC = splat<T>(ic), KAPPA = splat<T>(kappa)
  const LR = splat<T>(lr), DECAY = splat<T>(decay)
  const SQ = squareBelow<T>(flush)
  for (let i = from; i < to; i += sizeof<T>()) {
    let pi = load<T>(p + i)
    const gi = load<T>(g + i)
    if (decay != 1) pi = mul<T>(DECAY, pi)
    const mi = ema<T>(load<T>(m + i), gi, BETA, OMB)
    const vi = ema<T>(load<T>(v + i), square<T>(gi, SQ), BETA, OMB)
    store<T>(m + i, mi)
    store<T>(v + i, vi)
    const mh = mul<T>(mi, IC)
    const mh2 = square<T>(mh, SQ)
    const gamma = clamp01<T>(div<T>(mh2, add<T>(mh2, mul<T>(KAPPA, sub<T>(mul<T>(vi, IC), mh2)))))
    store<T>(p + i, sub<T>(pi, mul<T>(LR, mul<T>(gamma, momentum ? mh : gi))))
  }
}
