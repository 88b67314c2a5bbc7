// The reference of compact optimizer state (stateDtype; docs/state.md), written from the docs, not
// from src/: after each step, every state buffer is encoded and decoded as the kernels store it,
// so that the reference holds exactly the values the next step reads. Bit for bit: the kernels
// must match it.

/** Parameters under this many elements keep float32 state with 'q8'. */
const Q8_MIN = 4096
const BLOCK = 256
/** Buffers of non-negative values (the unsigned map); each buffer's key in its salt. */
const UNSIGNED = new Set(['v', 'vmax', 'u', 's'])
const KEYS: Record<string, number> = { m: 0, v: 1, vmax: 2, u: 3, s: 4, a: 5, b: 6, z: 7 }

const f32 = new Float32Array(1)
const u32 = new Uint32Array(f32.buffer)
const bitsOf = (x: number) => {
  f32[0] = x
  return u32[0]
}
const fromBits = (b: number) => {
  u32[0] = b >>> 0
  return f32[0]
}

/** murmur3's 32-bit finalizer. */
export function mix(x: number): number {
  let h = x >>> 0
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

/** The rounding noise of element i: 16 bits of a hash shared by elements i and i + 4 of each run of 8. */
function noise(i: number, salt: number): number {
  let h = (Math.imul(((i >> 3) << 2) | (i & 3), 0x9e3779b9) + salt) >>> 0
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0
  h = (h ^ (h >>> 16)) >>> 0
  return i & 4 ? h >>> 16 : h & 0xffff
}

/** The format a parameter of n elements keeps under `dtype`. */
export const formatOf = (dtype: string | undefined, n: number): string =>
  dtype === 'q8' && n < Q8_MIN ? 'f32' : (dtype ?? 'f32')

/** The salt of step t of the parameter at position id, before the buffer's key. */
export const saltOf = (t: number, id: number) => mix(mix(id + 0x632be5ab) ^ t)

/** Rounds buffer `name` of a parameter (all its elements) to format fmt in place, at step t of parameter `id`. */
export function quantize(x: Float32Array, fmt: string, name: string, flush: boolean, t: number, id: number): void {
  const salt = mix(saltOf(t, id) + KEYS[name])
  if (fmt === 'bf16') {
    for (let i = 0; i < x.length; i++) {
      let bits = bitsOf(x[i])
      const abs = bits & 0x7fffffff
      if (flush && abs < 0x00800000) bits &= 0x80000000
      if (abs > 0x7f800000) bits |= 0x00400000
      else bits = (bits + noise(i, salt)) >>> 0
      x[i] = fromBits((bits >>> 16) << 16)
    }
  } else if (fmt === 'q8') {
    const signed = !UNSIGNED.has(name)
    const [bias, last] = signed ? [896, 127] : [768, 255]
    for (let b = 0; b < x.length; b += BLOCK) {
      const end = Math.min(x.length, b + BLOCK)
      let most = 0
      for (let i = b; i < end; i++) most = Math.max(most, bitsOf(x[i]) & 0x7fffffff)
      const top = fromBits(most)
      const inv = top >= 2 ** -126 ? Math.fround(1 / top) : 0
      for (let i = b; i < end; i++) {
        const y = bitsOf(Math.fround(x[i] * inv))
        const abs = y & 0x7fffffff
        const h = noise(i, salt)
        const r = h * 16 - (h >>> 12) + 4
        const q = Math.min(Math.max(((abs + r) >>> 20) - bias, signed || abs === 0 ? 0 : 1), last)
        const sign = signed ? y & 0x80000000 : 0
        x[i] = Math.fround(fromBits((q === 0 ? 0 : (q + bias) << 20) | sign) * top)
      }
    }
  }
}
