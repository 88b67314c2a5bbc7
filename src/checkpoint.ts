// Checkpoints: what an optimizer's state looks like when saved (a JSON-safe object, or one
// compact binary buffer), how it is written, and how a saved state is read back and checked
// against the optimizer before anything is changed.
import {
  decodeWords,
  dtypeOf,
  FORMATS,
  fillState,
  formatNamed,
  type StateDtype,
  saltOf,
  savedWords,
  writeState as writeBuffer,
} from './compact.js'
import { view } from './runtime.js'
import { describe } from './validate.js'
import type { Slot } from './walk.js'

/** The format tag and version every state dict carries; loading checks both. */
export const STATE_FORMAT = 'wasm-optim'
/** The version of the state format this library writes and reads. */
export const STATE_VERSION = 1

/** One parameter's state: its step count and its buffers (m, v, …). */
export interface ParamState<B> {
  /** The parameter's name, if it has one: state is then matched by name. */
  name?: string
  /** Its number of elements. */
  length: number
  /** Its step count t. */
  step: number
  /** Its state buffers (m, v, …) by name. */
  state: Record<string, B>
  /** Its shape, where it was given one (a state for a [16, 40] matrix loads into no [40, 16] one). */
  shape?: number[]
  /** The format of its buffers where they are compact ('bf16', 'q8': their bytes, as float32 words); absent: float32. */
  dtype?: StateDtype
}

/**
 * Everything needed to resume an optimizer. In `opt.stateDict()`, B is a string: each buffer's
 * float32 values (little-endian) in base64, so the whole object survives JSON.stringify with no
 * loss (NaN and ±Infinity included). `opt.stateBytes()` is the compact binary form of the same.
 */
export interface StateDict<B = string> {
  /** Always 'wasm-optim'. */
  format: typeof STATE_FORMAT
  /** The format version ({@link STATE_VERSION}). */
  version: number
  /** The optimizer's name, e.g. 'Adam': a state loads only into the same kind. */
  optimizer: string
  /** The non-finite gradient policy. */
  nonFinite: string
  /** The subnormal mode; absent in states saved before it existed (loading one leaves the mode as it is). */
  subnormals?: string
  /** Steps skipped for non-finite gradients so far. */
  skippedSteps: number
  /**
   * Each group's options, its parameters' state, and for a method that keeps values per group
   * besides its buffers (Schedule-Free: its running weight sum and train/eval mode) those too.
   */
  groups: { options: Record<string, unknown>; state?: Record<string, unknown>; params: ParamState<B>[] }[]
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
      ...g,
      params: g.params.map((p) => ({
        ...p,
        state: Object.fromEntries(
          Object.entries(p.state).map(([k, b]) => {
            buffers.push(b)
            offset += b.byteLength
            return [k, offset - b.byteLength]
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
function fromBytes(bytes: Uint8Array, where: string): StateDict<Float32Array> {
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
      ...(g?.state !== undefined && { state: g.state }),
      params: (Array.isArray(g?.params) ? g.params : []).map((p, j) => ({
        ...p,
        state: Object.fromEntries(
          Object.entries(p?.state ?? {}).map(([k, off]) => {
            const at = `${where}: groups[${i}].params[${j}].state.${k}`
            const n = p.length
            if (!Number.isInteger(off) || off < 0 || off % 4 !== 0 || !Number.isInteger(n) || n < 0) {
              throw new RangeError(`${at}: its offset must be an integer ≥ 0 and a multiple of 4, got ${describe(off)}`)
            }
            const size = 4 * savedWords(formatNamed(p.dtype, `${where}: groups[${i}].params[${j}]`), n)
            if (start + off + size > bytes.length) throw new RangeError(`${at} lies outside the data`)
            const copy = new Uint8Array(size)
            copy.set(bytes.subarray(start + off, start + off + size))
            return [k, new Float32Array(copy.buffer)]
          }),
        ),
      })),
    })),
  }
}
/** Checks the shape of a state dict object and decodes its buffers. */
function decodeDict(src: unknown, where: string): StateDict<Float32Array> {
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
        ...(g.state !== undefined && { state: g.state }),
        params: g.params.map((p, j) => {
          const at = `${where}: groups[${i}].params[${j}]`
          if (!p || !Number.isInteger(p.length) || p.length < 0)
            throw new TypeError(`${at}.length must be an integer ≥ 0, got ${describe(p?.length)}`)
          if (!p.state || typeof p.state !== 'object') throw new TypeError(`${at}.state must be an object`)
          const words = savedWords(formatNamed(p.dtype, at), p.length)
          return {
            ...p,
            state: Object.fromEntries(
              Object.entries(p.state).map(([k, b]) => [k, fromBase64(b, words, `${at}.state.${k}`)]),
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
function pairState(
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

/** The state of an optimizer, its buffers encoded by `encode` (base64 for JSON, raw for bytes). */
export function snapshot<B>(
  name: string,
  slots: readonly (readonly Slot[])[],
  groups: readonly { params: unknown }[],
  opt: { nonFinite: string; subnormals: string; skippedSteps: number },
  encode: (a: Float32Array) => B,
  groupState: (group: number) => Record<string, unknown> | undefined,
): StateDict<B> {
  return {
    format: STATE_FORMAT,
    version: STATE_VERSION,
    optimizer: name,
    nonFinite: opt.nonFinite,
    subnormals: opt.subnormals,
    skippedSteps: opt.skippedSteps,
    groups: groups.map(({ params: _, ...options }, i) => ({
      options: JSON.parse(JSON.stringify(options)),
      ...(groupState(i) !== undefined && { state: groupState(i) }),
      params: slots[i].map((s) => ({
        ...(s.name !== undefined && { name: s.name }),
        ...(s.shape !== undefined && { shape: [...s.shape] }),
        length: s.n,
        step: s.t,
        ...(s.z.fmt !== FORMATS.f32 && { dtype: dtypeOf(s.z.fmt) }),
        state: Object.fromEntries(
          Object.entries(s.state).map(([k, ptr]) => [k, encode(view(ptr, savedWords(s.z.fmt, s.n)))]),
        ),
      })),
    })),
  }
}

/** A saved state read and checked against an optimizer, ready to be written. */
export interface Loaded<O> {
  /** Each group's options, merged and checked. */
  options: O[]
  /** What restores each group's own state (see StateDict.groups), to run once everything is checked. */
  groupState: (() => void)[]
  /** Each parameter with its saved entry (undefined: start fresh). */
  pairs: [Slot, ParamState<Float32Array> | undefined, string][]
  nonFinite: string
  subnormals: string | undefined
  skippedSteps: number
}

/**
 * Reads `src` (a state dict, its JSON round trip, or the binary form) and checks it against the
 * optimizer `name` with these slots: the format, the optimizer, the groups (each group's options
 * through `options`, which merges and checks them), the pairing of parameters, every length and
 * buffer. Throws a clear error on any mismatch; changes nothing.
 */
export function restore<O>(
  where: string,
  name: string,
  src: StateDict | Uint8Array | ArrayBuffer,
  slots: Slot[][],
  groupCount: number,
  options: (saved: object, group: number, where: string) => O,
  groupState: (saved: unknown, group: number, where: string) => () => void,
  convert = false,
): Loaded<O> {
  const dict =
    src instanceof Uint8Array || src instanceof ArrayBuffer
      ? fromBytes(new Uint8Array(src), where)
      : decodeDict(src, where)
  if (dict.optimizer !== name) {
    throw new TypeError(`${where}: the state is for ${describe(dict.optimizer)}, this optimizer is ${name}`)
  }
  if (dict.groups.length !== groupCount) {
    throw new RangeError(`${where}: the state has ${dict.groups.length} parameter groups, this optimizer ${groupCount}`)
  }
  // A group's stateDtype stays this optimizer's: a state saved in another is converted (or refused, below).
  const merged = dict.groups.map((g, i) => {
    const saved = g.options !== null && typeof g.options === 'object' ? { ...g.options } : g.options
    if (saved) delete saved.stateDtype
    return options(saved, i, `${where}: groups[${i}].options`)
  })
  if (!Number.isInteger(dict.skippedSteps) || dict.skippedSteps < 0) {
    throw new RangeError(`${where}: skippedSteps must be an integer ≥ 0, got ${describe(dict.skippedSteps)}`)
  }
  const pairs = pairState(slots, dict, where)
  for (const [s, entry, at] of pairs) {
    if (!entry) continue
    if (entry.length !== s.n) throw new RangeError(`${at}: the state has length ${entry.length}, the parameter ${s.n}`)
    if (entry.shape !== undefined && s.shape !== undefined && String(entry.shape) !== String(s.shape)) {
      throw new RangeError(`${at}: the state is for shape [${entry.shape}], the parameter has shape [${s.shape}]`)
    }
    const want = Object.keys(s.state).sort().join(', ')
    const got = Object.keys(entry.state).sort().join(', ')
    if (want !== got) throw new RangeError(`${at}: the state has buffers [${got}], this optimizer keeps [${want}]`)
    const fmt = formatNamed(entry.dtype, at)
    for (const [k, b] of Object.entries(entry.state)) {
      const words = savedWords(fmt, s.n)
      if (b.length !== words) throw new RangeError(`${at}.state.${k} has length ${b.length}, expected ${words}`)
    }
    if (fmt !== s.z.fmt && s.z.fmt !== FORMATS.f32 && !convert) {
      throw new RangeError(
        `${at}: the state is stored as '${dtypeOf(fmt)}', this optimizer keeps '${dtypeOf(s.z.fmt)}': converting rounds it (precision is lost). Pass { convert: true } to loadStateDict() to convert`,
      )
    }
  }
  const own = dict.groups.map((g, i) => groupState(g.state, i, `${where}: groups[${i}].state`))
  return {
    options: merged,
    groupState: own,
    pairs,
    nonFinite: dict.nonFinite,
    subnormals: dict.subnormals,
    skippedSteps: dict.skippedSteps,
  }
}

/**
 * Writes checked state: each parameter's step count and buffers, or fresh ones (`initial`) where
 * the state had no entry. A buffer saved in another format is decoded and encoded into this one's.
 */
export function writeState(pairs: Loaded<unknown>['pairs'], initial: (s: Slot, buffer: string) => number): void {
  for (const [s, entry] of pairs) {
    s.t = entry ? entry.step : 0
    const fmt = entry ? formatNamed(entry.dtype, '') : s.z.fmt
    for (const [k, ptr] of Object.entries(s.state)) {
      if (!entry) fillState(ptr, s.z.fmt, s.n, k, initial(s, k), s.id)
      else if (fmt === s.z.fmt) view(ptr, savedWords(fmt, s.n)).set(entry.state[k])
      else writeBuffer(ptr, s.z.fmt, s.n, k, decodeWords(entry.state[k], fmt, s.n, k), saltOf(s.t, s.id))
    }
  }
}
