// How a step reaches a kernel: the call signature every optimizer's kernel is driven through,
// the binding of the library's own kernels, the step's plan (which parameters, with which
// scalars) and its one pass, and the periodic subnormal flush of state buffers.
import { type Compact, STATE_COST, saltOf } from './compact.js'
import { CALLS, type KernelScalars, STATE_F32, type StepKernel } from './kernels.js'
import { addStep, overSlots, type PassWork } from './parallel.js'
import { MIN_PARALLEL, runtime } from './runtime.js'
import type { Checker } from './validate.js'
import { READ_G, READ_P, type Slot, type Walker, WRITE_P } from './walk.js'

/**
 * How a step runs a class's kernel on n elements: θ at p, g at g, each state buffer at its
 * address plus the bytes of `off` elements, with this step's scalars, flushing subnormals or not,
 * the state in format `z` (src/compact.ts; a kernel without compact state ignores it). A class whose
 * kernel is in the library's module names it (the base class binds it); one in another module on
 * the same memory (the TF.js flavours of wasm-optim/tfjs) passes a function.
 */
export type KernelCall<S> = (
  p: number,
  g: number,
  state: Readonly<Record<string, number>>,
  n: number,
  off: number,
  c: S,
  flush: boolean,
  z: Compact,
) => void

/**
 * With subnormals: 'flush', every state buffer of a parameter is flushed to zero where subnormal
 * after its steps t = 16, 32, 48, … (docs/algorithms.md §4): a value stays subnormal for at most
 * 15 steps. Flushing inside the kernels at every step cost 20–40% of an Adam step; this pass,
 * once in 16 steps, about 3% (it reads each state buffer, and writes only what it changes).
 */
export const FLUSH_EVERY = 16

/**
 * The kernel of a method that steps each parameter whole (Muon: matrix products need all of
 * it), in its `stepWhole`: the base class never calls it.
 */
// biome-ignore lint/suspicious/noExplicitAny: it stands for any method's kernel
export const WHOLE: KernelCall<any> = () => {
  throw new Error('wasm-optim: a method that steps whole parameters must define stepWhole()')
}

/** Binds a kernel of the library's module; the build (SIMD or scalar) is looked up at every call, as init() may switch it. */
export function ownKernel<K extends StepKernel>(kernel: K): KernelCall<KernelScalars[K]> {
  const call = CALLS[kernel] as unknown as (
    k: ReturnType<typeof runtime>['kernels'],
    ...rest: Parameters<KernelCall<KernelScalars[K]>>
  ) => void
  return (p, g, state, n, off, c, flush, z) => call(runtime().kernels, p, g, state, n, off, c, flush, z)
}

/** Flushes a parameter's float32 state buffers to zero where subnormal (compact ones flush as they are encoded). */
export function flushState(s: Slot): void {
  if (s.z.fmt !== STATE_F32) return
  const k = runtime().kernels
  for (const address of Object.values(s.state)) k.flush(address, s.n)
}

/** An optimizer's hooks as a step calls them, bound once at construction. */
export interface Hooks {
  plan: (group: number) => void
  scalars: (group: number, t: number) => object
  whole: ((s: Slot, c: object) => void) | undefined
  check: (group: object, c: Checker) => void
}

/**
 * A step's plan, in order: each group's `plan(i)`, then each active parameter's step count
 * advanced. Writes the parameters to step into `list` and their scalars (computed once per run
 * of equal counts) into `c`, both reused from step to step, and returns how many there are.
 */
export function advance<S>(
  slots: Slot[][],
  active: ReadonlySet<Slot> | undefined,
  list: Slot[],
  c: S[],
  plan: (group: number) => void,
  scalars: (group: number, t: number) => S,
): number {
  let n = 0
  for (let i = 0; i < slots.length; i++) {
    let t = -1
    let now!: S
    if (active && !slots[i].some((s) => active.has(s))) continue
    plan(i)
    for (const s of slots[i]) {
      if (active && !active.has(s)) continue
      s.t++
      if (s.z.fmt !== STATE_F32) s.z.salt = saltOf(s.t, s.id)
      if (s.t !== t) {
        t = s.t
        now = scalars(i, t)
      }
      list[n] = s
      c[n++] = now
    }
  }
  return n
}

/** One parameter's step on the calling thread: a parameter() in one call, a plain array a chunk at a time through the staging area. */
function local<S>(
  s: Slot,
  c: S,
  call: KernelCall<S>,
  w: Walker,
  flush: boolean,
  whole: ((s: Slot, c: S) => void) | undefined,
) {
  if (whole) whole(s, c)
  else if (!s.param.user && !s.grad.user) call(s.p, s.g, s.state, s.n, 0, c, flush, s.z)
  else for (w.begin(s, READ_P | READ_G | WRITE_P); w.next(); ) call(w.p, w.g, s.state, w.n, w.off, c, flush, s.z)
  if (flush && s.t % FLUSH_EVERY === 0) flushState(s)
}

/** The step being run (see runStep): the pass's callbacks read it, so that a step creates no closure. */
const running: {
  c: object[]
  call: KernelCall<object>
  kernel: StepKernel
  w: Walker | undefined
  flush: boolean
} = { c: [], call: () => {}, kernel: 'sgd', w: undefined, flush: false }

/** A parameter's step work per element against float32 state's (src/compact.ts, STATE_COST). */
const stepCost = (s: Slot) => STATE_COST[s.z.fmt]

/** A step's pass (overSlots): parameter() buffers as tasks for the helpers, the rest on the calling thread. */
const STEP_PASS: PassWork = {
  tasks: (pass, s, i) =>
    addStep(pass, running.kernel, s, running.c[i], running.flush, running.flush && s.t % FLUSH_EVERY === 0),
  local: (s, i) => local(s, running.c[i], running.call, running.w!, running.flush, undefined),
  cost: stepCost,
  get kind() {
    return running.kernel
  },
}

/**
 * Runs a step's one pass over the first `n` of `list` with scalars `c` (see advance): the
 * library's own kernels split over the helper threads where they pay; everything else on the
 * calling thread (a method that steps whole parameters, Muon, through `whole`, which splits its
 * own work). It allocates nothing.
 */
export function runStep<S>(
  list: Slot[],
  n: number,
  c: S[],
  call: KernelCall<S>,
  kernel: StepKernel | undefined,
  w: Walker,
  flush: boolean,
  whole: ((s: Slot, c: S) => void) | undefined,
): void {
  // Nobody to split with, or too little work (and no helper failure to report): straight here, without the pass runner.
  const pool = runtime().pool
  let elements = 0
  for (let i = 0; i < n; i++) elements += list[i].n * stepCost(list[i])
  if (!pool || kernel === undefined || whole || (elements < MIN_PARALLEL && pool.failed === undefined)) {
    for (let i = 0; i < n; i++) local(list[i], c[i], call, w, flush, whole)
    return
  }
  running.c = c as object[]
  running.call = call as KernelCall<object>
  running.kernel = kernel
  running.w = w
  running.flush = flush
  overSlots(list, STEP_PASS, n)
}
