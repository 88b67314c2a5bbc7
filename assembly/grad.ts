import { simdBytes } from './lanes'

// Passes over gradients alone, for clipping and the non-finite check. Each reads g once.

/**
 * Σ g², accumulated in f64 (each square of an f32 is exact in f64) in a fixed order that both
 * builds share: four running sums, element i going to sum i mod 4, combined as
 * (s0 + s1) + (s2 + s3), then the elements past the last multiple of 4, in order.
 */
export function sumsq(g: usize, n: i32): f64 {
  const end = <usize>n << 2
  const body = end & ~15
  let s0: f64 = 0, s1: f64 = 0, s2: f64 = 0, s3: f64 = 0
  if (ASC_FEATURE_SIMD) {
    let lo = f64x2.splat(0), hi = f64x2.splat(0)
    for (let i: usize = 0; i < body; i += 16) {
      const x = v128.load(g + i)
      const a = f64x2.promote_low_f32x4(x)
      const b = f64x2.promote_low_f32x4(v128.shuffle<i32>(x, x, 2, 3, 0, 1))
      lo = f64x2.add(lo, f64x2.mul(a, a))
      hi = f64x2.add(hi, f64x2.mul(b, b))
    }
    s0 = f64x2.extract_lane(lo, 0)
    s1 = f64x2.extract_lane(lo, 1)
    s2 = f64x2.extract_lane(hi, 0)
    s3 = f64x2.extract_lane(hi, 1)
  } else {
    for (let i: usize = 0; i < body; i += 16) {
      const a = <f64>load<f32>(g + i), b = <f64>load<f32>(g + i, 4)
      const c = <f64>load<f32>(g + i, 8), d = <f64>load<f32>(g + i, 12)
      s0 += a * a
      s1 += b * b
      s2 += c * c
      s3 += d * d
    }
  }
  let sum = (s0 + s1) + (s2 + s3)
  for (let i = body; i < end; i += 4) {
    const x = <f64>load<f32>(g + i)
    sum += x * x
  }
  return sum
}

/** g ← c·g. */
export function scale(g: usize, n: i32, c: f32): void {
  const mid = simdBytes(n)
  if (ASC_FEATURE_SIMD) {
    const C = f32x4.splat(c)
    for (let i: usize = 0; i < mid; i += 16) v128.store(g + i, f32x4.mul(C, v128.load(g + i)))
  }
  for (let i = mid; i < <usize>n << 2; i += 4) store<f32>(g + i, c * load<f32>(g + i))
}

/**
 * g ← clamp(g, lo, hi); NaN stays NaN. pmax(x, lo) = (x < lo ? lo : x) and pmin(x, hi) =
 * (hi < x ? hi : x) let NaN through and are cheaper than f32x4.max/min (PERF-NOTES); the scalar
 * twin makes the same comparisons.
 */
export function clamp(g: usize, n: i32, lo: f32, hi: f32): void {
  const mid = simdBytes(n)
  if (ASC_FEATURE_SIMD) {
    const LO = f32x4.splat(lo), HI = f32x4.splat(hi)
    for (let i: usize = 0; i < mid; i += 16) v128.store(g + i, f32x4.pmin(f32x4.pmax(v128.load(g + i), LO), HI))
  }
  for (let i = mid; i < <usize>n << 2; i += 4) {
    const x = load<f32>(g + i)
    const y = x < lo ? lo : x
    store<f32>(g + i, hi < y ? hi : y)
  }
}

/**
 * Index of the first element that is NaN or ±Infinity, or −1. x − x is 0 exactly when x is
 * finite, and a sum of such differences is NaN as soon as one is: the SIMD body tests 16
 * elements at a time and leaves the exact search to the scalar loop.
 */
export function nonfinite(g: usize, n: i32): i32 {
  const end = <usize>n << 2
  let i: usize = 0
  if (ASC_FEATURE_SIMD) {
    const body = end & ~63
    for (; i < body; i += 64) {
      const a = v128.load(g + i), b = v128.load(g + i, 16), c = v128.load(g + i, 32), d = v128.load(g + i, 48)
      const s = f32x4.add(f32x4.add(f32x4.sub(a, a), f32x4.sub(b, b)), f32x4.add(f32x4.sub(c, c), f32x4.sub(d, d)))
      if (v128.any_true(f32x4.ne(s, s))) break
    }
  }
  for (; i < end; i += 4) {
    const x = load<f32>(g + i)
    if (x - x != 0) return <i32>(i >> 2)
  }
  return -1
}
