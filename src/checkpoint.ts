import type { Slot } from './optimizer.js'
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
        state: Object.fromEntries(
          Object.entries(p.state).map(([k, b]) => {
            buffers.push(b)
            return [k, (offset += b.byteLength) - b.byteLength]
          }),
        ),
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
  if (version !== STATE_VERSION)
    throw new RangeError(`${where}: state format version ${version}, this library reads ${STATE_VERSION}`)
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
        state: Object.fromEntries(
          Object.entries(p?.state ?? {}).map(([k, off]) => {
            const at = `${where}: groups[${i}].params[${j}].state.${k}`
            const n = p.length
            if (typeof off !== 'number' || !Number.isInteger(n) || n < 0 || start + off + 4 * n > bytes.length) {
              throw new RangeError(`${at} lies outside the data`)
            }
            const copy = new Uint8Array(4 * n)
            copy.set(bytes.subarray(start + off, start + off + 4 * n))
            return [k, new Float32Array(copy.buffer)]
          }),
        ),
      })),
    })),
  }
}
/** Checks the shape of a state dict object and decodes its buffers. */
export function decodeDict(src: unknown, where: string): StateDict<Float32Array> {
  const d = src as StateDict
  if (d === null || typeof d !== 'object' || d.format !== STATE_FORMAT) {
    throw new TypeError(`${where}: not a wasm-optim state dict (format ${describe((d as StateDict | null)?.format)})`)
  }
  if (d.version !== STATE_VERSION)
    throw new RangeError(`${where}: state format version ${describe(d.version)}, this library reads ${STATE_VERSION}`)
  if (!Array.isArray(d.groups)) throw new TypeError(`${where}: groups must be an array, got ${describe(d.groups)}`)
  return {
    ...d,
    groups: d.groups.map((g, i) => {
      if (!g || !Array.isArray(g.params)) throw new TypeError(`${where}: groups[${i}].params must be an array`)
      return {
        options: g.options,
        params: g.params.map((p, j) => {
          const at = `${where}: groups[${i}].params[${j}]`
          if (!p || !Number.isInteger(p.length) || p.length < 0)
            throw new TypeError(`${at}.length must be an integer ≥ 0, got ${describe(p?.length)}`)
          if (!p.state || typeof p.state !== 'object') throw new TypeError(`${at}.state must be an object`)
          return {
            ...p,
            state: Object.fromEntries(
              Object.entries(p.state).map(([k, b]) => [k, fromBase64(b, p.length, `${at}.state.${k}`)]),
            ),
          }
        }),
      }
    }),
  }
}

/**
 * Pairs each parameter with its entry in the state: by name when every parameter on both sides
 * has one, else by position (and then the counts must match). Also checks the step counts.
 */
export function pairState(
  slots: Slot[][],
  dict: StateDict<Float32Array>,
  where: string,
): [Slot, ParamState<Float32Array> | undefined, string][] {
  const all = slots.flat()
  const entries = dict.groups.flatMap((g) => g.params)
  const out: [Slot, ParamState<Float32Array> | undefined, string][] = []
  if (all.every((s) => s.name !== undefined) && entries.every((e) => typeof e.name === 'string')) {
    const byName = new Map<string, ParamState<Float32Array>>()
    for (const e of entries) {
      if (byName.has(e.name!)) throw new RangeError(`${where}: the state names parameter '${e.name}' twice`)
      byName.set(e.name!, e)
    }
    for (const s of all) {
      out.push([s, byName.get(s.name!), `${where}: parameter '${s.name}'`])
      byName.delete(s.name!)
    }
    if (byName.size > 0) {
      throw new RangeError(
        `${where}: the state has parameters that this optimizer does not: ${[...byName.keys()].map((n) => `'${n}'`).join(', ')}`,
      )
    }
  } else {
    slots.forEach((group, i) => {
      const list = dict.groups[i].params
      if (list.length !== group.length) {
        throw new RangeError(`${where}: groups[${i}] has ${list.length} parameters in the state, ${group.length} here`)
      }
      group.forEach((s, j) => {
        const at = `${where}: groups[${i}].params[${j}]`
        if (s.name !== undefined && list[j].name !== undefined && s.name !== list[j].name) {
          throw new RangeError(`${at}: the state is for parameter '${list[j].name}', this one is '${s.name}'`)
        }
        out.push([s, list[j], at])
      })
    })
  }
  for (const [, e, at] of out) {
    if (e && (!Number.isInteger(e.step) || e.step < 0))
      throw new RangeError(`${at}: step must be an integer ≥ 0, got ${describe(e.step)}`)
  }
  return out
}
