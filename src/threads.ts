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
import { CONTROL, CONTROL_BYTES, helperSource, runTask, TASK_SLOTS } from './helper.js'
import { KERNEL_NAMES } from './kernels.js'

export { CALL, FATAL, FAULT, kernelIndex, PER_CHUNK, PER_CHUNK_CALL, runTask, TASK_SLOTS } from './helper.js'

const { GEN, NEXT, DONE, COUNT, STOP, ERROR, SLEEPERS, BUILD, TABLE, RESULTS, ERROR_LENGTH, DEAD, ERROR_TEXT } = CONTROL

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
