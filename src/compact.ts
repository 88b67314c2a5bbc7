// Compact optimizer state (the option stateDtype; docs/state.md): the formats, their sizes and
// addresses, which buffers are signed, and the rounding salt of a step. The codec itself is in
// assembly/codec.ts; the kernels decode, step and encode a block at a time.
import { Q8_BLOCK_BYTES, STATE_BF16, STATE_BLOCK, STATE_F32, STATE_Q8 } from './kernels.js'
import { runtime, view } from './runtime.js'
import { describe } from './validate.js'

/** How an optimizer keeps its moments: float32, bfloat16 (rounded stochastically), or 8-bit blockwise. */
export type StateDtype = 'f32' | 'bf16' | 'q8'

/** The kernels' format number of each dtype. */
export const FORMATS: Readonly<Record<StateDtype, number>> = { f32: STATE_F32, bf16: STATE_BF16, q8: STATE_Q8 }
const NAMES: Readonly<Record<number, StateDtype>> = { [STATE_F32]: 'f32', [STATE_BF16]: 'bf16', [STATE_Q8]: 'q8' }

/** Parameters under this many elements keep float32 state with 'q8' (as bitsandbytes: their state is small, and 8 bits cost them most). */
export const Q8_MIN_ELEMENTS = 4096

/**
 * A step's work per element in each format, against float32's, for how many threads a pass takes
 * (parallel.ts): decoding and encoding the state costs more than the update. Measured, Adam at 1e5
 * on one thread (2026-12-05): f32 1.52, bf16 0.52, q8 0.39 Gelem/s.
 */
export const STATE_COST: Readonly<Record<number, number>> = { [STATE_F32]: 1, [STATE_BF16]: 3, [STATE_Q8]: 4 }

/** A parameter's state format and this step's rounding salt, which its kernel calls read. */
export interface Compact {
  readonly fmt: number
  salt: number
}

/** The state of every float32 parameter (nothing to salt). */
export const F32_STATE: Compact = Object.freeze({ fmt: STATE_F32, salt: 0 })

/** The format of a parameter of n elements in a group whose option is `dtype`. */
export function formatOf(dtype: StateDtype | undefined, n: number): number {
  if (dtype === undefined || (dtype === 'q8' && n < Q8_MIN_ELEMENTS)) return STATE_F32
  return FORMATS[dtype]
}

/** The dtype name of a format number. */
export const dtypeOf = (fmt: number): StateDtype => NAMES[fmt]

/** Bytes of the first `n` elements of a buffer in format fmt (n a multiple of STATE_BLOCK for q8, or the whole buffer). */
export function offsetBytes(fmt: number, n: number): number {
  if (fmt === STATE_BF16) return 2 * n
  if (fmt === STATE_Q8) return Math.ceil(n / STATE_BLOCK) * Q8_BLOCK_BYTES
  return 4 * n
}

/** Bytes a buffer of n elements takes, rounded up to 16 (every buffer starts 16-aligned). */
export const bufferBytes = (fmt: number, n: number) => Math.ceil(offsetBytes(fmt, n) / 16) * 16

/** Float32 words of a saved buffer of n elements in format fmt (checkpoints store the compact bytes as such words). */
export const savedWords = (fmt: number, n: number) => Math.ceil(offsetBytes(fmt, n) / 4)

/**
 * Each state buffer's key, as assembly/codec.ts's KEY_* name it: it picks the buffer's rounding
 * salt (mix(salt + key)) and its q8 map, signed (m, a, b, z) or non-negative (v, vmax, u, s).
 */
export const BUFFER_KEYS: Readonly<Record<string, number>> = { m: 0, v: 1, vmax: 2, u: 3, s: 4, a: 5, b: 6, z: 7 }

/** murmur3's 32-bit finalizer (assembly/codec.ts's mix). */
export function mix(x: number): number {
  let h = x >>> 0
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

/** The salt of stochastic rounding at step t of the parameter at position `id` of its optimizer. */
export const saltOf = (t: number, id: number) => mix(mix(id + 0x632be5ab) ^ t)

/** Elements per chunk when a buffer is read or written whole (a multiple of STATE_BLOCK). */
const PART = 8192

/** Runs `fn` with PART floats of scratch in the wasm memory, freed after. */
function withTemp<T>(fn: (at: number) => T): T {
  const arena = runtime().arena
  const at = arena.alloc(4 * PART)
  try {
    return fn(at)
  } finally {
    arena.free(at)
  }
}

/** A state buffer's values as float32 (a copy): decoded where it is compact. */
export function readState(address: number, fmt: number, n: number, name: string): Float32Array {
  if (fmt === STATE_F32) return view(address, n).slice()
  const out = new Float32Array(n)
  const k = runtime().kernels
  withTemp((at) => {
    for (let off = 0; off < n; off += PART) {
      const len = Math.min(PART, n - off)
      k.decodeState(fmt, address + offsetBytes(fmt, off), at, len, BUFFER_KEYS[name])
      out.set(view(at, len), off)
    }
  })
  return out
}

/**
 * Writes float32 values (or one value) into state buffer `name`, encoded where it is compact as a
 * step would encode them (rounded stochastically with `salt`).
 */
export function writeState(
  address: number,
  fmt: number,
  n: number,
  name: string,
  values: Float32Array | number,
  salt = 0,
): void {
  if (fmt === STATE_F32) {
    if (typeof values === 'number') view(address, n).fill(values)
    else view(address, n).set(values)
    return
  }
  const kernels = runtime().kernels
  withTemp((at) => {
    for (let off = 0; off < n; off += PART) {
      const len = Math.min(PART, n - off)
      const part = view(at, len)
      if (typeof values === 'number') part.fill(values)
      else part.set(values.subarray(off, off + len))
      kernels.encodeState(fmt, at, address + offsetBytes(fmt, off), len, false, salt, BUFFER_KEYS[name], off)
    }
  })
}

/** A fresh buffer of the parameter at position `id`, filled with `value` (a method's initial state, e.g. Adagrad's initial accumulator), rounded as at step 0. */
export const fillState = (address: number, fmt: number, n: number, name: string, value: number, id: number) =>
  writeState(address, fmt, n, name, value, saltOf(0, id))

/** A saved buffer's values as float32: its words where it is float32, else decoded. */
export function decodeWords(words: Float32Array, fmt: number, n: number, name: string): Float32Array {
  if (fmt === FORMATS.f32) return words
  const arena = runtime().arena
  const at = arena.alloc(4 * words.length)
  try {
    view(at, words.length).set(words)
    return readState(at, fmt, n, name)
  } finally {
    arena.free(at)
  }
}

/** The format number of a dtype named in a checkpoint (absent: float32); throws on anything else. */
export function formatNamed(dtype: unknown, where: string): number {
  if (dtype === undefined) return FORMATS.f32
  if (typeof dtype === 'string' && Object.hasOwn(FORMATS, dtype)) return FORMATS[dtype as StateDtype]
  throw new TypeError(`${where}.dtype must be 'f32', 'bf16' or 'q8', got ${describe(dtype)}`)
}
