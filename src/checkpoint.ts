import { describe } from './validate.js'

/** The format tag and version every state dict carries; loading checks both. */
export const STATE_FORMAT = 'wasm-optim'
export const STATE_VERSION = 1

/** One parameter's state: its step count and its buffers (m, v, …). */
export interface ParamState<B> {
  /** The parameter's name, if it has one: state is then matched by name. */
  name?: string
  length: number
  step: number
  state: Record<string, B>
}

/**
 * Everything needed to resume an optimizer. In `opt.stateDict()`, B is a string: each buffer's
 * float32 values (little-endian) in base64, so the whole object survives JSON.stringify with no
 * loss (NaN and ±Infinity included). `opt.stateBytes()` is the compact binary form of the same.
 */
export interface StateDict<B = string> {
  format: typeof STATE_FORMAT
  version: number
  optimizer: string
  nonFinite: string
  skippedSteps: number
  groups: { options: Record<string, unknown>; params: ParamState<B>[] }[]
}

export function toBase64(a: Float32Array): string {
  const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength)
  let text = ''
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(text)
}

export function fromBase64(text: unknown, length: number, where: string): Float32Array {
  if (typeof text !== 'string') throw new TypeError(`${where} must be a base64 string, got ${describe(text)}`)
  let raw: string
  try {
    raw = atob(text)
  } catch {
    throw new TypeError(`${where} is not valid base64`)
  }
  if (raw.length !== 4 * length) {
    throw new RangeError(`${where} holds ${raw.length} bytes, expected ${4 * length} (${length} floats)`)
  }
  const bytes = new Uint8Array(raw.length)
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i)
  return new Float32Array(bytes.buffer)
}

const MAGIC = [0x57, 0x4f, 0x50, 0x54] // "WOPT"

/**
 * Binary form: "WOPT", u32 version, u32 header length, the header (the state dict as UTF-8
 * JSON, each buffer replaced by its byte offset in the data), padding to 4 bytes, then the raw
 * float32 data of every buffer. All little-endian.
 */
export function toBytes(dict: StateDict<Float32Array>): Uint8Array {
  const buffers: Float32Array[] = []
  let offset = 0
  const header: StateDict<number> = {
    ...dict,
    groups: dict.groups.map((g) => ({
      options: g.options,
      params: g.params.map((p) => ({
        ...p,
        state: Object.fromEntries(Object.entries(p.state).map(([k, b]) => {
          buffers.push(b)
          return [k, (offset += b.byteLength) - b.byteLength]
        })),
      })),
    })),
  }
  const json = new TextEncoder().encode(JSON.stringify(header))
  const start = Math.ceil((12 + json.length) / 4) * 4
  const out = new Uint8Array(start + offset)
  const head = new DataView(out.buffer)
  out.set(MAGIC, 0)
  head.setUint32(4, STATE_VERSION, true)
  head.setUint32(8, json.length, true)
  out.set(json, 12)
  let at = start
  for (const b of buffers) {
    out.set(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), at)
    at += b.byteLength
  }
  return out
}

/** Reads the binary form back into a state dict whose buffers are Float32Arrays (copies). */
export function fromBytes(bytes: Uint8Array, where: string): StateDict<Float32Array> {
  const bad = (why: string) => new TypeError(`${where}: not a wasm-optim state (${why})`)
  if (bytes.length < 12 || MAGIC.some((m, i) => bytes[i] !== m)) throw bad('no WOPT header')
  const head = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const version = head.getUint32(4, true)
  if (version !== STATE_VERSION) throw new RangeError(`${where}: state format version ${version}, this library reads ${STATE_VERSION}`)
  const length = head.getUint32(8, true)
  if (12 + length > bytes.length) throw bad('truncated header')
  let header: StateDict<number>
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + length)))
  } catch {
    throw bad('unreadable header')
  }
  const start = Math.ceil((12 + length) / 4) * 4
  if (!header || !Array.isArray(header.groups)) throw bad('no groups')
  return {
    ...header,
    groups: header.groups.map((g, i) => ({
      options: g?.options,
      params: (Array.isArray(g?.params) ? g.params : []).map((p, j) => ({
        ...p,
        state: Object.fromEntries(Object.entries(p?.state ?? {}).map(([k, off]) => {
          const at = `${where}: groups[${i}].params[${j}].state.${k}`
          const n = p.length
          if (typeof off !== 'number' || !Number.isInteger(n) || n < 0 || start + off + 4 * n > bytes.length) {
            throw new RangeError(`${at} lies outside the data`)
          }
          const copy = new Uint8Array(4 * n)
          copy.set(bytes.subarray(start + off, start + off + 4 * n))
          return [k, new Float32Array(copy.buffer)]
        })),
      })),
    })),
  }
}
