/** A short, readable rendering of a bad value for an error message. */
export function describe(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value)
  if (typeof value === 'string') return JSON.stringify(value)
  if (value === null || value === undefined) return String(value)
  if (Array.isArray(value)) return `an Array of length ${value.length}`
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`
  const ctor = (value as object).constructor
  if (ctor === Object || ctor === undefined) return `an object { ${Object.keys(value as object).join(', ')} }`
  return `a ${ctor.name}`
}

export function isFloat32Array(value: unknown): value is Float32Array {
  return value instanceof Float32Array || Object.prototype.toString.call(value) === '[object Float32Array]'
}

/**
 * Checks the options of one parameter group, each against its allowed range, and throws a
 * TypeError (wrong type) or RangeError (out of range) that names the option, the value and the
 * range. `where` says whose options they are, e.g. "Adam: paramGroups[1]".
 */
export class Checker {
  constructor(
    /** Whose options these are, as messages name them (e.g. "Adam: paramGroups[1]"). */
    readonly where: string,
    private readonly options: Record<string, unknown>,
  ) {}

  /** A number in [lo, hi), or [lo, hi] if `closed`; hi = Infinity means finite and ≥ lo. */
  range(key: string, lo: number, hi: number, closed = false): number {
    return this.#number(key, this.options[key], lo, hi, closed)
  }

  #number(label: string, value: unknown, lo: number, hi: number, closed: boolean): number {
    if (typeof value === 'number' && value >= lo && (closed ? value <= hi : value < hi)) return value
    const text = `[${lo}, ${hi === Infinity ? '∞' : hi}${closed ? ']' : ')'}`
    if (typeof value !== 'number')
      throw new TypeError(`${this.where}: ${label} must be a number in ${text}, got ${describe(value)}`)
    throw new RangeError(`${this.where}: ${label} must be in ${text}, got ${value}`)
  }

  /** A finite number ≥ 0: learning rates, ε, weight decay. */
  nonNegative(key: string): number {
    return this.range(key, 0, Infinity)
  }

  /** A decay rate β in [0, 1). */
  unit(key: string): number {
    return this.range(key, 0, 1)
  }

  /** A pair [β1, β2], each in [0, 1). */
  betas(key: string): [number, number] {
    const value = this.options[key]
    if (!Array.isArray(value) || value.length !== 2) {
      throw new TypeError(
        `${this.where}: ${key} must be an array [β1, β2] of two numbers in [0, 1), got ${describe(value)}`,
      )
    }
    this.#number(`${key}[0]`, value[0], 0, 1, false)
    this.#number(`${key}[1]`, value[1], 0, 1, false)
    return value as [number, number]
  }

  flag(key: string): boolean {
    const value = this.options[key]
    if (typeof value !== 'boolean')
      throw new TypeError(`${this.where}: ${key} must be true or false, got ${describe(value)}`)
    return value
  }

  /** Throws the same kind of error for a rule that ties two options together. */
  fail(message: string): never {
    throw new RangeError(`${this.where}: ${message}`)
  }
}
