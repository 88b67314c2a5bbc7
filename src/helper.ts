// The helpers' side of the helper threads (threads.ts has the calling thread's): the control
// block's layout, the task types and the task runner that both sides run, and the helper's
// program, sent to each helper as source text.
import { KERNEL_NAMES, type Kernels } from './kernels.js'

/**
 * Slots of the control block (an Int32Array over a SharedArrayBuffer of its own), named once for
 * the calling thread and the helpers' program (which reads them as CONTROL.GEN, …). The pass
 * counter the helpers spin on, the pass's id and the count of finished tasks lie on cache lines
 * of their own (16 slots apart): sharing one, the claims and the spinning contended for it.
 */
export const CONTROL = {
  /** Pass counter: a helper wakes when it changes. */
  GEN: 0,
  /** This pass's id (never 0): a task is claimed by changing its flag from this id to 0. */
  PASS: 16,
  /** Tasks finished in this pass. */
  DONE: 32,
  /** Tasks in this pass; the rest of this line changes once per pass at most. */
  COUNT: 48,
  /** 1: helpers return. */
  STOP: 49,
  /** 1 + index of the helper whose task threw, 0 if none. */
  ERROR: 50,
  /** Helpers asleep in Atomics.wait. */
  SLEEPERS: 51,
  /** 0: SIMD build, 1: scalar build. */
  BUILD: 52,
  /** The task table: its index in a Float64Array over the memory. */
  TABLE: 53,
  /** The per-chunk results: their index in the same view. */
  RESULTS: 54,
  ERROR_LENGTH: 55,
  /** 1 + index of a helper that stopped for good, 0 if none. */
  DEAD: 56,
  /** The tasks' claim flags: their index in an Int32Array over the memory. */
  FLAGS: 57,
  /** Threads this pass runs on (the calling thread is thread 0): helpers from this index on sit it out. */
  ACTIVE: 58,
  /** Byte offset of the failed task's message (UTF-16 code units, 512 of them). */
  ERROR_TEXT: 256,
  /** Float64 slots per task (TASK_SLOTS). */
  TASK: 32,
} as const
/** Bytes of the control block. */
export const CONTROL_BYTES = CONTROL.ERROR_TEXT + 1024

/**
 * Float64 slots per task: type, kernel, argument count, then the number of state buffers to flush
 * (CALL) or the chunk length (PER_CHUNK, STATS), n, the first chunk's index among the pass's
 * results, then the arguments.
 */
export const TASK_SLOTS = CONTROL.TASK
/**
 * Task types: a kernel call on a range (then a flush of the listed state buffers); a kernel of
 * (address, n) whose result is kept per chunk; a kernel called per chunk that writes into that
 * chunk's own block of results (the diagnostics; see addPerChunkCall in parallel.ts).
 */
export const CALL = 1
export const PER_CHUNK = 2
export const PER_CHUNK_CALL = 3
/**
 * Tasks that fail when a helper runs them and do nothing on the calling thread, for the library's
 * tests: FAULT throws (the helper goes on), FATAL throws an error that stops the helper.
 */
export const FAULT = 9
export const FATAL = 10
/** Test only: a helper that runs it is held up 30 ms (as if the system descheduled it) and writes 1 to its result; the calling thread writes 0. */
export const HOLD = 11

/** Each kernel's index in KERNEL_NAMES: how a task names its kernel. */
export const kernelIndex = Object.fromEntries(KERNEL_NAMES.map((k, i) => [k, i])) as Record<keyof Kernels, number>

/**
 * Runs task `at` (its first slot in `f`, a Float64Array over the memory). Shared by the calling
 * thread and the helpers, to whom it is sent as source text: it must not refer to anything
 * outside itself, and declares no named inner function (a bundler's keepNames would wrap one in
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
    // A call per chunk into that chunk's own block of results: the arguments as written, but the
    // addresses among them (bit i of the mask after them; 0 stays 0) advanced to the chunk, the
    // length argument set to the chunk's, and the block argument moved to chunk c's block.
    const mask = f[a + argc]
    const len = f[a + argc + 1]
    const out = f[a + argc + 2]
    const stride = f[a + argc + 3]
    const args: number[] = []
    for (let off = 0, c = first; off < n; off += chunk, c++) {
      for (let i = 0; i < argc; i++) {
        const x = f[a + i]
        args[i] =
          i === len ? Math.min(chunk, n - off) : i === out ? x + stride * c : (mask >> i) & 1 && x ? x + 4 * off : x
      }
      Reflect.apply(fn, undefined, args)
    }
  } else if (type === 11) {
    if (helper) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 30)
    f[results + first] = helper ? 1 : 0
  } else if (type === 9 || type === 10) {
    if (helper) {
      throw Object.assign(new Error(`a ${type === 9 ? 'fault' : 'fatal fault'} injected by the tests`), {
        fatal: type === 10,
      })
    }
    // On the calling thread: take 20 µs, so that a sleeping helper wakes up in time to claim some.
    const until = performance.now() + 0.02
    while (performance.now() < until) {}
  } else {
    // Never skipped in silence: a task that did nothing would leave parameters not updated.
    throw new Error(`task ${at} of the table has no type (${type}): the pass is not what was written`)
  }
}

/**
 * The helper's program, sent as source text: it receives the module builds, the memory and the
 * control block, instantiates a build, reports ready, then loops: wait for a pass, claim and run
 * tasks, count them done. An error in a task is written to the control block for the calling
 * thread to throw, and the helper goes on.
 */
/**
 * Runs thread `thread`'s part of the pass whose id is `pass`: first its own block of tasks (the
 * same block in every pass of the same shape, so that its data stays in this core's cache), then
 * every task no thread has claimed yet (the tasks of a thread that started late, or that the
 * system descheduled, are taken by the others). A task is claimed by changing its flag from the
 * pass's id to 0. Ids are never 0 and never repeat (threads.ts, nextPass), so a thread that
 * read the id of an older pass, or 0 (woken by Pool.wake() before a pool's first pass), claims
 * nothing: with id 0 it would "claim" every task already done and run it again. The calling
 * thread and the helpers run this same code (the helpers from source text). Returns whether this
 * thread took part.
 */
export function work(
  C: typeof CONTROL,
  ctl: Int32Array,
  flags: Int32Array,
  thread: number,
  pass: number,
  one: (at: number, results: number) => void,
): boolean {
  const active = Atomics.load(ctl, C.ACTIVE)
  if (pass === 0 || thread >= active) return false
  const count = Atomics.load(ctl, C.COUNT)
  const base = Atomics.load(ctl, C.FLAGS)
  const table = Atomics.load(ctl, C.TABLE)
  const results = Atomics.load(ctl, C.RESULTS)
  const from = Math.floor((thread * count) / active)
  for (let i = 0; i < count; i++) {
    const t = from + i < count ? from + i : from + i - count
    if (Atomics.compareExchange(flags, base + t, pass, 0) !== pass) continue
    one(table + t * C.TASK, results)
    Atomics.add(ctl, C.DONE, 1)
  }
  return true
}

function helperMain(host: { post(m: unknown): void; receive(f: (m: unknown) => void): void }): void {
  host.receive((message) => {
    const { builds, memory, control, names, spinMs, index, scratch, scratchBytes } = message as {
      builds: WebAssembly.Module[]
      memory: WebAssembly.Memory
      control: SharedArrayBuffer
      names: string[]
      spinMs: number
      index: number
      scratch: number
      scratchBytes: number
    }
    const C = CONTROL_SLOTS
    const ctl = new Int32Array(control)
    const text = new Uint16Array(control, C.ERROR_TEXT, 512)
    const fnsOf: ((...args: number[]) => number)[][] = []
    for (const build of builds) {
      const exports = new WebAssembly.Instance(build, { env: { memory } }).exports as Record<string, unknown>
      const setScratch = exports.setScratch as (at: number) => void
      setScratch(scratch + (index + 1) * scratchBytes)
      fnsOf.push(names.map((name) => exports[name] as (...args: number[]) => number))
    }
    // The pass counter as it is before 'ready': a pass the calling thread starts right after is seen.
    let seen = Atomics.load(ctl, C.GEN)
    let f = new Float64Array(memory.buffer)
    let flags = new Int32Array(memory.buffer)
    host.post('ready')
    // The task runner, the same source the calling thread runs (inserted where this file is made into text).
    const run = RUN_TASK
    // One task of the pass, errors reported in the control block; made once, for every pass.
    let build = fnsOf[0]
    const one = (at: number, results: number) => {
      try {
        run(build, f, at, results, true)
      } catch (e) {
        if (Atomics.compareExchange(ctl, C.ERROR, 0, index + 1) === 0) {
          const why = String((e as Error)?.message ?? e).slice(0, 512)
          for (let i = 0; i < why.length; i++) text[i] = why.charCodeAt(i)
          Atomics.store(ctl, C.ERROR_LENGTH, why.length)
        }
        if ((e as { fatal?: boolean })?.fatal) {
          // This helper stops: say so, count the task (the calling thread must not wait for it), and end the thread.
          Atomics.store(ctl, C.DEAD, index + 1)
          Atomics.add(ctl, C.DONE, 1)
          throw e
        }
      }
    }
    for (;;) {
      const start = performance.now()
      let spins = 0
      while (Atomics.load(ctl, C.GEN) === seen) {
        if (++spins % 1024 === 0 && performance.now() - start > spinMs) {
          Atomics.add(ctl, C.SLEEPERS, 1)
          Atomics.wait(ctl, C.GEN, seen)
          Atomics.sub(ctl, C.SLEEPERS, 1)
        }
      }
      seen = Atomics.load(ctl, C.GEN)
      if (Atomics.load(ctl, C.STOP) !== 0) return
      if (f.buffer !== memory.buffer) f = new Float64Array(memory.buffer)
      if (flags.buffer !== memory.buffer) flags = new Int32Array(memory.buffer)
      const pass = Atomics.load(ctl, C.PASS)
      build = fnsOf[Atomics.load(ctl, C.BUILD)]
      WORK(C, ctl, flags, index + 1, pass, one)
    }
  })
}
declare const RUN_TASK: typeof runTask
declare const WORK: typeof work
/** The control block's slots, as the helper's source text defines them from CONTROL (a free name: no bundler renames it). */
declare const CONTROL_SLOTS: typeof CONTROL

/**
 * The helper's source: its program and the task runner, with the host bindings of Node or of a
 * Web Worker. The functions are sent as their own source text, as the running code has them: a
 * transform that keeps function names (esbuild's keepNames, which tsx turns on) wraps named
 * functions in calls to its helper `__name`, which the helper defines as the identity. Without
 * it, under tsx, every helper died at its start and each pass ran on the calling thread alone.
 */
export function helperSource(): string {
  const host = `typeof self === 'undefined'
    ? { post: (m) => require('node:worker_threads').parentPort.postMessage(m),
        receive: (f) => require('node:worker_threads').parentPort.once('message', f) }
    : { post: (m) => self.postMessage(m), receive: (f) => { self.onmessage = (e) => f(e.data) } }`
  return `'use strict';\nconst __name = (f) => f;\nconst CONTROL_SLOTS = ${JSON.stringify(CONTROL)};\nconst RUN_TASK = (${runTask.toString()});\nconst WORK = (${work.toString()});\n(${helperMain.toString()})(${host});\n`
}
