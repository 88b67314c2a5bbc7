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

/**
 * What square() tests |x| against, splatted once per kernel call: where flushing subnormals, 2⁻⁶³
 * (x·x rounds below 2⁻¹²⁶, the smallest normal float32, exactly when |x| < 2⁻⁶³: the largest
 * float below 2⁻⁶³ squares to 2⁻¹²⁶ − 2⁻¹⁴⁹ + 2⁻¹⁷⁴, which rounds down to a subnormal); else a
 * bound no |x| is below, so that `flush` costs no branch in the loop. Vector lanes compare bit
 * patterns as integers (|x|'s bits > 0x1fffffff, the bits of 2⁻⁶³ less one; −1 when keeping):
 * i32x4.gt_s where f32x4.lt and a v128.andnot would be, which cost M-SVAG about 10% more.
 */
// @ts-ignore: decorator
@inline export function squareBelow<T>(flush: bool): T {
  if (isVector<T>()) return i32x4.splat(flush ? 0x1fffffff : -1) as T
  return splat<T>(flush ? reinterpret<f32>(0x20000000) : 0)
}

/**
 * x·x, or +0 where |x| < 2⁻⁶³ and `below` says to flush: the square flushed to zero where it
 * would be subnormal, computed so that no subnormal is ever produced. Producing one is what
 * costs: on an AMD EPYC a multiplication with a subnormal result ran 2–5× slower, one with
 * subnormal operands and a zero result did not (docs/algorithms.md §4).
 */
// @ts-ignore: decorator
@inline export function square<T>(x: T, below: T): T {
  let y: T
  if (isVector<T>()) {
    y = v128.and(x, i32x4.gt_s(v128.and(x, i32x4.splat(0x7fffffff)), below))
  } else {
    y = (Mathf.abs(x as f32) < (below as f32) ? 0 : x) as T
  }
  return mul<T>(y, y)
}

/** Bytes of an n-element f32 array covered by the SIMD body: none in the non-SIMD build. */
// @ts-ignore: decorator
@inline export function simdBytes(n: i32): usize {
  return ASC_FEATURE_SIMD ? (<usize>n << 2) & ~15 : 0
}
