import { Arena, type MemoryStats } from './arena.js'
import type { Kernels } from './kernels.js'
import * as wasm from './wasm.js'

/** What {@link init} takes. */
export interface InitOptions {
  /** true: SIMD build (rejects where unsupported); false: scalar build; default: SIMD where supported. */
  simd?: boolean
  /**
   * true: a shared WebAssembly.Memory (rejects where unsupported); false: an unshared one;
   * default: shared where the runtime allows it (always in Node; in browsers when the page is
   * cross-origin isolated). Fixed by the first `init()`; a later call may not change it.
   */
  shared?: boolean
}

/** What {@link init} resolves to. */
export interface InitResult {
  /** Whether the SIMD build is the one in use. */
  simd: boolean
  /** Whether the memory is shared: its views then never detach when it grows. */
  shared: boolean
}

/** 65536 pages of 64 KiB: all that a 32-bit WebAssembly memory can address. */
const MAX_PAGES = 65536

interface Runtime {
  memory: WebAssembly.Memory
  arena: Arena
  shared: boolean
  /** Every ArrayBuffer the memory has had: how a Float32Array is recognised as living in it. */
  buffers: WeakSet<ArrayBufferLike>
  builds: Partial<Record<'simd' | 'scalar', Promise<Kernels>>>
  kernels: Kernels
  simd: boolean
  /** The diagnostics pass's accumulators, made by the first stats() (see accumulators()). */
  accumulators?: { ptr: number; f64: Float64Array }
}

let rt: Runtime | undefined
let simdSupport: boolean | undefined

const decode = (base64: string): Uint8Array<ArrayBuffer> => Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))

function createMemory(shared: boolean | undefined): { memory: WebAssembly.Memory; shared: boolean } {
  if (shared !== false) {
    try {
      return { memory: new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES, shared: true }), shared: true }
    } catch (cause) {
      if (shared) throw new Error('wasm-optim: this runtime cannot create a shared WebAssembly.Memory', { cause })
    }
  }
  return { memory: new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES }), shared: false }
}

/**
 * A build's bytes. Only the builds for a shared memory are inlined: the build for an unshared one
 * is the same module but for one byte, the flags of its imported memory's limits (the build checks
 * that), which `unshare` clears. This halves the wasm the package ships.
 */
function buildBytes(simd: boolean, shared: boolean, builds: Builds = wasm): Uint8Array<ArrayBuffer> {
  const bytes = decode(simd ? builds.simd : builds.scalar)
  return shared ? bytes : unshare(bytes)
}

/** A module's two inlined builds, base64 (src/wasm.ts, src/tfjs/wasm.ts). */
interface Builds {
  simd: string
  scalar: string
}

/** Clears the shared flag of the memory import: walks the module's sections to the import section's memory entry. */
function unshare(bytes: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  let at = 8 // magic and version
  const leb = () => {
    let value = 0
    let shift = 0
    let byte: number
    do {
      byte = bytes[at++]
      value += (byte & 0x7f) * 2 ** shift
      shift += 7
    } while (byte & 0x80)
    return value
  }
  while (at < bytes.length) {
    const id = bytes[at++]
    const size = leb()
    if (id !== 2) {
      at += size
      continue
    }
    for (let count = leb(); count > 0; count--) {
      for (let name = 0; name < 2; name++) {
        const length = leb() // the module's name, then the field's (read first: `at += leb()` would add to the old at)
        at += length
      }
      const kind = bytes[at++]
      if (kind === 2) {
        bytes[at] &= ~0x02 // limits flags: 0x02 is "shared"
        return bytes
      }
      if (kind === 0)
        leb() // a function: its type index
      else if (kind === 3)
        at += 2 // a global: value type, mutability
      else if (kind === 1) {
        // a table: reference type, then limits (flags, minimum, maximum if flags & 1)
        const flags = bytes[++at]
        at++
        leb()
        if (flags & 1) leb()
      }
    }
    break
  }
  throw new Error('wasm-optim: the wasm build imports no memory (a broken build?)')
}

/** Whether this runtime runs WebAssembly SIMD (128-bit): Node 16.4+, Chrome 91+, Firefox 89+, Safari 16.4+. */
export function simdSupported(): boolean {
  simdSupport ??= WebAssembly.validate(buildBytes(true, false))
  return simdSupport
}

/**
 * Loads the kernels and creates the library's one WebAssembly.Memory. Call it (and await it)
 * once before creating parameters or optimizers. Calling it again is cheap; it can switch
 * between the SIMD and the scalar build at any time, and everything made before keeps working,
 * since both builds share the one memory.
 *
 * @example
 * const { simd } = await init()          // SIMD build where the runtime has it
 * await init({ simd: false })            // the scalar build of the same source
 */
export async function init(options: InitOptions = {}): Promise<InitResult> {
  if (options.simd !== undefined && typeof options.simd !== 'boolean') {
    throw new TypeError(`wasm-optim: init option simd must be a boolean or undefined, got ${String(options.simd)}`)
  }
  if (options.shared !== undefined && typeof options.shared !== 'boolean') {
    throw new TypeError(`wasm-optim: init option shared must be a boolean or undefined, got ${String(options.shared)}`)
  }
  const simd = options.simd ?? simdSupported()
  if (simd && !simdSupported())
    throw new Error('wasm-optim: init({ simd: true }): this runtime has no WebAssembly SIMD')
  if (rt && options.shared !== undefined && options.shared !== rt.shared) {
    throw new Error(
      `wasm-optim: init({ shared: ${options.shared} }): the memory was already created ` +
        `${rt.shared ? 'shared' : 'unshared'} by an earlier init()`,
    )
  }
  if (!rt) {
    const { memory, shared } = createMemory(options.shared)
    const build = await instantiate(memory, simd, shared)
    // A concurrent init() may have finished first: keep its memory, so there is only ever one.
    rt ??= {
      memory,
      arena: new Arena(memory, build.base, MAX_PAGES, shared),
      shared,
      buffers: new WeakSet(),
      builds: { [simd ? 'simd' : 'scalar']: Promise.resolve(build.kernels) },
      kernels: build.kernels,
      simd,
    }
  }
  const r = rt
  const key = simd ? 'simd' : 'scalar'
  r.builds[key] ??= instantiate(r.memory, simd, r.shared).then((b) => b.kernels)
  r.kernels = await r.builds[key]
  r.simd = simd
  return { simd, shared: r.shared }
}

/**
 * @internal Another wasm module of the library (wasm-optim/tfjs's kernels), instantiated on the
 * library's memory in both builds where the runtime has SIMD: resolves to a getter of the build
 * init() chose, looked up at every call since init() can switch it.
 */
export async function extension<T>(builds: Builds): Promise<() => T> {
  const r = runtime()
  const make = async (simd: boolean) => {
    const module = await WebAssembly.compile(buildBytes(simd, r.shared, builds))
    return (await WebAssembly.instantiate(module, { env: { memory: r.memory } })).exports as unknown as T
  }
  const simd = simdSupported() ? await make(true) : undefined
  const scalar = await make(false)
  return () => (r.simd && simd ? simd : scalar)
}

async function instantiate(memory: WebAssembly.Memory, simd: boolean, shared: boolean) {
  const module = await WebAssembly.compile(buildBytes(simd, shared))
  const instance = await WebAssembly.instantiate(module, { env: { memory } })
  const exports = instance.exports as unknown as Kernels & { HEAP_BASE: WebAssembly.Global }
  return { kernels: exports as Kernels, base: exports.HEAP_BASE.value as number }
}

/** The loaded runtime; throws a clear error if init() has not completed. */
export function runtime(): Runtime {
  if (!rt) throw new Error('wasm-optim: call `await init()` before creating parameters or optimizers')
  return rt
}

/** A Float32Array over n floats of the memory at `ptr`; its buffer is remembered as the memory's. */
export function view(ptr: number, n: number): Float32Array {
  const r = runtime()
  const buffer = r.memory.buffer
  r.buffers.add(buffer)
  return new Float32Array(buffer, ptr, n)
}

/**
 * The diagnostics pass's `slots` float64 accumulators: one area for the whole library, since a
 * stats() call runs to its end before anything else can use it. Allocated by the first stats()
 * of any optimizer; its view is made once, and again only if growth detached it (unshared
 * memory). Made per call, the view cost a deoptimisation of stats() after the memory grew.
 */
export function accumulators(slots: number): { ptr: number; f64: Float64Array } {
  const r = runtime()
  r.accumulators ??= { ptr: r.arena.alloc(8 * slots), f64: new Float64Array(0) }
  const a = r.accumulators
  if (a.f64.length === 0) a.f64 = new Float64Array(r.memory.buffer, a.ptr, slots)
  return a
}

/** Whether `a` is a view of the library's memory (so it can be used in place, without copies). */
export function inMemory(a: ArrayBufferView): boolean {
  return rt?.buffers.has(a.buffer) ?? false
}

/**
 * Sizes of the library's WebAssembly memory and of what its allocator holds. Memory given back
 * by `dispose()` is reused before the memory grows; a WebAssembly memory never shrinks.
 */
export function memoryStats(): MemoryStats {
  return runtime().arena.stats()
}
