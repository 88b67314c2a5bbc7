/**
 * Flushes subnormal values of a state buffer to zero: x ← ±0 (x's sign) where |x| < 2⁻¹²⁶, every
 * other value (NaN and ±Infinity included) untouched. Run by the optimizer on a parameter's state
 * every few steps when subnormals are flushed (docs/algorithms.md §4): a value that decays into
 * the subnormal range would otherwise stay there for good (β·x rounds back to the smallest
 * subnormal) and slow every later step that touches it. Writes only the vectors it changes.
 */
export function flush(x: usize, n: i32): void {
  const end = <usize>n << 2
  let i: usize = 0
  if (ASC_FEATURE_SIMD) {
    const MIN = i32x4.splat(0x00800000)
    for (; i + 16 <= end; i += 16) {
      const v = v128.load(x + i)
      const a = v128.and(v, i32x4.splat(0x7fffffff))
      const tiny = i32x4.lt_s(a, MIN)
      if (v128.any_true(tiny)) v128.store(x + i, v128.bitselect(v128.xor(v, a), v, tiny))
    }
  }
  for (; i < end; i += 4) {
    const bits = load<u32>(x + i)
    if ((bits & 0x7fffffff) < 0x00800000) store<u32>(x + i, bits & 0x80000000)
  }
}
