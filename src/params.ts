// Checks of what an optimizer is given: the parameter list or groups, option names, each
// { param, grad } pair, names, and that no parameter overlaps another or a gradient.
import type { GroupSpec, ParamSpec, Params } from './optimizer.js'
import { inMemory, runtime } from './runtime.js'
import { describe, isFloat32Array } from './validate.js'

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

export function checkKeys<T extends object>(where: string, options: object, defaults: object): Partial<T> {
  if (options === null || typeof options !== 'object')
    throw new TypeError(`${where} must be an object, got ${describe(options)}`)
  for (const key of Object.keys(options)) {
    if (!(key in defaults)) {
      throw new TypeError(`${where}: unknown option '${key}'; the options are ${Object.keys(defaults).join(', ')}`)
    }
  }
  return options as Partial<T>
}

export interface CheckedSpec {
  param: Float32Array
  grad: Float32Array
  name: string | undefined
  where: string
}

export function checkSpec(name: string, spec: ParamSpec, i: number, j: number): CheckedSpec {
  const where = `${name}: paramGroups[${i}].params[${j}]`
  if (spec === null || typeof spec !== 'object')
    throw new TypeError(`${where} must be { param, grad }, got ${describe(spec)}`)
  const { param, grad, name: pname } = spec
  if (!isFloat32Array(param)) throw new TypeError(`${where}.param must be a Float32Array, got ${describe(param)}`)
  if (!isFloat32Array(grad)) throw new TypeError(`${where}.grad must be a Float32Array, got ${describe(grad)}`)
  if (param.length !== grad.length) {
    throw new RangeError(`${where}: param and grad must have the same length, got ${param.length} and ${grad.length}`)
  }
  if (pname !== undefined && typeof pname !== 'string')
    throw new TypeError(`${where}.name must be a string, got ${describe(pname)}`)
  return { param, grad, name: pname, where: `paramGroups[${i}].params[${j}]` }
}

export function checkNames(name: string, specs: CheckedSpec[]): void {
  const seen = new Map<string, string>()
  for (const s of specs) {
    if (s.name === undefined) continue
    const other = seen.get(s.name)
    if (other) throw new TypeError(`${name}: parameter name '${s.name}' is used twice (${other} and ${s.where})`)
    seen.set(s.name, s.where)
  }
}

/** Parameters must not overlap one another, nor any gradient: an update would corrupt the other. */
export function checkOverlaps(name: string, specs: CheckedSpec[]): void {
  type Extent = { key: unknown; start: number; end: number; what: string }
  const extent = (a: Float32Array, what: string): Extent => ({
    key: inMemory(a) ? 'wasm' : a.buffer,
    start: a.byteOffset,
    end: a.byteOffset + a.byteLength,
    what,
  })
  const params = specs.map((s) => extent(s.param, `${s.where}.param`)).filter((s) => s.end > s.start)
  const grads = specs.map((s) => extent(s.grad, `${s.where}.grad`)).filter((s) => s.end > s.start)
  const overlap = (a: Extent, b: Extent) => a.key === b.key && a.start < b.end && b.start < a.end
  const fail = (a: Extent, b: Extent) => {
    throw new TypeError(
      `${name}: ${a.what} overlaps ${b.what}; each parameter needs its own memory, apart from every gradient`,
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
export function wasmBlock(name: string, a: Float32Array, where: string): { start: number; serial: number } | undefined {
  if (!inMemory(a)) return undefined
  const block = runtime().arena.blockContaining(a.byteOffset, a.byteLength)
  if (!block) throw new TypeError(`${name}: ${where} is a view of wasm-optim's memory that no live parameter() holds`)
  return block
}
