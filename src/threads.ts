// Helper threads: more cores for the passes over parameter() buffers. The helpers are Web Workers
// (browsers) or worker_threads (Node), each with its own instance of the library's wasm module on
// the one shared WebAssembly.Memory. A pass is written as a table of tasks in that memory; the
// calling thread and the helpers claim tasks one at a time with an atomic counter until none is
// left, then the calling thread waits until every claimed task is done. So a step stays
// synchronous, a helper that the OS deschedules only slows the step by the task it holds, and the
// kernels are element-wise or sum per fixed chunk: results are the same bits for any number of
// threads. Helpers spin for a while after a pass and then sleep in Atomics.wait, so an idle pool
// costs no CPU; the calling thread never sleeps (browsers forbid Atomics.wait on the main thread),
// it spins for the short time the last tasks take.
import { KERNEL_NAMES, type Kernels } from './kernels.js'

/**
 * Slots of the control block (an Int32Array over a SharedArrayBuffer of its own). The pass
 * counter the helpers spin on and the two counters every task updates lie on cache lines of
 * their own (16 slots apart): sharing one, the claims and the spinning contended for it.
 */
const GEN = 0 // pass counter: a helper wakes when it changes
const NEXT = 16 // next task to claim
const DONE = 32 // tasks finished in this pass
const COUNT = 48 // tasks in this pass; the rest of this line changes once per pass at most
const STOP = 49 // 1: helpers return
const ERROR = 50 // 1 + index of the helper whose task threw, 0 if none
const SLEEPERS = 51 // helpers asleep in Atomics.wait
const BUILD = 52 // 0: SIMD build, 1: scalar build
const TABLE = 53 // the task table: its index in a Float64Array over the memory
const RESULTS = 54 // the per-chunk results: their index in the same view
const ERROR_LENGTH = 55
const DEAD = 56 // 1 + index of a helper that stopped for good, 0 if none
const ERROR_TEXT = 256 // byte offset of the failed task's message (UTF-16 code units, 512 of them)
const CONTROL_BYTES = ERROR_TEXT + 1024

/**
 * Float64 slots per task: type, kernel, argument count, then the number of state buffers to flush
 * (CALL) or the chunk length (PER_CHUNK, STATS), n, the first chunk's index among the pass's
 * results, then the arguments.
 */
export const TASK_SLOTS = 32
/** Task types: a kernel call on a range (then a flush of the listed state buffers); a kernel whose result is kept per chunk; the diagnostics per chunk. */
export const CALL = 1
export const PER_CHUNK = 2
export const STATS = 3
/**
 * Tasks that fail when a helper runs them and do nothing on the calling thread, for the library's
 * tests: FAULT throws (the helper goes on), FATAL throws an error that stops the helper.
 */
export const FAULT = 9
export const FATAL = 10

/** Each kernel's index in KERNEL_NAMES: how a task names its kernel. */
export const kernelIndex = Object.fromEntries(KERNEL_NAMES.map((k, i) => [k, i])) as Record<keyof Kernels, number>

/**
 * Runs task `at` (its first slot in `f`, a Float64Array over the memory). Shared by the calling
 * thread and the helpers, to whom it is sent as source text: it must not refer to anything
 * outside itself, and declares no named inner function (the build's keepNames would wrap one in
 * a helper that the text lacks).
 */
export function runTask(
  fns: ((...args: number[]) => number)[],
  f: Float64Array,
  at: number,
  results: number,
  helper: boolean,
): void {
  const type = f[at]
  const fn = fns[f[at + 1]]
  const argc = f[at + 2]
  const chunk = f[at + 3]
  const n = f[at + 4]
  const first = f[at + 5]
  const a = at + 6
  if (type === 1) {
    const args: number[] = []
    for (let i = 0; i < argc; i++) args.push(f[a + i])
    Reflect.apply(fn, undefined, args)
    const flush = fns[f[a + argc]]
    for (let i = 0; i < f[at + 3]; i++) flush(f[a + argc + 1 + i], n)
  } else if (type === 2) {
    for (let off = 0, c = first; off < n; off += chunk, c++)
      f[results + c] = fn(f[a] + 4 * off, Math.min(chunk, n - off))
  } else if (type === 3) {
    const p = f[a]
    const g = f[a + 1]
    const m = f[a + 2]
    const v = f[a + 3]
    const out = f[a + 13]
    const slots = f[a + 14]
    for (let off = 0, c = first; off < n; off += chunk, c++) {
      const o = 4 * off
      fn(
        p + o,
        g + o,
        m && m + o,
        v && v + o,
        Math.min(chunk, n - off),
        f[a + 4],
        f[a + 5],
        f[a + 6],
        f[a + 7],
        f[a + 8],
        f[a + 9],
        f[a + 10],
        f[a + 11],
        f[a + 12],
        out + 8 * slots * c,
      )
    }
  } else if (type >= 9) {
    if (helper) {
      throw Object.assign(new Error(`a ${type === 9 ? 'fault' : 'fatal fault'} injected by the tests`), {
        fatal: type === 10,
      })
    }
    // On the calling thread: take 20 µs, so that a sleeping helper wakes up in time to claim some.
    const until = performance.now() + 0.02
    while (performance.now() < until) {}
  }
}

/**
 * The helper's program, sent as source text: it receives the module builds, the memory and the
 * control block, instantiates a build, reports ready, then loops: wait for a pass, claim and run
 * tasks, count them done. An error in a task is written to the control block for the calling
 * thread to throw, and the helper goes on.
 */
function helperMain(host: { post(m: unknown): void; receive(f: (m: unknown) => void): void }): void {
  host.receive((message) => {
    const { builds, memory, control, names, spinMs, index } = message as {
      builds: WebAssembly.Module[]
      memory: WebAssembly.Memory
      control: SharedArrayBuffer
      names: string[]
      spinMs: number
      index: number
    }
    const ctl = new Int32Array(control)
    const text = new Uint16Array(control, 256, 512)
    const fnsOf: ((...args: number[]) => number)[][] = []
    for (const build of builds) {
      const exports = new WebAssembly.Instance(build, { env: { memory } }).exports as Record<string, unknown>
      fnsOf.push(names.map((name) => exports[name] as (...args: number[]) => number))
    }
    // The pass counter as it is before 'ready': a pass the calling thread starts right after is seen.
    let seen = Atomics.load(ctl, 0)
    let f = new Float64Array(memory.buffer)
    host.post('ready')
    // The task runner, the same source the calling thread runs (inserted where this file is made into text).
    const run = RUN_TASK
    for (;;) {
      const start = performance.now()
      let spins = 0
      while (Atomics.load(ctl, 0) === seen) {
        if (++spins % 1024 === 0 && performance.now() - start > spinMs) {
          Atomics.add(ctl, 51, 1)
          Atomics.wait(ctl, 0, seen)
          Atomics.sub(ctl, 51, 1)
        }
      }
      seen = Atomics.load(ctl, 0)
      if (Atomics.load(ctl, 49) !== 0) return
      if (f.buffer !== memory.buffer) f = new Float64Array(memory.buffer)
      for (;;) {
        // Everything about the pass is read after the claim: a helper that was held up between
        // two passes may claim a task of the next one, and must run it as that pass says.
        const task = Atomics.add(ctl, 16, 1)
        if (task >= Atomics.load(ctl, 48)) break
        try {
          run(fnsOf[Atomics.load(ctl, 52)], f, Atomics.load(ctl, 53) + task * 32, Atomics.load(ctl, 54), true)
        } catch (e) {
          if (Atomics.compareExchange(ctl, 50, 0, index + 1) === 0) {
            const why = String((e as Error)?.message ?? e).slice(0, 512)
            for (let i = 0; i < why.length; i++) text[i] = why.charCodeAt(i)
            Atomics.store(ctl, 55, why.length)
          }
          if ((e as { fatal?: boolean })?.fatal) {
            // This helper stops: say so, count the task (the calling thread must not wait for it), and end the thread.
            Atomics.store(ctl, 56, index + 1)
            Atomics.add(ctl, 32, 1)
            throw e
          }
        }
        Atomics.add(ctl, 32, 1)
      }
    }
  })
}
declare const RUN_TASK: typeof runTask

/** The helper's source: its program and the task runner, with the host bindings of Node or of a Web Worker. */
function helperSource(): string {
  const host = `typeof self === 'undefined'
    ? { post: (m) => require('node:worker_threads').parentPort.postMessage(m),
        receive: (f) => require('node:worker_threads').parentPort.once('message', f) }
    : { post: (m) => self.postMessage(m), receive: (f) => { self.onmessage = (e) => f(e.data) } }`
  return `'use strict';\nconst RUN_TASK = (${runTask.toString()});\n(${helperMain.toString()})(${host});\n`
}

/** A started helper: terminate() stops it; `exited` says why it stopped, if it did. */
interface Helper {
  terminate(): void
  exited?: string
}

/** Milliseconds a helper spins after a pass before it sleeps; a step that follows sooner finds it awake. */
export const SPIN_MS = 0.2
/** How long the calling thread waits for a claimed task without progress before it gives up on the helpers. */
const STALL_MS = 5000
/** How long a helper may take to start. */
const START_MS = 20_000

/** What starting a pool needs from the runtime. */
export interface PoolSetup {
  memory: WebAssembly.Memory
  /** The module's builds for a shared memory: SIMD (undefined where unsupported), scalar. */
  builds: [WebAssembly.Module | undefined, WebAssembly.Module]
}

/** The calling thread's side of the helpers: it writes passes, takes part in them and waits for them. */
export class Pool {
  /** Threads a pass runs on: the calling thread and the helpers. */
  readonly threads: number
  readonly #ctl: Int32Array
  readonly #text: Uint16Array
  readonly #helpers: Helper[]
  readonly #memory: WebAssembly.Memory
  #f: Float64Array
  #failed: string | undefined

  private constructor(setup: PoolSetup, control: SharedArrayBuffer, helpers: Helper[]) {
    this.#ctl = new Int32Array(control)
    this.#text = new Uint16Array(control, ERROR_TEXT, 512)
    this.#f = new Float64Array(setup.memory.buffer)
    this.#helpers = helpers
    this.#memory = setup.memory
    this.threads = helpers.length + 1
    Atomics.store(this.#ctl, NEXT, 1 << 30)
  }

  /** Starts `count` helpers; rejects with the reason where they cannot run. */
  static async start(setup: PoolSetup, count: number): Promise<Pool> {
    const control = new SharedArrayBuffer(CONTROL_BYTES)
    const builds = setup.builds.filter((b): b is WebAssembly.Module => b !== undefined)
    const message = {
      builds: setup.builds[0] ? builds : [builds[0], builds[0]],
      memory: setup.memory,
      control,
      names: KERNEL_NAMES,
      spinMs: SPIN_MS,
    }
    const spawn = await spawner()
    let pool: Pool | undefined
    const started = await Promise.allSettled(
      Array.from({ length: count }, (_, index) =>
        spawn({ ...message, index }, (why) => pool?.fail(`${index + 1} of ${count} ${why}`)),
      ),
    )
    const helpers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []))
    const failed = started.find((s) => s.status === 'rejected')
    if (failed) {
      for (const h of helpers) h.terminate()
      throw failed.reason
    }
    pool = new Pool(setup, control, helpers)
    return pool
  }

  /** Whether every helper is asleep (idle for longer than it spins): a pass then first wakes them, which takes time. */
  asleep(): boolean {
    return Atomics.load(this.#ctl, SLEEPERS) === this.#helpers.length
  }

  /** Wakes sleeping helpers without giving them work: they spin again, ready for a pass that follows soon. */
  wake(): void {
    Atomics.add(this.#ctl, GEN, 1)
    Atomics.notify(this.#ctl, GEN)
  }

  /** Why the pool stopped working, once a helper died; undefined while it works. */
  get failed(): string | undefined {
    return this.#failed
  }

  /** Marks the pool broken (a helper died): the next pass throws this, and the library runs on the calling thread. */
  fail(why: string): void {
    this.#failed ??= why
  }

  /** A Float64Array over the whole memory, for writing tasks and reading results; renewed after the memory grew. */
  view(): Float64Array {
    if (this.#f.buffer !== this.#memory.buffer) this.#f = new Float64Array(this.#memory.buffer)
    return this.#f
  }

  /**
   * Runs `count` tasks written at float64 index `table` of the memory, the results area at
   * `results`, on every thread; returns when all are done. Throws if a helper's task threw, or if
   * the helpers stopped making progress (then the pass may be incomplete).
   */
  run(fns: ((...args: number[]) => number)[], simd: boolean, table: number, results: number, count: number): void {
    const ctl = this.#ctl
    Atomics.store(ctl, COUNT, count)
    Atomics.store(ctl, DONE, 0)
    Atomics.store(ctl, ERROR, 0)
    Atomics.store(ctl, BUILD, simd ? 0 : 1)
    Atomics.store(ctl, TABLE, table)
    Atomics.store(ctl, RESULTS, results)
    Atomics.store(ctl, NEXT, 0)
    Atomics.add(ctl, GEN, 1)
    if (Atomics.load(ctl, SLEEPERS) > 0) Atomics.notify(ctl, GEN)
    const f = this.view()
    for (;;) {
      const task = Atomics.add(ctl, NEXT, 1)
      if (task >= count) break
      runTask(fns, f, table + task * TASK_SLOTS, results, false)
      Atomics.add(ctl, DONE, 1)
    }
    let done = Atomics.load(ctl, DONE)
    let since = performance.now()
    for (let spins = 0; done < count; spins++) {
      const now = Atomics.load(ctl, DONE)
      if (now !== done) {
        done = now
        since = performance.now()
      } else if (spins % 4096 === 0 && performance.now() - since > STALL_MS) {
        Atomics.store(ctl, NEXT, 1 << 30)
        this.fail(`stopped responding for ${STALL_MS / 1000} s in the middle of a pass`)
        throw new Error(
          `wasm-optim: a helper thread ${this.#failed}: the pass is incomplete, some parameters may not have been updated. ` +
            'The helpers were stopped; the library now runs on the calling thread (init({ threads }) starts new ones).',
        )
      }
    }
    Atomics.store(ctl, NEXT, 1 << 30)
    const failed = Atomics.load(ctl, ERROR)
    if (failed !== 0) {
      const why = String.fromCharCode(...this.#text.subarray(0, Atomics.load(ctl, ERROR_LENGTH)))
      const dead = Atomics.load(ctl, DEAD)
      if (dead !== 0) {
        this.fail(`${dead} of ${this.threads - 1} stopped after an error: ${why}`)
        throw new Error(
          `wasm-optim: helper thread ${this.#failed}; the pass is incomplete, some parameters may not have been updated. ` +
            'The helpers were stopped; the library now runs on the calling thread (init({ threads }) starts new ones).',
        )
      }
      throw new Error(
        `wasm-optim: helper thread ${failed} of ${this.threads - 1} failed in a pass: ${why}; the pass is incomplete, ` +
          'some parameters may not have been updated',
      )
    }
  }

  /** Stops every helper. */
  shutdown(): void {
    Atomics.store(this.#ctl, STOP, 1)
    Atomics.add(this.#ctl, GEN, 1)
    Atomics.notify(this.#ctl, GEN)
    for (const h of this.#helpers) h.terminate()
  }

  /** @internal The helpers, for the library's tests (to make one fail). */
  get helpers(): readonly Helper[] {
    return this.#helpers
  }
}

type Spawn = (message: object, exited: (why: string) => void) => Promise<Helper>

/** How this runtime starts a helper: worker_threads in Node, a Web Worker from a Blob URL in browsers. */
async function spawner(): Promise<Spawn> {
  const source = helperSource()
  const nodeProcess = (globalThis as { process?: { versions?: { node?: string } } }).process
  if (nodeProcess?.versions?.node) {
    // A variable specifier, so that bundlers leave this Node-only import alone.
    const specifier = 'node:worker_threads'
    const { Worker } = (await import(/* @vite-ignore */ specifier)) as typeof import('node:worker_threads')
    return (message, exited) =>
      new Promise((resolve, reject) => {
        const worker = new Worker(source, { eval: true })
        const helper: Helper = {
          terminate: () => {
            helper.exited ??= 'was stopped'
            void worker.terminate()
          },
        }
        const timer = setTimeout(
          () => reject(new Error(`a helper thread did not start within ${START_MS / 1000} s`)),
          START_MS,
        )
        worker.once('message', () => {
          clearTimeout(timer)
          worker.unref()
          resolve(helper)
        })
        worker.once('error', (e) => {
          clearTimeout(timer)
          helper.exited ??= `threw: ${e.message}`
          exited(helper.exited)
          reject(e)
        })
        worker.once('exit', (code) => {
          clearTimeout(timer)
          if (helper.exited === undefined) {
            helper.exited = `exited (code ${code})`
            exited(helper.exited)
          }
          reject(new Error(`a helper thread exited (code ${code}) before it started`))
        })
        worker.postMessage(message)
      })
  }
  if (typeof Worker === 'undefined') throw new Error('this runtime has no Web Workers')
  const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }))
  return (message, exited) =>
    new Promise((resolve, reject) => {
      const worker = new Worker(url)
      const helper: Helper = {
        terminate: () => {
          helper.exited ??= 'was stopped'
          worker.terminate()
        },
      }
      const timer = setTimeout(
        () => reject(new Error(`a helper thread did not start within ${START_MS / 1000} s`)),
        START_MS,
      )
      worker.onmessage = () => {
        clearTimeout(timer)
        resolve(helper)
      }
      worker.onerror = (e) => {
        clearTimeout(timer)
        e.preventDefault()
        helper.exited ??= `threw: ${e.message}`
        exited(helper.exited)
        reject(new Error(e.message))
      }
      worker.postMessage(message)
    })
}
