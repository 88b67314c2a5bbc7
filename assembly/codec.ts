// The block codec of compact optimizer state (the option stateDtype; docs/state.md), inlined into
// the kernels; compact.ts has the module's exports (the build does not export this file). A kernel
// whose state is compact steps it in blocks of STATE_BLOCK elements: each state buffer's block is
// decoded into float32 scratch (this thread's own, in cache), the float32 kernel runs on the block,
// and the block is encoded back. So the update's arithmetic is the float32 kernel's, bit for bit,
// between a decode and an encode that test/compact.ts mirrors. Formats:
// - STATE_BF16: bfloat16, the top 16 bits of the float32, rounded stochastically: 16 bits of a
//   counter-based hash of (salt, buffer, element index) are added to the low 16 bits before they
//   are cut, so that rounding is unbiased and the same for any split of the work (threads, chunks,
//   resumes). The salt hashes the step count and the parameter's position (src/compact.ts).
// - STATE_Q8: 256 one-byte codes, then the block's largest magnitude as a float32 scale (260 bytes
//   per block). A code is an 8-bit float of value/scale, rounded stochastically the same way (16
//   bits of hash spread over [4, 2²⁰ − 27], so that a decoded value encodes to its own code):
//   signed moments (m) 1 sign, 4 exponent and 3 mantissa bits, 2⁻¹⁵ ≤ |x|/scale ≤ 1 or 0;
//   non-negative ones (v) 5 exponent and 3 mantissa bits, 2⁻³¹ ≤ x/scale ≤ 1 (a square spans
//   twice the binades), and a positive value never becomes 0 (a v read as 0 under a non-zero m
//   would make a step of m/ε). Rounded to nearest instead, an EMA with β2 = 0.999 stalls (a 0.1%
//   change is below half a code's 12.5% step): measured, Adam's loss on a noisy quadratic ended
//   1.86× float32's; rounded stochastically, 1.02×.

/** The state formats (the option stateDtype: 'f32', 'bf16', 'q8'). */
export const STATE_F32: i32 = 0
export const STATE_BF16: i32 = 1
export const STATE_Q8: i32 = 2
/** Elements per block (q8's scale is per block); a compact pass starts on a block boundary. */
export const STATE_BLOCK = 256
/** Bytes of a q8 block: its codes, then its scale. */
export const Q8_BLOCK_BYTES = 260

/** Bytes of a thread's scratch: three state buffers' blocks of float32. */
export const SCRATCH_BYTES = 3 * STATE_BLOCK * 4
/** This instance's scratch: each thread has its own instance, and gives it its own scratch (compact.ts). */
let scratch: usize = 0

// @ts-ignore: decorator
@inline export function useScratch(at: usize): void {
  scratch = at
}

/** Bytes of the first `n` elements of a buffer in format `fmt` (n a multiple of STATE_BLOCK for q8). */
// @ts-ignore: decorator
@inline export function offsetOf(fmt: i32, n: usize): usize {
  return fmt == STATE_BF16 ? n << 1 : fmt == STATE_Q8 ? (n >> 8) * Q8_BLOCK_BYTES : n << 2
}

/**
 * Each state buffer's key: its salt is mix(salt + key), the same in every kernel that keeps it;
 * m (0), a (5), b (6) and z (7) are signed, the others non-negative (src/compact.ts's BUFFER_KEYS).
 */
export const KEY_M: u32 = 0
export const KEY_V: u32 = 1
export const KEY_VMAX: u32 = 2
export const KEY_U: u32 = 3
export const KEY_S: u32 = 4
export const KEY_A: u32 = 5
export const KEY_B: u32 = 6
export const KEY_Z: u32 = 7

/** A kernel's buffers' keys, in its argument order, 4 bits each. */
// @ts-ignore: decorator
@inline export function keys(a: u32, b: u32 = 0, c: u32 = 0): u32 {
  return a | (b << 4) | (c << 8)
}

/** Whether the buffer with this key holds signed values (the signed map) or non-negative ones (the unsigned map). */
// @ts-ignore: decorator
@inline export function signedKey(key: u32): bool {
  return key == KEY_M || key >= KEY_A
}

/** Scratch slot k (0, 1, 2) for a buffer at x, or 0 where the buffer is not kept (x = 0). */
// @ts-ignore: decorator
@inline export function slot(k: i32, x: usize): usize {
  return x != 0 ? scratch + <usize>(k * STATE_BLOCK * 4) : 0
}

/** Decodes `len` elements at byte `o` of up to three buffers (0: not kept) into scratch slots 0, 1, 2. */
export function unpackAll(fmt: i32, a: usize, b: usize, c: usize, o: usize, len: i32, keys: u32): void {
  const ka = keys & 15, kb = (keys >> 4) & 15, kc = keys >> 8
  if (a != 0) decodeBlock(fmt, a + o, slot(0, a), len, signedKey(ka))
  if (b != 0) decodeBlock(fmt, b + o, slot(1, b), len, signedKey(kb))
  if (c != 0) decodeBlock(fmt, c + o, slot(2, c), len, signedKey(kc))
}

/** Encodes scratch slots 0, 1, 2 back into their buffers at byte `o`; `at`: the block's first element's index. */
export function packAll(fmt: i32, a: usize, b: usize, c: usize, o: usize, len: i32, keys: u32, flush: bool,
  salt: u32, at: i32): void {
  const ka = keys & 15, kb = (keys >> 4) & 15, kc = keys >> 8
  if (a != 0) encodeBlock(fmt, slot(0, a), a + o, len, signedKey(ka), flush, mix(salt + ka), at)
  if (b != 0) encodeBlock(fmt, slot(1, b), b + o, len, signedKey(kb), flush, mix(salt + kb), at)
  if (c != 0) encodeBlock(fmt, slot(2, c), c + o, len, signedKey(kc), flush, mix(salt + kc), at)
}

/** murmur3's 32-bit finalizer: a buffer's salt from the step's (src/compact.ts has the same). */
// @ts-ignore: decorator
@inline export function mix(x: u32): u32 {
  x ^= x >> 16
  x *= 0x85ebca6b
  x ^= x >> 13
  x *= 0xc2b2ae35
  return x ^ (x >> 16)
}

/** Decodes one block (`len` ≤ STATE_BLOCK elements) of format fmt at src into float32 at dst. */
export function decodeBlock(fmt: i32, src: usize, dst: usize, len: i32, signed: bool): void {
  // Each case inlined with constants, so that no loop tests the format or the map.
  if (fmt == STATE_BF16) decode(STATE_BF16, src, dst, len, false)
  else if (signed) decode(STATE_Q8, src, dst, len, true)
  else decode(STATE_Q8, src, dst, len, false)
}

/** Encodes one block of float32 at src into format fmt at dst; `at`: its first element's index (bf16's rounding). */
export function encodeBlock(fmt: i32, src: usize, dst: usize, len: i32, signed: bool, flush: bool, salt: u32,
  at: i32): void {
  if (fmt == STATE_BF16) encode(STATE_BF16, src, dst, len, false, flush, salt, at)
  else if (signed) encode(STATE_Q8, src, dst, len, true, flush, salt, at)
  else encode(STATE_Q8, src, dst, len, false, flush, salt, at)
}

// @ts-ignore: decorator
@inline function decode(fmt: i32, src: usize, dst: usize, len: i32, signed: bool): void {
  const end = <usize>len << 2
  let i: usize = 0
  if (fmt == STATE_BF16) {
    if (ASC_FEATURE_SIMD) {
      for (; i + 16 <= end; i += 16) v128.store(dst + i, i32x4.shl(v128.load16x4_u(src + (i >> 1)), 16))
    }
    for (; i < end; i += 4) store<u32>(dst + i, <u32>load<u16>(src + (i >> 1)) << 16)
    return
  }
  const scale = load<f32>(src + STATE_BLOCK)
  const mask: u32 = signed ? 0x7f : 0xff
  const bias: u32 = signed ? 896 : 768
  if (ASC_FEATURE_SIMD) {
    const S = f32x4.splat(scale), M = i32x4.splat(mask), B = i32x4.splat(bias), Z = i32x4.splat(0)
    for (; i + 16 <= end; i += 16) {
      const c = v128.load32_zero(src + (i >> 2))
      const codes = i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(c))
      const mag = v128.and(codes, M)
      let bits = v128.and(i32x4.shl(i32x4.add(mag, B), 20), i32x4.ne(mag, Z))
      if (signed) bits = v128.or(bits, i32x4.shl(v128.and(codes, i32x4.splat(0x80)), 24))
      v128.store(dst + i, f32x4.mul(bits, S))
    }
  }
  for (; i < end; i += 4) {
    const code = <u32>load<u8>(src + (i >> 2))
    const mag = code & mask
    let bits: u32 = mag != 0 ? (mag + bias) << 20 : 0
    if (signed) bits |= (code & 0x80) << 24
    store<f32>(dst + i, reinterpret<f32>(bits) * scale)
  }
}

// @ts-ignore: decorator
@inline function encode(fmt: i32, src: usize, dst: usize, len: i32, signed: bool, flush: bool, salt: u32,
  at: i32): void {
  const end = <usize>len << 2
  let i: usize = 0
  if (fmt == STATE_BF16) {
    // Flushing: |x| < 2⁻¹²⁶ → ±0 first. NaN keeps its bits' top half, made quiet (no carry into the sign).
    const tiny: u32 = flush ? 0x00800000 : 0
    if (ASC_FEATURE_SIMD) {
      const T = i32x4.splat(tiny), INF = i32x4.splat(0x7f800000), ABS = i32x4.splat(0x7fffffff)
      const SALT = i32x4.splat(<i32>salt), LO = i32x4.splat(0xffff)
      for (; i + 32 <= end; i += 32) {
        const h = noiseLanes(at + <i32>(i >> 2), SALT)
        const a = bf16Lanes(v128.load(src + i), v128.and(h, LO), T, INF, ABS)
        const b = bf16Lanes(v128.load(src + i + 16), i32x4.shr_u(h, 16), T, INF, ABS)
        v128.store(dst + (i >> 1), i16x8.narrow_i32x4_u(a, b))
      }
    }
    for (; i < end; i += 4) {
      let bits = load<u32>(src + i)
      const abs = bits & 0x7fffffff
      if (abs < tiny) bits &= 0x80000000
      if (abs > 0x7f800000) bits |= 0x00400000
      else bits += noise(at + <i32>(i >> 2), salt)
      store<u16>(dst + (i >> 1), <u16>(bits >> 16))
    }
    return
  }
  // q8: the block's largest magnitude, as the largest of the magnitudes' bits (NaN if any is NaN:
  // NaN's bits are above Infinity's), then each value's code.
  let most: i32 = 0
  let j: usize = 0
  if (ASC_FEATURE_SIMD) {
    let m = i32x4.splat(0)
    const ABS = i32x4.splat(0x7fffffff)
    for (; j + 16 <= end; j += 16) m = i32x4.max_s(m, v128.and(v128.load(src + j), ABS))
    most = max(max(i32x4.extract_lane(m, 0), i32x4.extract_lane(m, 1)), max(i32x4.extract_lane(m, 2),
      i32x4.extract_lane(m, 3)))
  }
  for (; j < end; j += 4) most = max(most, load<i32>(src + j) & 0x7fffffff)
  const top = reinterpret<f32>(most)
  const inv: f32 = top >= reinterpret<f32>(0x00800000) ? <f32>1 / top : 0
  store<f32>(dst + STATE_BLOCK, top)
  const bias: i32 = signed ? 896 : 768
  const last: i32 = signed ? 127 : 255
  if (ASC_FEATURE_SIMD) {
    const INV = f32x4.splat(inv), B = i32x4.splat(bias), HI = i32x4.splat(last)
    const SALT = i32x4.splat(<i32>salt), LO = i32x4.splat(0xffff)
    for (; i + 64 <= end; i += 64) {
      const h = noiseLanes(at + <i32>(i >> 2), SALT), k = noiseLanes(at + <i32>(i >> 2) + 8, SALT)
      const a = i16x8.narrow_i32x4_u(q8Lanes(v128.load(src + i), v128.and(h, LO), INV, B, HI, signed),
        q8Lanes(v128.load(src + i + 16), i32x4.shr_u(h, 16), INV, B, HI, signed))
      const b = i16x8.narrow_i32x4_u(q8Lanes(v128.load(src + i + 32), v128.and(k, LO), INV, B, HI, signed),
        q8Lanes(v128.load(src + i + 48), i32x4.shr_u(k, 16), INV, B, HI, signed))
      v128.store(dst + (i >> 2), i8x16.narrow_i16x8_u(a, b))
    }
  }
  for (; i < end; i += 4) {
    const y = reinterpret<u32>(load<f32>(src + i) * inv)
    const abs = y & 0x7fffffff
    const h = noise(at + <i32>(i >> 2), salt)
    let q = <i32>((abs + (h << 4) - (h >> 12) + 4) >> 20) - bias
    q = max(q, signed ? 0 : <i32>(abs != 0))
    q = min(q, last)
    store<u8>(dst + (i >> 2), <u8>(signed ? <u32>q | ((y >> 24) & 0x80) : <u32>q))
  }
}

/**
 * 16 bits of rounding noise for element `index` (bf16 adds them to the bits it cuts, q8 adds them
 * shifted left by 4): one 32-bit hash serves 8 elements' pairs, element e and e + 4 of each run of
 * 8 (whose first index is a multiple of 8) taking its low and high half; noiseLanes makes the four
 * hashes of a run at once.
 */
// @ts-ignore: decorator
@inline function noise(index: i32, salt: u32): u32 {
  const h = hash(<u32>(((index >> 3) << 2) | (index & 3)), salt)
  return (index & 4) != 0 ? h >> 16 : h & 0xffff
}

// @ts-ignore: decorator
@inline function hash(x: u32, salt: u32): u32 {
  let h = x * 0x9e3779b9 + salt
  h ^= h >> 16
  h *= 0x85ebca6b
  return h ^ (h >> 16)
}

/** The four hashes of the run of 8 elements that starts at `at` (a multiple of 8): hash(at/2 + j) in lane j. */
// @ts-ignore: decorator
@inline function noiseLanes(at: i32, SALT: v128): v128 {
  const x = i32x4.add(i32x4.splat(at >> 1), v128(0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0))
  let h = i32x4.add(i32x4.mul(x, i32x4.splat(<i32>0x9e3779b9)), SALT)
  h = v128.xor(h, i32x4.shr_u(h, 16))
  h = i32x4.mul(h, i32x4.splat(<i32>0x85ebca6b))
  return v128.xor(h, i32x4.shr_u(h, 16))
}

// @ts-ignore: decorator
@inline function bf16Lanes(x: v128, r: v128, T: v128, INF: v128, ABS: v128): v128 {
  const abs = v128.and(x, ABS)
  const bits = v128.andnot(x, v128.and(i32x4.lt_s(abs, T), ABS))
  const nan = i32x4.gt_s(abs, INF)
  return i32x4.shr_u(v128.bitselect(v128.or(bits, i32x4.splat(0x00400000)), i32x4.add(bits, r), nan), 16)
}

// @ts-ignore: decorator
@inline function q8Lanes(x: v128, r16: v128, INV: v128, B: v128, HI: v128, signed: bool): v128 {
  const y = f32x4.mul(x, INV)
  const abs = v128.and(y, i32x4.splat(0x7fffffff))
  // 16 bits of noise spread over [4, 2²⁰ − 27]: a value within 3 ulps of a code's value (a decoded
  // one, scaled again) encodes to that code, so decoding and encoding again changes nothing.
  const r = i32x4.add(i32x4.sub(i32x4.shl(r16, 4), i32x4.shr_u(r16, 12)), i32x4.splat(4))
  let q = i32x4.sub(i32x4.shr_u(i32x4.add(abs, r), 20), B)
  const low = signed ? i32x4.splat(0) : v128.and(i32x4.ne(abs, i32x4.splat(0)), i32x4.splat(1))
  q = i32x4.min_s(i32x4.max_s(q, low), HI)
  return signed ? v128.or(q, v128.and(i32x4.shr_u(y, 24), i32x4.splat(0x80))) : q
}
