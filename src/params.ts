// What an optimizer is given, checked, and laid out in memory: the parameter list or groups,
// option names, each { param, grad } pair, names, that no parameter overlaps another or a
// gradient; then one allocator block for all its state and its staging area.
import { bufferBytes, F32_STATE, FORMATS, fillState, formatOf, type StateDtype } from './compact.js'
import type { Allocated } from './groups.js'
import { inMemory, runtime } from './runtime.js'
import { describe, isFloat32Array } from './validate.js'
import { CHUNK, type Slot, type Source } from './walk.js'

/** One parameter: its values and its gradient, Float32Arrays of equal length. */
export interface ParamSpec {
  /** The values, updated in place by `step()`. */
  param: Float32Array
  /** The gradient, read by `step()`; the same length as `param`. */
  grad: Float32Array
  /** Optional name, used to match state; unique within an optimizer. */
  name?: string
  /**
   * Optional shape, row-major: [rows, cols] for a weight matrix, [out, in, h, w] for a filter
   * (read as [out, in·h·w]). Its product must be the length. Muon needs it; the element-wise
   * optimizers ignore it.
   */
  shape?: readonly number[]
}

/**
 * Checks a shape against a length: an array of integers ≥ 0 whose product is `length`; `where`
 * names it in the message. Returns a copy.
 */
export function checkShape(where: string, shape: unknown, length: number): readonly number[] {
  if (!Array.isArray(shape))
    throw new TypeError(`${where}: shape must be an array of integers ≥ 0, got ${describe(shape)}`)
  shape.forEach((d, k) => {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      throw new RangeError(`${where}: shape[${k}] must be an integer ≥ 0, got ${describe(d)}`)
    }
  })
  const size = shape.reduce((a: number, b: number) => a * b, 1)
  if (size !== length) {
    throw new RangeError(`${where}: shape [${shape.join(', ')}] holds ${size} elements, the parameter ${length}`)
  }
  return Object.freeze([...shape])
}

/** A parameter group: parameters with their own options, PyTorch style. */
export type GroupSpec<O> = Partial<O> & { params: readonly ParamSpec[] }

/**
 * What a step does with a gradient that holds NaN or ±Infinity: 'propagate' (PyTorch's
 * behaviour: no check, NaN reaches the parameters), 'skip' (the step changes nothing and
 * `step()` returns false, like an AMP grad scaler), or 'throw' (a RangeError before anything
 * changes). The check is one wasm pass over the gradients, run only when the policy is not
 * 'propagate'.
 */
export type NonFinitePolicy = 'propagate' | 'skip' | 'throw'

/**
 * What the kernels do with subnormal float32 values (magnitudes below 2⁻¹²⁶ ≈ 1.18e-38), which
 * x86 processors compute in microcode, dozens of times slower: 'flush' (the default, as
 * TensorFlow's CPU runtime does) sets them to zero, keeping the sign, wherever they arise in the
 * state buffers and in the squares the kernels take (docs/algorithms.md §4); 'keep' computes
 * strict IEEE 754, bit for bit with PyTorch's CPU float32 maths.
 */
export type SubnormalMode = 'flush' | 'keep'

/** Options that belong to the optimizer as a whole, not to a group. */
export interface OptimizerOptions {
  /** The non-finite gradient policy. Default 'propagate'. */
  nonFinite: NonFinitePolicy
  /** Subnormal values: flushed to zero or kept. Default 'flush' (TF.js's own rules in wasm-optim/tfjs: 'keep' only). */
  subnormals: SubnormalMode
}

/** What an optimizer takes: a list of parameters, or a list of parameter groups. */
export type Params<O> = readonly ParamSpec[] | readonly GroupSpec<O>[]

/** A group as the optimizer holds it: every option filled in, writable between steps. */
export type ParamGroup<O> = O & { readonly params: readonly ParamSpec[] }

const NON_FINITE: readonly NonFinitePolicy[] = ['propagate', 'skip', 'throw']

/** Checks a non-finite policy; `where` + `what` name it in the message (joined only when it throws). */
export function checkPolicy(where: string, what: string, policy: unknown): NonFinitePolicy {
  return oneOf(`${where}${what}: nonFinite`, policy, NON_FINITE)
}

/** Checks that `value` is one of `allowed`; `label` names it in the message, `why` ends it. */
export function oneOf<T extends string>(label: string, value: unknown, allowed: readonly T[], why = ''): T {
  if (!allowed.includes(value as T)) {
    const list = allowed.map((a) => `'${a}'`)
    const text = list.length === 1 ? list[0] : `${list.slice(0, -1).join(', ')} or ${list.at(-1)}`
    throw new TypeError(`${label} must be ${text}, got ${describe(value)}${why}`)
  }
  return value as T
}

export function toGroups<O>(name: string, params: Params<O>): readonly GroupSpec<O>[] {
  if (!Array.isArray(params)) {
    throw new TypeError(
      `${name}: params must be an array of { param, grad } or of parameter groups { params: [...] }, got ${describe(params)}`,
    )
  }
  const isGroup = (x: unknown) => x !== null && typeof x === 'object' && 'params' in x
  if (params.length > 0 && params.every(isGroup)) {
    params.forEach((g, i) => {
      if (!Array.isArray(g.params))
        throw new TypeError(`${name}: paramGroups[${i}].params must be an array, got ${describe(g.params)}`)
    })
    return params as readonly GroupSpec<O>[]
  }
  if (params.some(isGroup)) throw new TypeError(`${name}: params mixes parameter groups and parameters`)
  return [{ params: params as readonly ParamSpec[] } as GroupSpec<O>]
}

/** Throws the error for an option name that `defaults` does not have. */
export function unknownOption(where: string, key: string, defaults: object): never {
  throw new TypeError(`${where} has an unknown option '${key}'; the options are ${Object.keys(defaults).join(', ')}`)
}

/** Checks that `options` is an object whose every key is an option of `defaults`. */
export function checkKeys<T extends object>(where: string, options: object, defaults: object): Partial<T> {
  if (options === null || typeof options !== 'object')
    throw new TypeError(`${where} must be an object, got ${describe(options)}`)
  // Own names alone: 'constructor', 'toString' or '__proto__' are no option of any optimizer.
  for (const key of Object.keys(options)) if (!Object.hasOwn(defaults, key)) unknownOption(where, key, defaults)
  return options as Partial<T>
}

interface CheckedSpec {
  param: Float32Array
  grad: Float32Array
  name: string | undefined
  shape: readonly number[] | undefined
  where: string
}

function checkSpec(name: string, spec: ParamSpec, i: number, j: number): CheckedSpec {
  const where = `${name}: paramGroups[${i}].params[${j}]`
  if (spec === null || typeof spec !== 'object' || ArrayBuffer.isView(spec) || !('param' in spec || 'grad' in spec)) {
    throw new TypeError(`${where} must be { param, grad } or a parameter(), got ${describe(spec)}`)
  }
  const { param, grad, name: pname, shape } = spec
  if (!isFloat32Array(param)) throw new TypeError(`${where}.param must be a Float32Array, got ${describe(param)}`)
  if (!isFloat32Array(grad)) throw new TypeError(`${where}.grad must be a Float32Array, got ${describe(grad)}`)
  if (param.length !== grad.length) {
    throw new RangeError(`${where}: param and grad must have the same length, got ${param.length} and ${grad.length}`)
  }
  if (pname !== undefined && typeof pname !== 'string')
    throw new TypeError(`${where}.name must be a string, got ${describe(pname)}`)
  return {
    param,
    grad,
    name: pname,
    shape: shape === undefined ? undefined : checkShape(where, shape, param.length),
    where: `paramGroups[${i}].params[${j}]`,
  }
}

function checkNames(name: string, specs: CheckedSpec[]): void {
  const seen = new Map<string, string>()
  for (const s of specs) {
    if (s.name === undefined) continue
    const other = seen.get(s.name)
    if (other) throw new TypeError(`${name}: parameter name '${s.name}' is used twice (${other} and ${s.where})`)
    seen.set(s.name, s.where)
  }
}

/** Parameters must not overlap one another, nor any gradient: an update would corrupt the other. */
function checkOverlaps(name: string, specs: CheckedSpec[]): void {
  type Extent = { key: unknown; start: number; end: number; where: string; what: string }
  const extent = (a: Float32Array, s: CheckedSpec, what: string): Extent => ({
    key: inMemory(a) ? 'wasm' : a.buffer,
    start: a.byteOffset,
    end: a.byteOffset + a.byteLength,
    where: s.where,
    what,
  })
  const params = specs.map((s) => extent(s.param, s, 'param')).filter((s) => s.end > s.start)
  const grads = specs.map((s) => extent(s.grad, s, 'grad')).filter((s) => s.end > s.start)
  const overlap = (a: Extent, b: Extent) => a.key === b.key && a.start < b.end && b.start < a.end
  const fail = (a: Extent, b: Extent) => {
    if (a.what === 'param' && b.what === 'param' && a.start === b.start && a.end === b.end) {
      throw new TypeError(
        `${name}: the same parameter appears twice (${a.where} and ${b.where}); give each parameter once`,
      )
    }
    throw new TypeError(
      `${name}: ${a.where}.${a.what} overlaps ${b.where}.${b.what}; each parameter needs its own memory, apart from every gradient`,
    )
  }
  // Parameters: sort by (buffer, start) and compare neighbours. Then, the parameters being sorted
  // and disjoint, a gradient can only overlap the last parameter of its buffer that starts before
  // the gradient ends: found by binary search, so many parameters stay cheap to check.
  const keys = new Map<unknown, number>()
  const order = (s: Extent) => keys.get(s.key) ?? keys.set(s.key, keys.size).get(s.key)!
  const before = (a: Extent, key: number, end: number) => order(a) < key || (order(a) === key && a.start < end)
  params.sort((a, b) => order(a) - order(b) || a.start - b.start)
  for (let i = 1; i < params.length; i++) if (overlap(params[i - 1], params[i])) fail(params[i - 1], params[i])
  for (const g of grads) {
    const key = order(g)
    let lo = 0
    let hi = params.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (before(params[mid], key, g.end)) lo = mid + 1
      else hi = mid
    }
    if (lo > 0 && overlap(g, params[lo - 1])) fail(params[lo - 1], g)
  }
}

/** For a view of the wasm memory: the live allocator block it lies in (else it must be copied). */
function source(name: string, a: Float32Array, where: string): Source {
  if (!inMemory(a)) return { user: a }
  const block = runtime().arena.blockContaining(a.byteOffset, a.byteLength)
  if (!block) throw new TypeError(`${name}: ${where} is a view of wasm-optim's memory that no live parameter() holds`)
  return { block }
}

const bytesOf = (n: number) => bufferBytes(FORMATS.f32, n)

/**
 * Checks every parameter of every group and allocates one block for all their state buffers
 * (`buffers[i]` for group i, filled with `initial(i, name)`) and, if any parameter is a plain
 * array, the staging area: a constructor that throws has allocated nothing.
 */
export function layOut<O>(
  name: string,
  groups: ParamGroup<O>[],
  buffers: readonly (readonly string[])[],
  initial: (group: number, buffer: string) => number,
): { block: number; stage: number | undefined; slots: Slot[][]; allocated: Allocated[] } {
  // Each group's state format, from its option stateDtype (a class without the option keeps float32).
  const dtypes = groups.map((g) => (g as { stateDtype?: StateDtype }).stateDtype)
  const specs = groups.flatMap((g, i) => g.params.map((s, j) => checkSpec(name, s, i, j)))
  if (specs.length === 0) throw new TypeError(`${name}: got an empty parameter list`)
  checkNames(name, specs)
  checkOverlaps(name, specs)
  const sources = specs.map((s) => ({
    param: source(name, s.param, `${s.where}.param`),
    grad: source(name, s.grad, `${s.where}.grad`),
  }))
  const staged = sources.some((s) => s.param.user || s.grad.user)
  // Read lengths and addresses now: allocating may grow an unshared memory and detach views.
  const group = groups.flatMap((g, i) => g.params.map(() => i))
  const layout = specs.map((s, k) => ({
    n: s.param.length,
    p: s.param.byteOffset,
    g: s.grad.byteOffset,
    fmt: formatOf(dtypes[group[k]], s.param.length),
  }))
  const bytes = layout.reduce(
    (sum, l, k) => sum + buffers[group[k]].length * bufferBytes(l.fmt, l.n),
    staged ? 2 * bytesOf(CHUNK) : 0,
  )
  const block = runtime().arena.alloc(bytes)
  let at = block
  const take = (size: number) => {
    at += size
    return at - size
  }
  const stage = staged ? take(2 * bytesOf(CHUNK)) : undefined
  let k = 0
  const slots = groups.map((_, i) =>
    groups[i].params.map((spec): Slot => {
      const { n, p, g, fmt } = layout[k]
      const state: Record<string, number> = {}
      for (const b of buffers[i]) {
        state[b] = take(bufferBytes(fmt, n))
        const value = initial(i, b)
        if (value !== 0) fillState(state[b], fmt, n, b, value, k)
      }
      const plain = Object.getOwnPropertyDescriptor(spec, 'grad')?.value !== undefined
      const given = plain ? { spec, param: spec.param, grad: spec.grad } : undefined
      const z = fmt === FORMATS.f32 ? F32_STATE : { fmt, salt: 0 }
      const id = k
      return {
        t: 0,
        group: i,
        n,
        p,
        g,
        state,
        id,
        z,
        name: specs[k].name,
        shape: specs[k].shape,
        given,
        ...sources[k++],
      }
    }),
  )
  return { block, stage, slots, allocated: buffers.map((b, i) => ({ buffers: new Set(b), dtype: dtypes[i] })) }
}
