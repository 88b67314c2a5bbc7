import { Arena, type MemoryStats } from './arena.js'
import { type Builds, buildBytes } from './builds.js'
import { KERNEL_NAMES, type Kernels, SCRATCH_BYTES } from './kernels.js'
import { Pool, SPIN_MS } from './threads.js'

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
  /**
   * Threads for the passes over `parameter()` buffers: the calling thread and threads − 1 helpers
   * (worker_threads in Node, Web Workers in browsers), or 'auto' for one per core. Needs a shared
   * memory (in browsers: a cross-origin isolated page). Default: unchanged, and 1 at first. A step
   * gives the same bits for every thread count; passes under {@link MIN_PARALLEL} elements run on
   * the calling thread alone.
   */
  threads?: number | 'auto'
}

/** What {@link init} resolves to. */
export interface InitResult {
  /** Whether the SIMD build is the one in use. */
  simd: boolean
  /** Whether the memory is shared: its views then never detach when it grows. */
  shared: boolean
  /** Threads the passes run on (1: the calling thread alone). */
  threads: number
  /** Why `threads` is fewer than asked, when it is. */
  whyFewerThreads?: string
}

/**
 * Elements a thread must get for a pass (the `parameter()` buffers of a step, of a clipping or
 * non-finite pass, of stats()) to split over it: a pass runs on one thread per this many elements,
 * up to all of them, so passes under twice this run on the calling thread alone. Measured on 2
 * cores (2026-12-04, interleaved, 5 rounds): Adam broke even with 2 threads at about 5e4 elements
 * (0.82× at 3e4, 0.99× at 5e4, 1.28× at 7e4), M-SVAG at about 3e4 (bench/RESULTS.md). It holds
 * while the helpers are awake (a pass came within 0.2 ms of the last); once they sleep, waking
 * them costs more, and the bound is {@link MIN_PARALLEL_ASLEEP}.
 */
export const PER_THREAD = 32768

/** Passes under this many elements run on the calling thread alone: two threads' worth (PER_THREAD). */
export const MIN_PARALLEL = 2 * PER_THREAD

/** Threads a pass of `elements` elements runs on, with `threads` in all: one per PER_THREAD elements, at least one. */
export const threadsFor = (elements: number, threads: number) =>
  Math.max(1, Math.min(threads, Math.floor(elements / PER_THREAD)))

/** The same bound when every helper is asleep: Adam with 2 ms between steps lost below about 2e5 elements. */
export const MIN_PARALLEL_ASLEEP = 262144

/** 65536 pages of 64 KiB: all that a 32-bit WebAssembly memory can address. */
const MAX_PAGES = 65536

interface Runtime {
  memory: WebAssembly.Memory
  arena: Arena
  /** The threads' scratch for compact state, SCRATCH_BYTES each (thread 0: the calling thread). */
  scratch: number
  shared: boolean
  /** Every ArrayBuffer the memory has had: how a Float32Array is recognised as living in it. */
  buffers: WeakSet<ArrayBufferLike>
  builds: Partial<Record<'simd' | 'scalar', Promise<Kernels>>>
  kernels: Kernels
  simd: boolean
  /** The diagnostics pass's accumulators, made by the first stats() (see accumulators()). */
  accumulators?: { ptr: number; f64: Float64Array; size: number }
  /** The compiled builds for a shared memory, which helpers instantiate too. */
  modules: Partial<Record<'simd' | 'scalar', WebAssembly.Module>>
  /** The helpers, while there are any. */
  pool?: Pool
  /** The task table, claim flags and per-chunk results of the passes the helpers share (parallel.ts), kept for the next pool. */
  passArea?: { table: number; flags: number; tasks: number; results: number; count: number }
  /** Why the last request for threads got fewer. */
  whyFewerThreads?: string
  /** Each build's kernels in the order tasks name them (KERNEL_NAMES). */
  fns: Partial<Record<'simd' | 'scalar', ((...args: number[]) => number)[]>>
}

let rt: Runtime | undefined
let simdSupport: boolean | undefined

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
  const { threads } = options
  if (threads !== undefined && threads !== 'auto') {
    if (typeof threads !== 'number' || !Number.isInteger(threads)) {
      const got = typeof threads === 'string' ? JSON.stringify(threads) : String(threads)
      throw new TypeError(
        `wasm-optim: init option threads must be an integer in [1, ${MAX_THREADS}] or 'auto', got ${got}`,
      )
    }
    if (threads < 1 || threads > MAX_THREADS)
      throw new RangeError(`wasm-optim: init option threads must be in [1, ${MAX_THREADS}] or 'auto', got ${threads}`)
  }
  // Counted now, before any await: a shutdown() or another init({ threads }) after this call wins over it.
  const request = threads === undefined ? 0 : ++threadRequests
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
    if (!rt) {
      const arena = new Arena(memory, build.base, MAX_PAGES, shared)
      // Each thread's scratch for compact state (assembly/codec.ts): the calling thread's first, then each helper's.
      const scratch = arena.alloc(MAX_THREADS * SCRATCH_BYTES)
      build.kernels.setScratch(scratch)
      rt = {
        memory,
        arena,
        scratch,
        shared,
        buffers: new WeakSet(),
        builds: { [simd ? 'simd' : 'scalar']: Promise.resolve(build.kernels) },
        kernels: build.kernels,
        simd,
        modules: { [simd ? 'simd' : 'scalar']: build.module },
        fns: {},
      }
    }
  }
  const r = rt
  const key = simd ? 'simd' : 'scalar'
  r.builds[key] ??= instantiate(r.memory, simd, r.shared).then((b) => {
    r.modules[key] = b.module
    b.kernels.setScratch(r.scratch)
    return b.kernels
  })
  r.kernels = await r.builds[key]
  r.simd = simd
  if (threads !== undefined && request === threadRequests) {
    await startThreads(r, threads === 'auto' ? await cores() : threads, request)
  }
  return {
    simd,
    shared: r.shared,
    threads: r.pool?.threads ?? 1,
    ...(r.whyFewerThreads !== undefined && { whyFewerThreads: r.whyFewerThreads }),
  }
}

/** The most threads init() starts. */
const MAX_THREADS = 64

/** Cores of this machine: os.availableParallelism() in Node, navigator.hardwareConcurrency in browsers. */
async function cores(): Promise<number> {
  const nodeProcess = (globalThis as { process?: { versions?: { node?: string } } }).process
  let n: number | undefined
  if (nodeProcess?.versions?.node) {
    const specifier = 'node:os'
    const os = (await import(/* @vite-ignore */ specifier)) as typeof import('node:os')
    n = os.availableParallelism?.() ?? os.cpus().length
  } else {
    n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency
  }
  return Math.min(Math.max(1, n ?? 1), MAX_THREADS)
}

/** Replaces the helpers with `threads` − 1 new ones (none for 1); where that fails, says why and runs on one. */
async function startThreads(r: Runtime, threads: number, request: number): Promise<void> {
  stopThreads(r)
  r.whyFewerThreads = undefined
  if (threads === 1) return
  // A page that is not cross-origin isolated may still make a shared memory (Chromium does), but cannot hand it to a worker.
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== false
  if (!r.shared || !isolated) {
    r.whyFewerThreads =
      'the memory is not shared with workers (init({ shared: false }), or a page that is not cross-origin isolated: ' +
      "serve it with the headers 'Cross-Origin-Opener-Policy: same-origin' and 'Cross-Origin-Embedder-Policy: require-corp')"
    return
  }
  try {
    const [simd, scalar] = await Promise.all([simdSupported() ? compiled(r, true) : undefined, compiled(r, false)])
    const pool = await Pool.start({ memory: r.memory, builds: [simd, scalar], scratch: r.scratch }, threads - 1)
    // A later init({ threads }) or shutdown() came while these started: the last call wins, and these go.
    if (request !== threadRequests) pool.shutdown()
    else r.pool = pool
  } catch (e) {
    r.whyFewerThreads = `the helper threads could not start: ${(e as Error).message}`
  }
}

/** Counts init({ threads }) and shutdown() calls: a pool that finishes starting after a later call is shut down. */
let threadRequests = 0

async function compiled(r: Runtime, simd: boolean): Promise<WebAssembly.Module> {
  const key = simd ? 'simd' : 'scalar'
  r.modules[key] ??= await WebAssembly.compile(buildBytes(simd, true))
  return r.modules[key]
}

function stopThreads(r: Runtime): void {
  r.pool?.shutdown()
  r.pool = undefined
}

/**
 * Stops the helper threads, if any: later passes run on the calling thread until init({ threads })
 * starts new ones. A Node process does not wait for the helpers to exit anyway; this frees them
 * (and their memory) in a long-lived process or page.
 */
export function shutdown(): void {
  threadRequests++
  if (rt) {
    stopThreads(rt)
    rt.whyFewerThreads = undefined
  }
}

/**
 * @internal The helpers to run a pass over `elements` elements on, or undefined for the calling
 * thread alone. If a helper died since the last pass, throws (once) an error that says so, before
 * anything changed, and drops the helpers: later passes run on the calling thread.
 */
export function poolFor(elements: number, kind?: string): Pool | undefined {
  const r = runtime()
  const pool = r.pool
  if (!pool) return undefined
  if (pool.failed !== undefined) {
    stopThreads(r)
    r.whyFewerThreads = `a helper thread ${pool.failed}`
    throw new Error(
      `wasm-optim: a helper thread ${pool.failed}; nothing was changed. The library now runs on the calling ` +
        'thread (init({ threads }) starts new helpers).',
    )
  }
  if (elements < MIN_PARALLEL || pool.resting(kind)) return undefined
  const now = performance.now()
  const recent = now - lastPass < SPIN_MS
  lastPass = now
  if (elements >= MIN_PARALLEL_ASLEEP || !pool.asleep()) return pool
  // Too small to wait for sleeping helpers: this pass runs here. If passes come as often as the
  // helpers spin (a tight loop), they are woken for the next ones; if not, waking them would cost
  // this thread a system call and win nothing (they would be asleep again), so they sleep on.
  if (recent) pool.wake()
  return undefined
}

/** When the last pass large enough for the helpers started (performance.now()). */
let lastPass = Number.NEGATIVE_INFINITY

/**
 * @internal Runs a pass of `count` tasks on the helpers and the calling thread. If the helpers
 * fail in it, they are dropped (later passes run on the calling thread) and the error is thrown.
 */
export function runPass(
  pool: Pool,
  table: number,
  results: number,
  count: number,
  flags: number,
  active: number,
  kind?: string,
  work?: number,
): void {
  const r = runtime()
  const key = r.simd ? 'simd' : 'scalar'
  r.fns[key] ??= KERNEL_NAMES.map((k) => r.kernels[k] as unknown as (...args: number[]) => number)
  try {
    pool.run(r.fns[key], r.simd, table, results, count, flags, active, kind, work)
  } catch (e) {
    if (pool.failed !== undefined && r.pool === pool) {
      stopThreads(r)
      r.whyFewerThreads = `a helper thread ${pool.failed}`
    }
    throw e
  }
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
  return { kernels: exports as Kernels, base: exports.HEAP_BASE.value as number, module }
}

/** @internal The loaded runtime; throws a clear error if init() has not completed. */
export function runtime(): Runtime {
  if (!rt) throw new Error('wasm-optim: call `await init()` before creating parameters or optimizers')
  return rt
}

/** @internal A Float32Array over n floats of the memory at `ptr`; its buffer is remembered as the memory's. */
export function view(ptr: number, n: number): Float32Array {
  const r = runtime()
  const buffer = r.memory.buffer
  r.buffers.add(buffer)
  return new Float32Array(buffer, ptr, n)
}

/**
 * @internal The diagnostics pass's float64 accumulators, at least `count` of them (a block per chunk): one
 * area for the whole library, since a stats() call runs to its end before anything else can use
 * it. Allocated by the first stats() of any optimizer and grown (to twice the size) when a call
 * needs more; its view is made again only then, or if growth of the memory detached it. Made per
 * call, the view cost a deoptimisation of stats() after the memory grew.
 */
export function accumulators(count: number): { ptr: number; f64: Float64Array } {
  const r = runtime()
  let a = r.accumulators
  if (!a || a.size < count) {
    const size = Math.max(count, 2 * (a?.size ?? 0))
    if (a) r.arena.free(a.ptr)
    a = { ptr: r.arena.alloc(8 * size), f64: new Float64Array(0), size }
    r.accumulators = a
  }
  if (a.f64.length === 0) a.f64 = new Float64Array(r.memory.buffer, a.ptr, a.size)
  return a
}

/** @internal Whether `a` is a view of the library's memory (so it can be used in place, without copies). */
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
