// Compact optimizer state: the module's exports (the codec itself is codec.ts, inlined into the
// kernels). See codec.ts for the formats.
import { decodeBlock, encodeBlock, mix, offsetOf, STATE_BLOCK, signedKey, useScratch } from './codec'

export { Q8_BLOCK_BYTES, SCRATCH_BYTES, STATE_BF16, STATE_BLOCK, STATE_F32, STATE_Q8 } from './codec'

/** Gives this instance its thread's scratch, SCRATCH_BYTES at `at`, before its first compact step. */
export function setScratch(at: usize): void {
  useScratch(at)
}

/** Decodes n elements (from a block boundary) of the compact buffer `key` (codec.ts's KEY_*) into float32. */
export function decodeState(fmt: i32, src: usize, dst: usize, n: i32, key: u32): void {
  for (let e = 0; e < n; e += STATE_BLOCK) {
    decodeBlock(fmt, src + offsetOf(fmt, e), dst + (<usize>e << 2), min(STATE_BLOCK, n - e), signedKey(key))
  }
}

/**
 * Encodes n float32 values into a compact buffer from a block boundary, as a step would: `key`
 * names the buffer (its map and its salt, codec.ts's KEY_*), `at` is the index of the first element in its parameter.
 */
export function encodeState(fmt: i32, src: usize, dst: usize, n: i32, flush: bool, salt: u32, key: u32,
  at: i32): void {
  for (let e = 0; e < n; e += STATE_BLOCK) {
    const len = min(STATE_BLOCK, n - e)
    encodeBlock(fmt, src + (<usize>e << 2), dst + offsetOf(fmt, e), len, signedKey(key), flush, mix(salt + key), at + e)
  }
}

