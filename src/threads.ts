// Helper threads: more cores for the passes over parameter() buffers. The helpers are Web Workers
// (browsers) or worker_threads (Node), each with its own instance of the library's wasm module on
// the one shared WebAssembly.Memory. A pass is written as a table of tasks in that memory; each
// thread runs its own block of it, then claims whatever nobody has (helper.ts, work()), and the
// calling thread waits until every claimed task is done. So a step stays synchronous, a helper
// that the OS deschedules only slows the step by the task it holds (and passes that do not pay
// make the pool sit out a while: Pool.#judge), and the
// kernels are element-wise or sum per fixed chunk: results are the same bits for any number of
// threads. Helpers spin for a while after a pass and then sleep in Atomics.wait, so an idle pool
// costs no CPU; the calling thread never sleeps (browsers forbid Atomics.wait on the main thread),
// it spins for the short time the last tasks take.
import { CONTROL, CONTROL_BYTES, runTask, work } from './helper.js'
import { KERNEL_NAMES, SCRATCH_BYTES } from './kernels.js'
import { type Helper, spawner } from './spawn.js'

export { CALL, FATAL, FAULT, HOLD, kernelIndex, PER_CHUNK, PER_CHUNK_CALL, runTask, TASK_SLOTS } from './helper.js'

const {
  GEN,
  PASS,
  DONE,
  COUNT,
  STOP,
  ERROR,
  SLEEPERS,
  BUILD,
  TABLE,
  RESULTS,
  ERROR_LENGTH,
  DEAD,
  FLAGS,
  ACTIVE,
  ERROR_TEXT,
} = CONTROL

/**
 * The last pass's id. Each pass has its own, its tasks' claim flags set to it: never 0 (a claimed
 * flag), and counted across pools, so that a helper of a stopped pool that still compares the
 * flags (terminate() is not instant) never finds its id in a later pool's.
 */
let lastPass = 0
const nextPass = () => {
  lastPass = (lastPass % 0x7ffffffe) + 1
  return lastPass
}

/** @internal The last pass's id, for the tests. */
export const passId = () => lastPass

/**
 * Split passes of one kind after which the next runs on the calling thread alone, timed: what
 * later split passes of that kind are judged against (see #judge). A pass in 128 alone costs a
 * pass that splits well about 0.5%.
 */
export const PROBE_EVERY = 128

/** Milliseconds a helper spins after a pass before it sleeps; a step that follows sooner finds it awake. */
export const SPIN_MS = 0.2
/** How long the calling thread waits for a claimed task without progress before it gives up on the helpers. */
const STALL_MS = 5000

/** What starting a pool needs from the runtime. */
export interface PoolSetup {
  memory: WebAssembly.Memory
  /** The module's builds for a shared memory: SIMD (undefined where unsupported), scalar. */
  builds: [WebAssembly.Module | undefined, WebAssembly.Module]
  /** The threads' scratch for compact state (helper i uses thread i + 1's). */
  scratch: number
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
  #flags: Int32Array
  /** Split passes in a row that did not pay, and how many passes the pool now sits out (see #judge). */
  #bad = 0
  #rest = 0
  /** Passes left to run on the calling thread alone. */
  #resting = 0
  /** Per kind of pass (a step's kernel, a pass over gradients): ms per unit of work on the calling thread alone (0: not yet timed), and split passes since. */
  readonly #kinds = new Map<string, { alone: number; splits: number }>()
  /** This pass's kernels, and the tasks this thread ran of it: read by #one, made once (a pass allocates no closure). */
  #fns: ((...args: number[]) => number)[] = []
  #mine = 0
  readonly #one = (at: number, results: number) => {
    runTask(this.#fns, this.#f, at, results, false)
    this.#mine++
  }
  /** When wake() last woke the helpers (performance.now()). */
  #wokeAt = Number.NEGATIVE_INFINITY
  #failed: string | undefined

  private constructor(setup: PoolSetup, control: SharedArrayBuffer, helpers: Helper[]) {
    this.#ctl = new Int32Array(control)
    this.#text = new Uint16Array(control, ERROR_TEXT, 512)
    this.#f = new Float64Array(setup.memory.buffer)
    this.#flags = new Int32Array(setup.memory.buffer)
    this.#helpers = helpers
    this.#memory = setup.memory
    this.threads = helpers.length + 1
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
      scratch: setup.scratch,
      scratchBytes: SCRATCH_BYTES,
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

  /**
   * Whether the next pass should run on the calling thread alone: because the last split passes
   * did not pay (the helpers' cores are busy with other work: see #judge), or, for a pass of
   * `kind`, to time it alone after PROBE_EVERY split ones (then call alone()). Counts that pass down.
   */
  resting(kind?: string): boolean {
    if (this.#resting > 0) {
      this.#resting--
      return true
    }
    const k = kind === undefined ? undefined : this.#kinds.get(kind)
    if (!k || k.splits < PROBE_EVERY) return false
    k.splits = 0
    return true
  }

  /** A pass of `kind` over `work` units ran on the calling thread alone in `ms`. */
  alone(kind: string, work: number, ms: number): void {
    this.#kind(kind).alone = ms / work
  }

  /** @internal The ms per unit of work of a pass of `kind` timed alone (0: none yet), for the tests. */
  aloneMs(kind: string): number {
    return this.#kinds.get(kind)?.alone ?? 0
  }

  #kind(kind: string): { alone: number; splits: number } {
    let k = this.#kinds.get(kind)
    if (!k) {
      k = { alone: 0, splits: 0 }
      this.#kinds.set(kind, k)
    }
    return k
  }

  /** @internal Passes left to sit out, for the tests. */
  get rest(): number {
    return this.#resting
  }

  /**
   * After a split pass: `took` ms in all, against `own`, what this thread's own rate in the pass
   * says one thread would have taken, and `timed`, the same work of its kind timed on this thread
   * alone (Infinity if not yet). A pass paid if it saved 10% against `own` and was faster than
   * `timed` (one noisy timed pass should not rest the pool). `own` alone is not enough: where the
   * threads slow each other, as cores that share a physical one do, this thread's tasks run slower
   * in a split pass too, and a pass slower than one thread looked as if it paid. A pass that did
   * not pay is one where a helper started late, the system took its core while it held a task, or
   * the threads slowed each other; two in a row and the pool sits out the next 8 passes, then 16,
   * 32, … up to 1,024 while they go on not paying; one that paid resets it. So on a machine whose
   * other cores are busy a step costs about what it costs on one thread, and the helpers are tried
   * again now and then.
   */
  #judge(took: number, own: number, timed: number): void {
    if (took < 0.9 * own && took < timed) {
      this.#bad = 0
      this.#rest = 0
    } else if (++this.#bad >= 2) {
      this.#rest = Math.min(1024, this.#rest === 0 ? 8 : 2 * this.#rest)
      this.#resting = this.#rest
      this.#bad = 0
    }
  }

  /**
   * Wakes sleeping helpers without giving them work: they spin again, ready for a pass that
   * follows soon. Once per millisecond at most: a helper that was woken and still sleeps has no
   * core to run on (the system gave it to other work), and waking it again is a system call for nothing.
   */
  wake(): void {
    const now = performance.now()
    if (now - this.#wokeAt < 1) return
    this.#wokeAt = now
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
    if (this.#f.buffer !== this.#memory.buffer) {
      this.#f = new Float64Array(this.#memory.buffer)
      this.#flags = new Int32Array(this.#memory.buffer)
    }
    return this.#f
  }

  /**
   * Runs `count` tasks written at float64 index `table` of the memory, the results area at
   * `results`, their claim flags at int32 index `flags`, on the first `active` threads (this one
   * and `active − 1` helpers); returns when all are done. Each thread runs its own block of tasks,
   * then whatever no thread has claimed (helper.ts, work()): a helper that starts late or is
   * descheduled loses its unclaimed tasks to this thread. `kind` and `units`: the pass's kind and
   * units of work, for judging it against that kind timed alone (#judge). Throws if a helper's
   * task threw, or if the helpers stopped making progress (then the pass may be incomplete).
   */
  run(
    fns: ((...args: number[]) => number)[],
    simd: boolean,
    table: number,
    results: number,
    count: number,
    flags: number,
    active = this.threads,
    kind?: string,
    units = 0,
  ): void {
    const ctl = this.#ctl
    this.view() // #f and #flags renewed after the memory grew
    const claims = this.#flags
    const pass = nextPass()
    claims.fill(pass, flags, flags + count)
    Atomics.store(ctl, COUNT, count)
    Atomics.store(ctl, DONE, 0)
    Atomics.store(ctl, ERROR, 0)
    Atomics.store(ctl, BUILD, simd ? 0 : 1)
    Atomics.store(ctl, TABLE, table)
    Atomics.store(ctl, RESULTS, results)
    Atomics.store(ctl, FLAGS, flags)
    Atomics.store(ctl, ACTIVE, Math.min(active, this.threads))
    Atomics.store(ctl, PASS, pass)
    Atomics.add(ctl, GEN, 1)
    if (active > 1 && Atomics.load(ctl, SLEEPERS) > 0) Atomics.notify(ctl, GEN)
    const start = performance.now()
    this.#fns = fns
    this.#mine = 0
    try {
      work(CONTROL, ctl, claims, 0, pass, this.#one)
    } catch (e) {
      // This thread's task threw: no thread starts another task of this pass.
      for (let t = 0; t < count; t++) Atomics.compareExchange(claims, flags + t, pass, 0)
      throw e
    }
    const own = performance.now() - start
    let done = Atomics.load(ctl, DONE)
    let since = performance.now()
    for (let spins = 0; done < count; spins++) {
      const now = Atomics.load(ctl, DONE)
      if (now !== done) {
        done = now
        since = performance.now()
      } else if (spins % 4096 === 0 && performance.now() - since > STALL_MS) {
        for (let t = 0; t < count; t++) Atomics.compareExchange(claims, flags + t, pass, 0)
        this.fail(`stopped responding for ${STALL_MS / 1000} s in the middle of a pass`)
        throw new Error(
          `wasm-optim: a helper thread ${this.#failed}: the pass is incomplete, some parameters may not have been updated. ` +
            'The helpers were stopped; the library now runs on the calling thread (init({ threads }) starts new ones).',
        )
      }
    }
    const mine = this.#mine
    const k = kind === undefined ? undefined : this.#kind(kind)
    if (k) k.splits++
    if (active > 1 && mine > 0) {
      this.#judge(performance.now() - start, (own / mine) * count, k && k.alone > 0 ? k.alone * units : Infinity)
    }
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
