// Lane maths shared by every kernel, each helper written once for both lane types:
// T = v128 (four f32 lanes) in the SIMD body, T = f32 in the scalar tail and in the whole
// non-SIMD build. The two cases of every helper round identically, lane for lane, which is what
// makes the SIMD build, the scalar build and test/reference.ts agree bit for bit.

// @ts-ignore: decorator
@inline export function splat<T>(x: f32): T {
  if (isVector<T>()) return f32x4.splat(x)
  else return x as T
}

// @ts-ignore: decorator
@inline export function add<T>(a: T, b: T): T {
  if (isVector<T>()) return f32x4.add(a, b)
  else return a + b
}

// @ts-ignore: decorator
@inline export function sub<T>(a: T, b: T): T {
  if (isVector<T>()) return f32x4.sub(a, b)
  else return a - b
}

// @ts-ignore: decorator
@inline export function mul<T>(a: T, b: T): T {
  if (isVector<T>()) return f32x4.mul(a, b)
  else return a * b
}

// @ts-ignore: decorator
@inline export function div<T>(a: T, b: T): T {
  if (isVector<T>()) return f32x4.div(a, b)
  else return a / b
}

// @ts-ignore: decorator
@inline export function sqrt<T>(x: T): T {
  if (isVector<T>()) return f32x4.sqrt(x)
  else return Mathf.sqrt(x as f32) as T
}

// @ts-ignore: decorator
@inline export function neg<T>(x: T): T {
  if (isVector<T>()) return f32x4.neg(x)
  else return -x
}

// @ts-ignore: decorator
@inline export function abs<T>(x: T): T {
  if (isVector<T>()) return f32x4.abs(x)
  else return Mathf.abs(x as f32) as T
}

/** max(a, b), NaN if either is NaN; max(−0, +0) = +0 (wasm f32.max and f32x4.max agree). */
// @ts-ignore: decorator
@inline export function max<T>(a: T, b: T): T {
  if (isVector<T>()) return f32x4.max(a, b)
  else return Mathf.max(a as f32, b as f32) as T
}

/** β·a + (1 − β)·x, the exponential moving average; omb = 1 − β, rounded once by the caller. */
// @ts-ignore: decorator
@inline export function ema<T>(a: T, x: T, beta: T, omb: T): T {
  return add<T>(mul<T>(beta, a), mul<T>(omb, x))
}

/** sign(x): ±1, and x itself where x is ±0 or NaN (so sign(0) = 0 and NaN propagates). */
// @ts-ignore: decorator
@inline export function sign<T>(x: T): T {
  if (isVector<T>()) {
    const unit = v128.or(v128.and(x, i32x4.splat(0x80000000)), f32x4.splat(1))
    return v128.bitselect(unit, x, f32x4.gt(f32x4.abs(x), f32x4.splat(0)))
  } else {
    return (Mathf.abs(x as f32) > 0 ? copysign<f32>(1, x as f32) : x) as T
  }
}

/** min(max(x, 0), 1) with NaN → 0: pmax(0, x) = (0 < x ? x : 0), pmin(1, y) = (y < 1 ? y : 1). */
// @ts-ignore: decorator
@inline export function clamp01<T>(x: T): T {
  if (isVector<T>()) {
    return f32x4.pmin(f32x4.splat(1), f32x4.pmax(f32x4.splat(0), x))
  } else {
    const y: f32 = (x as f32) > 0 ? (x as f32) : 0
    return (y < 1 ? y : <f32>1) as T
  }
}

/** Bytes of an n-element f32 array covered by the SIMD body: none in the non-SIMD build. */
// @ts-ignore: decorator
@inline export function simdBytes(n: i32): usize {
  return ASC_FEATURE_SIMD ? (<usize>n << 2) & ~15 : 0
}
