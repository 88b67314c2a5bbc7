// Passes split over the helper threads (threads.ts): a pass is written as a task table in the
// memory, then run. Only parameter() buffers split: a plain Float32Array is staged through the
// one staging area chunk by chunk on the calling thread (README, "Threads").
import { type Kernels, STEP_ARGS, type StepKernel } from './kernels.js'
import { runPass, runtime } from './runtime.js'
import { CALL, kernelIndex, PER_CHUNK, type Pool, STATS, TASK_SLOTS } from './threads.js'
import { CHUNK, type Slot } from './walk.js'

/** A pass being written: add tasks, then run() it. */
export class Pass {
  #f: Float64Array
  #n = 0
  readonly #pool: Pool
  readonly #table: number
  readonly #results: number
  /**
   * Elements per task: about two tasks per thread, so that a helper that starts late delays the
   * pass by little, and a multiple of `align` (CHUNK where results are kept per chunk). Two per
   * thread measured faster than four (Adam at 1e5 on 2 threads: 1.79× against 1.67×; the
   * counters every task updates cost), and than one (1.65×, no room for a late start).
   */
  readonly size: number

  /**
   * A pass over `parameters` parameters of `elements` elements in all, with `results` per-chunk
   * results; tasks are whole multiples of `align` elements (1024 unless given).
   */
  constructor(pool: Pool, elements: number, parameters: number, results: number, align = 1024) {
    const r = runtime()
    this.size = Math.max(1, Math.ceil(elements / (2 * pool.threads * align))) * align
    const tasks = parameters + Math.ceil(elements / this.size)
    // The task table and the results area: one for the library, reused, grown when a pass needs more, freed by shutdown().
    let area = r.passArea
    if (!area || area.tasks < tasks || area.count < results) {
      if (area) {
        r.arena.free(area.table)
        r.arena.free(area.results)
      }
      const t = Math.max(tasks, 2 * (area?.tasks ?? 0), 64)
      const c = Math.max(results, 2 * (area?.count ?? 0), 64)
      area = { table: r.arena.alloc(8 * TASK_SLOTS * t), tasks: t, results: r.arena.alloc(8 * c), count: c }
      r.passArea = area
    }
    this.#pool = pool
    this.#table = area.table / 8
    this.#results = area.results / 8
    this.#f = pool.view()
  }

  /** Adds a task and returns the index of its first argument slot. */
  add(type: number, kernel: keyof Kernels, argc: number, slot3: number, n: number, first: number): number {
    const at = this.#table + TASK_SLOTS * this.#n++
    const f = this.#f
    f[at] = type
    f[at + 1] = kernelIndex[kernel]
    f[at + 2] = argc
    f[at + 3] = slot3
    f[at + 4] = n
    f[at + 5] = first
    return at + 6
  }

  /** The view tasks are written through. */
  get f(): Float64Array {
    return this.#f
  }

  /** Result `i` of the pass (after run()). */
  result(i: number): number {
    return this.#f[this.#results + i]
  }

  /** Runs the tasks on every thread; returns when all are done. */
  run(): void {
    runPass(this.#pool, this.#table, this.#results, this.#n)
  }
}

/** What each argument of a step kernel is: θ, g, a state buffer, n, `flush`, or a scalar of the class's. */
interface Role {
  kind: 'p' | 'g' | 'n' | 'flush' | 'state' | 'scalar'
  /** The state buffer's or the scalar's name ('' for the others). */
  name: string
}

const rolesOf = new Map<StepKernel, Role[]>()

function roles(kernel: StepKernel): Role[] {
  let out = rolesOf.get(kernel)
  if (!out) {
    const names = STEP_ARGS[kernel].split(' ')
    const n = names.indexOf('n')
    out = names.map((a, i): Role => {
      if (i === 0) return { kind: 'p', name: '' }
      if (i === 1) return { kind: 'g', name: '' }
      if (i < n) return { kind: 'state', name: a }
      if (i === n) return { kind: 'n', name: '' }
      return a === 'flush' ? { kind: 'flush', name: '' } : { kind: 'scalar', name: a }
    })
    rolesOf.set(kernel, out)
  }
  return out
}

/**
 * Adds the tasks of one parameter's step: the kernel on each task-sized range, with the state
 * buffers to flush after it (`flushState`, docs/algorithms.md §4) on the same range.
 */
export function addStep(pass: Pass, kernel: StepKernel, s: Slot, c: object, flush: boolean, flushState: boolean): void {
  const rs = roles(kernel)
  const buffers = flushState ? Object.values(s.state) : []
  const scalars = c as Record<string, number | boolean>
  for (let off = 0; off < s.n; off += pass.size) {
    const n = Math.min(pass.size, s.n - off)
    const a = pass.add(CALL, kernel, rs.length, buffers.length, n, 0)
    const f = pass.f
    const o = 4 * off
    for (let i = 0; i < rs.length; i++) {
      const r = rs[i]
      let x: number
      if (r.kind === 'p') x = s.p + o
      else if (r.kind === 'g') x = s.g + o
      else if (r.kind === 'n') x = n
      else if (r.kind === 'flush') x = +flush
      else if (r.kind === 'state') x = s.state[r.name] === undefined ? 0 : s.state[r.name] + o
      else x = +scalars[r.name]
      f[a + i] = x
    }
    f[a + rs.length] = kernelIndex.flush
    for (let i = 0; i < buffers.length; i++) f[a + rs.length + 1 + i] = buffers[i] + o
  }
}

/** Chunks of n elements: how many per-chunk results a parameter takes. */
export const chunksOf = (n: number) => Math.ceil(n / CHUNK)

/** Adds tasks running `kernel` (sumsq, nonfinite) on each chunk of the gradient, results from index `first` on (a pass aligned to CHUNK). */
export function addPerChunk(pass: Pass, kernel: 'sumsq' | 'nonfinite', g: number, n: number, first: number): void {
  for (let off = 0; off < n; off += pass.size) {
    const a = pass.add(PER_CHUNK, kernel, 1, CHUNK, Math.min(pass.size, n - off), first + off / CHUNK)
    pass.f[a] = g + 4 * off
  }
}

/** Adds tasks running a kernel with arguments (address, n, …rest) on task-sized ranges of one array. */
export function addRange(pass: Pass, kernel: 'scale' | 'clamp', x: number, n: number, rest: number[]): void {
  for (let off = 0; off < n; off += pass.size) {
    const a = pass.add(CALL, kernel, 2 + rest.length, 0, Math.min(pass.size, n - off), 0)
    const f = pass.f
    f[a] = x + 4 * off
    f[a + 1] = Math.min(pass.size, n - off)
    for (let i = 0; i < rest.length; i++) f[a + 2 + i] = rest[i]
    f[a + 2 + rest.length] = kernelIndex.flush
  }
}

/**
 * Adds the diagnostics tasks of one parameter: the stats kernel on each chunk, into that chunk's
 * own block of `slots` accumulators at `out` + 8·slots·(first + chunk) (a pass aligned to CHUNK).
 */
export function addStats(
  pass: Pass,
  s: Slot,
  m: number,
  v: number,
  scalars: readonly number[],
  out: number,
  slots: number,
  first: number,
): void {
  for (let off = 0; off < s.n; off += pass.size) {
    const a = pass.add(STATS, 'stats', 15, CHUNK, Math.min(pass.size, s.n - off), first + off / CHUNK)
    const f = pass.f
    const o = 4 * off
    f[a] = s.p + o
    f[a + 1] = s.g + o
    f[a + 2] = m && m + o
    f[a + 3] = v && v + o
    for (let i = 0; i < 9; i++) f[a + 4 + i] = scalars[i]
    f[a + 13] = out
    f[a + 14] = slots
  }
}

/** Adds a task calling `kernel` with these arguments (a band of a matrix product). */
export function addCall(pass: Pass, kernel: keyof Kernels, args: readonly number[]): void {
  const a = pass.add(CALL, kernel, args.length, 0, 0, 0)
  for (let i = 0; i < args.length; i++) pass.f[a + i] = args[i]
  pass.f[a + args.length] = kernelIndex.flush
}
