import { add, simdBytes } from '../lanes'

/** acc ← acc + x: gradient accumulation over k calls (wasm-optim/tfjs's `accumulate`). */
export function accumulate(acc: usize, x: usize, n: i32): void {
  const mid = simdBytes(n)
  if (ASC_FEATURE_SIMD) accRange<v128>(acc, x, 0, mid)
  accRange<f32>(acc, x, mid, <usize>n << 2)
}

// @ts-ignore: decorator
@inline function accRange<T>(acc: usize, x: usize, from: usize, to: usize): void {
  for (let i = from; i < to; i += sizeof<T>()) store<T>(acc + i, add<T>(load<T>(acc + i), load<T>(x + i)))
}
