// Passes over parameters: one runner (overSlots) for the step, clipping, the non-finite check and
// the diagnostics. Where helper threads run (threads.ts) and a pass has enough elements in
// parameter() buffers, those buffers' work is written as a task table in the memory and split
// over every thread; a plain Float32Array is staged through the one staging area chunk by chunk
// on the calling thread (docs/threads.md).
import { offsetBytes } from './compact.js'
import { type Kernels, STATE_F32, STEP_ARGS, type StepKernel } from './kernels.js'
import { MIN_PARALLEL, poolFor, runPass, runtime, threadsFor } from './runtime.js'
import { CALL, kernelIndex, PER_CHUNK, PER_CHUNK_CALL, type Pool, TASK_SLOTS } from './threads.js'
import { CHUNK, type Slot } from './walk.js'

/** Whether a parameter's θ and g both live in the wasm memory (a parameter()): only such work splits over helpers. */
export const resident = (s: Slot) => !s.param.user && !s.grad.user

/** How a pass treats each parameter: as tasks for the helpers, or on the calling thread. */
export interface PassWork {
  /** Per-chunk results the helpers' tasks write; 0 if none. */
  results?: number
  /** Tasks aligned to CHUNK (where results are kept per chunk), else to 1024 elements. */
  chunked?: boolean
  /** Adds the tasks of parameter `s` (the `i`-th of the list), whose per-chunk results start at index `first`; absent: all work on the calling thread. */
  tasks?: (pass: Pass, s: Slot, i: number, first: number) => void
  /** Does parameter `s`'s work on the calling thread (walking it chunk by chunk, or whole where it is resident). */
  local(s: Slot, i: number, first: number): void
  /** Parameter `s`'s work per element against a float32 step's (compact state costs more); 1 if absent. */
  cost?: (s: Slot) => number
  /** What kind of pass this is (a step's kernel, a pass over gradients): split passes are judged against passes of their kind timed alone (threads.ts, Pool.#judge). */
  readonly kind?: string
}

/**
 * Runs one pass over `list` (its first `count` entries), in its order: where helpers are running and the parameter()
 * elements (weighted by `work.cost`) are enough to pay (runtime's poolFor), every resident parameter's work becomes tasks
 * split over one thread per PER_THREAD elements (threadsFor), each its own block first, and the rest runs on the calling thread after them; otherwise all of
 * it runs on the calling thread. `first` counts per-chunk results (CHUNK elements each) in list
 * order for both routes, so results combine in the same order either way. Returns the pass that
 * ran on the helpers, for its results, or undefined.
 */
export function overSlots(list: readonly Slot[], work: PassWork, count = list.length): Pass | undefined {
  let pool: Pool | undefined
  let elements = 0
  // The thresholds count work in float32 elements: a q8 element costs a pass four.
  let weighted = 0
  if (runtime().pool && work.tasks) {
    for (let i = 0; i < count; i++) {
      if (!resident(list[i])) continue
      elements += list[i].n
      weighted += list[i].n * (work.cost?.(list[i]) ?? 1)
    }
    pool = poolFor(weighted, work.kind)
  }
  let pass: Pass | undefined
  if (pool) {
    const active = threadsFor(weighted, pool.threads)
    pass = new Pass(pool, elements, count, work.results ?? 0, work.chunked ? CHUNK : 1024, active)
    for (let i = 0, first = 0; i < count; first += chunksOf(list[i].n), i++) {
      if (resident(list[i])) work.tasks!(pass, list[i], i, first)
    }
    pass.run(work.kind, weighted)
  }
  // A pass the helpers could have shared, run here alone: timed, for judging split ones of its kind.
  const timed = !pool && work.kind !== undefined && weighted >= MIN_PARALLEL ? performance.now() : -1
  for (let i = 0, first = 0; i < count; first += chunksOf(list[i].n), i++) {
    if (!pass || !resident(list[i])) work.local(list[i], i, first)
  }
  if (timed >= 0) runtime().pool?.alone(work.kind!, weighted, performance.now() - timed)
  return pass
}

/** A pass being written: add tasks, then run() it. */
export class Pass {
  #f: Float64Array
  #n = 0
  readonly #pool: Pool
  readonly #table: number
  readonly #flags: number
  readonly #results: number
  /** Threads the pass runs on (see threadsFor). */
  readonly #active: number
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
  constructor(pool: Pool, elements: number, parameters: number, results: number, align = 1024, active = pool.threads) {
    const r = runtime()
    this.size = Math.max(1, Math.ceil(elements / (2 * active * align))) * align
    const tasks = parameters + Math.ceil(elements / this.size)
    // The task table, its claim flags and the results area: one for the library, reused by every
    // pool, grown when a pass needs more. Claim flags are never freed: a helper that is late (or
    // of a stopped pool) may still compare them with its pass's id, and must not find that id in
    // whatever the memory held next. They take 4 bytes a task; each growth at least doubles.
    let area = r.passArea
    if (!area || area.tasks < tasks || area.count < results) {
      const t = area && area.tasks >= tasks ? area.tasks : Math.max(tasks, 2 * (area?.tasks ?? 0), 64)
      const c = area && area.count >= results ? area.count : Math.max(results, 2 * (area?.count ?? 0), 64)
      if (area) {
        r.arena.free(area.table)
        r.arena.free(area.results)
      }
      area = {
        table: r.arena.alloc(8 * TASK_SLOTS * t),
        flags: area && area.tasks === t ? area.flags : r.arena.alloc(4 * t),
        tasks: t,
        results: r.arena.alloc(8 * c),
        count: c,
      }
      r.passArea = area
    }
    this.#pool = pool
    this.#table = area.table / 8
    this.#flags = area.flags / 4
    this.#results = area.results / 8
    this.#active = active
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

  /** Runs the tasks on every thread; returns when all are done. `kind` and `work`: see Pool.run. */
  run(kind?: string, work?: number): void {
    runPass(this.#pool, this.#table, this.#results, this.#n, this.#flags, this.#active, kind, work)
  }
}

/** What each argument of a step kernel is: θ, g, a state buffer, n, `flush`, or a scalar of the class's. */
interface Role {
  kind: 'p' | 'g' | 'n' | 'flush' | 'fmt' | 'salt' | 'at' | 'state' | 'scalar'
  /** The state buffer's or the scalar's name ('' for the others). */
  name: string
}

const rolesOf = new Map<StepKernel, Role[]>()
/** The arguments after n that the base class passes, not a class's scalars. */
const BASE = new Set(['flush', 'fmt', 'salt', 'at'])

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
      return BASE.has(a) ? { kind: a as Role['kind'], name: '' } : { kind: 'scalar', name: a }
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
  const buffers = flushState && s.z.fmt === STATE_F32 ? Object.values(s.state) : []
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
      else if (r.kind === 'fmt') x = s.z.fmt
      else if (r.kind === 'salt') x = s.z.salt
      else if (r.kind === 'at') x = off
      else if (r.kind === 'state') x = s.state[r.name] === undefined ? 0 : s.state[r.name] + offsetBytes(s.z.fmt, off)
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
 * The diagnostics kernel's arguments for n elements of one parameter (θ at p, g at g, its m and
 * v or 0), with the method's scalars (mode, sampleEvery, ic1, ic2, k1, κ, lr, rc2, ε) and the
 * block of accumulators at `block`: the one place that lays them out, for both routes.
 */
export function statsArgs(p: number, g: number, m: number, v: number, n: number, sc: readonly number[], block: number) {
  return [p, g, m, v, n, ...sc, block]
}
/** Which of statsArgs are addresses (θ, g, m, v), which is n, and which the block. */
const STATS_ADDRESSES = 0b1111
const STATS_N = 4
const STATS_BLOCK = 14

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
  const args = statsArgs(0, 0, 0, 0, 0, scalars, out)
  for (let off = 0; off < s.n; off += pass.size) {
    const o = 4 * off
    args[0] = s.p + o
    args[1] = s.g + o
    args[2] = m && m + o
    args[3] = v && v + o
    const a = pass.add(PER_CHUNK_CALL, 'stats', args.length, CHUNK, Math.min(pass.size, s.n - off), first + off / CHUNK)
    for (let i = 0; i < args.length; i++) pass.f[a + i] = args[i]
    pass.f[a + args.length] = STATS_ADDRESSES
    pass.f[a + args.length + 1] = STATS_N
    pass.f[a + args.length + 2] = STATS_BLOCK
    pass.f[a + args.length + 3] = 8 * slots
  }
}

/** Adds a task calling `kernel` with these arguments (a band of a matrix product). */
export function addCall(pass: Pass, kernel: keyof Kernels, args: readonly number[]): void {
  const a = pass.add(CALL, kernel, args.length, 0, 0, 0)
  for (let i = 0; i < args.length; i++) pass.f[a + i] = args[i]
  pass.f[a + args.length] = kernelIndex.flush
}
