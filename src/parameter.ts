import { checkShape } from './params.js'
import { runtime, view } from './runtime.js'
import { describe } from './validate.js'

const ALIGN_FLOATS = 4

/**
 * A parameter and its gradient living in the library's WebAssembly memory: the optimizer updates
 * it in place with no copies. Read `param` and `grad` through the object each time you need them
 * (they are cheap getters). With a shared memory (always in Node) a view once read stays valid
 * for the life of the parameter; with an unshared one (browsers that are not cross-origin
 * isolated) the memory's growth detaches old views, and the getters hand out fresh ones.
 */
export class Parameter {
  /** Number of elements of `param` (and of `grad`). */
  readonly length: number
  /** Optional name, used to match optimizer state. */
  readonly name: string | undefined
  /** Optional shape, row-major (see ParamSpec.shape): Muon needs it. */
  readonly shape: readonly number[] | undefined
  readonly #ptr: number
  readonly #gradPtr: number
  readonly #serial: number
  #param: Float32Array
  #grad: Float32Array

  /** @internal Use {@link parameter}. */
  constructor(length: number, name: string | undefined, shape?: readonly number[]) {
    const r = runtime()
    const gradOffset = Math.ceil(length / ALIGN_FLOATS) * ALIGN_FLOATS
    this.length = length
    this.name = name
    this.shape = shape
    this.#ptr = r.arena.alloc(8 * gradOffset)
    this.#gradPtr = this.#ptr + 4 * gradOffset
    this.#serial = r.arena.serial(this.#ptr)
    this.#param = view(this.#ptr, length)
    this.#grad = view(this.#gradPtr, length)
  }

  /** The parameter values, a view of the WebAssembly memory. */
  get param(): Float32Array {
    this.#live()
    if (this.#param.buffer !== runtime().memory.buffer) this.#param = view(this.#ptr, this.length)
    return this.#param
  }

  /** The gradient, a view of the WebAssembly memory, zero when the parameter is created. */
  get grad(): Float32Array {
    this.#live()
    if (this.#grad.buffer !== runtime().memory.buffer) this.#grad = view(this.#gradPtr, this.length)
    return this.#grad
  }

  /** Whether dispose() has been called. */
  get disposed(): boolean {
    return runtime().arena.serial(this.#ptr) !== this.#serial
  }

  /** Gives the memory back. Optimizers that hold this parameter refuse to step afterwards. */
  dispose(): void {
    if (!this.disposed) runtime().arena.free(this.#ptr)
  }

  #live(): void {
    if (this.disposed)
      throw new TypeError(`wasm-optim: parameter${this.name ? ` '${this.name}'` : ''} used after dispose()`)
  }
}

/** What {@link parameter} takes besides the length or the values. */
export interface ParameterOptions {
  /** A name, used to match optimizer state in checkpoints; unique within an optimizer. */
  name?: string
  /** A shape, row-major, whose product is the length: [rows, cols] for a weight matrix (Muon needs it). */
  shape?: readonly number[]
}

/**
 * Allocates a parameter and its gradient in the library's WebAssembly memory: the fast path,
 * updated by `step()` with no copies. Given an array, it **copies** the values in: the array
 * itself is not updated; read the values from `p.param` afterwards (or copy them back).
 *
 * @param init the number of elements (values start at 0), or the values to copy in
 * @param options the parameter's name and shape
 * @example
 * const w = parameter(new Float32Array([0.5, -1, 2]), { name: 'w' })
 * w.grad.set([0.1, 0.2, -0.3])
 * opt.step()            // w.param now holds the updated values
 */
export function parameter(init: number | ArrayLike<number>, options: ParameterOptions = {}): Parameter {
  const name = options.name
  if (name !== undefined && typeof name !== 'string') {
    throw new TypeError(`wasm-optim: parameter name must be a string, got ${describe(name)}`)
  }
  if (typeof init === 'number') {
    if (!Number.isInteger(init) || init < 0) {
      throw new RangeError(`wasm-optim: parameter length must be an integer ≥ 0, got ${init}`)
    }
    return new Parameter(init, name, shapeOf(options.shape, init))
  }
  if (init === null || typeof init !== 'object' || typeof init.length !== 'number') {
    throw new TypeError(`wasm-optim: parameter() takes a length or an array of numbers, got ${describe(init)}`)
  }
  const values = Float32Array.from(init)
  const p = new Parameter(values.length, name, shapeOf(options.shape, values.length))
  p.param.set(values)
  return p
}

const shapeOf = (shape: unknown, length: number) =>
  shape === undefined ? undefined : checkShape('wasm-optim: parameter()', shape, length)
