// How the optimizer reaches a parameter's numbers: every pass (the step, clipping, the non-finite
// check, the diagnostics) walks a parameter through one Walker, a chunk at a time, with the
// addresses where a kernel can read and write its values θ and its gradient g. A parameter() is
// used in place; a plain Float32Array is copied into the optimizer's staging area before its
// chunk is worked on and, where the pass writes it, copied back after. The chunks are the same
// for both kinds, so a sum over them runs in the same order either way.
import type { Compact } from './compact.js'
import { runtime, view } from './runtime.js'

/**
 * Elements per chunk: copy a chunk of θ and g in, update it, copy θ out while it is still in
 * cache. 8192 floats (32 KiB per array) measured fastest on the reference machine
 * (bench/RESULTS.md). Sums that the kernels keep in f32 lanes are also taken per chunk.
 */
export const CHUNK = 8192

/** A parameter's values or gradient: a plain array that is copied, or a view used in place. */
export interface Source {
  /** A plain array outside the wasm memory: staged through the wasm memory chunk by chunk. */
  readonly user?: Float32Array
  /** A view of the wasm memory: the allocator block it lives in, checked at every call. */
  readonly block?: { start: number; serial: number }
}

/** Everything the optimizer keeps for one parameter. */
export interface Slot {
  /** Step count after this step's increment: the first step has t = 1. */
  t: number
  /** Index of the parameter group. */
  readonly group: number
  readonly name: string | undefined
  /** The shape the parameter was given, if any (checked against n). */
  readonly shape: readonly number[] | undefined
  /** Number of elements. */
  readonly n: number
  /** Addresses of θ and g in the wasm memory (used when they live there). */
  readonly p: number
  readonly g: number
  /** Addresses of the state buffers (m, v, …) by name; a buffer the options do not need is absent. */
  readonly state: Readonly<Record<string, number>>
  /** Its position in the optimizer (groups in order, then parameters): stochastic rounding's salt reads it. */
  readonly id: number
  /** The format of its state buffers and this step's rounding salt (src/compact.ts). */
  readonly z: Compact
  readonly param: Source
  readonly grad: Source
  /**
   * A plain `{ param, grad }` object the user gave, with the arrays it held then: replacing one of
   * them afterwards (`spec.grad = new Float32Array(n)`) would be silently ignored, so it is refused.
   */
  readonly given?: { spec: { param: unknown; grad: unknown }; param: Float32Array; grad: Float32Array }
}

/** What a pass does with θ and g: read them (into the staging area) and write them back. */
export const READ_P = 1
export const READ_G = 2
export const WRITE_P = 4
export const WRITE_G = 8

/**
 * Walks one parameter at a time: `for (w.begin(slot, READ_G); w.next(); ) kernel(w.g, w.n)`. After
 * `next()` returns true, `p`, `g` and `n` are the chunk's addresses and length and `off` its
 * first element; `next()` copies back what the pass wrote before moving on, the last chunk
 * included when it returns false. A pass that writes must not leave the loop early. One walker
 * per optimizer, reused: a pass allocates nothing.
 */
export class Walker {
  p = 0
  g = 0
  n = 0
  off = 0
  #slot: Slot | undefined
  #use = 0
  /** Staging area: CHUNK floats of θ, then CHUNK of g; views renewed when growth detached them. */
  readonly #ptr: number
  #stageP: Float32Array | undefined
  #stageG: Float32Array | undefined

  /** `ptr`: the staging area (2·CHUNK floats), or undefined if no parameter of the optimizer is staged. */
  constructor(ptr: number | undefined) {
    this.#ptr = ptr ?? 0
  }

  /** Starts a walk over `s`. */
  begin(s: Slot, use: number): this {
    this.#slot = s
    this.#use = use
    this.off = 0
    this.n = 0
    if ((s.param.user || s.grad.user) && this.#stageP?.buffer !== runtime().memory.buffer) {
      this.#stageP = view(this.#ptr, CHUNK)
      this.#stageG = view(this.#ptr + 4 * CHUNK, CHUNK)
    }
    return this
  }

  /** Moves to the next chunk: false when the parameter is done. */
  next(): boolean {
    const s = this.#slot!
    const use = this.#use
    const pu = s.param.user
    const gu = s.grad.user
    if (this.n > 0) {
      if (pu && use & WRITE_P) pu.set(this.n === CHUNK ? this.#stageP! : this.#stageP!.subarray(0, this.n), this.off)
      if (gu && use & WRITE_G) gu.set(this.n === CHUNK ? this.#stageG! : this.#stageG!.subarray(0, this.n), this.off)
      this.off += this.n
    }
    if (this.off >= s.n) return false
    const n = Math.min(CHUNK, s.n - this.off)
    this.n = n
    this.p = s.p + 4 * this.off
    this.g = s.g + 4 * this.off
    if (pu && use & (READ_P | WRITE_P)) {
      if (use & READ_P) this.#stageP!.set(pu.subarray(this.off, this.off + n))
      this.p = this.#ptr
    }
    if (gu && use & (READ_G | WRITE_G)) {
      if (use & READ_G) this.#stageG!.set(gu.subarray(this.off, this.off + n))
      this.g = this.#ptr + 4 * CHUNK
    }
    return true
  }
}

/** What is wrong with a parameter's values or gradient, if anything. */
export function badSource(src: Source, n: number): 'length' | 'disposed' | undefined {
  if (src.user && src.user.length !== n) return 'length'
  if (src.block && runtime().arena.serial(src.block.start) !== src.block.serial) return 'disposed'
  return undefined
}

/**
 * Throws if a parameter's arrays changed length (detached) or its parameter() was disposed; `where`
 * and j name it in the message. It runs on every call of step() and stats(): no allocation unless
 * it throws.
 */
export function checkSlot(s: Slot, where: string, j: number): void {
  const given = s.given
  if (given && (given.spec.param !== given.param || given.spec.grad !== given.grad)) {
    const what = given.spec.param !== given.param ? 'param' : 'grad'
    throw new TypeError(
      `${where}.params[${j}].${what} was replaced after the optimizer was made; it still uses the array it was given. ` +
        `Write into that array (${what}.set(values)), or make a new optimizer for the new arrays`,
    )
  }
  for (let k = 0; k < 2; k++) {
    const what = k === 0 ? 'param' : 'grad'
    const bad = badSource(s[what], s.n)
    if (bad === undefined) continue
    const at = `${where}.params[${j}].${what}`
    throw bad === 'disposed'
      ? new TypeError(`${at} lives in a parameter() that was disposed`)
      : new RangeError(
          `${at} now has length ${s[what].user!.length}, expected ${s.n} (was its ArrayBuffer transferred or detached?)`,
        )
  }
}
