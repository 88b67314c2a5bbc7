// The registry is complete: every optimizer the library exports (src/optimizers/index.ts) has
// its reference rule, its test settings, a plain-loop baseline, its rows in the README's tables
// and in docs/algorithms.md; and every kernel takes the arguments src/kernels.ts says. Each test
// names what is missing, so that an optimizer added in one place and forgotten in another fails
// here, loudly, instead of being skipped by a suite.
import { readFileSync } from 'node:fs'
import { beforeAll, describe, expect, it } from 'vitest'
import { PLAIN } from '../bench/plain.js'
import { init, optimizers } from '../src/index.js'
import { SIGNATURES } from '../src/kernels.js'
import { runtime } from '../src/runtime.js'
import { RULES } from './reference.js'
import { CASES, NAMES, REGISTRY } from './registry.js'

const readme = readFileSync('README.md', 'utf8')
const algorithms = readFileSync('docs/algorithms.md', 'utf8')

describe('every optimizer is in every list', () => {
  it.each(NAMES)('%s has a reference rule in test/reference.ts', (name) => {
    expect(RULES[name], `test/reference.ts: RULES has no rule for ${name}`).toBeDefined()
  })

  it.each(NAMES)('%s has its test settings in test/registry.ts', (name) => {
    const info = REGISTRY[name]
    expect(info, `test/registry.ts: REGISTRY has no entry for ${name}`).toBeDefined()
    expect(
      info.paths.length,
      `${name}: no option paths for the exactness, float64 and checkpoint suites`,
    ).toBeGreaterThan(0)
    expect(optimizers[name].options, `${name}: no options table (src/options.ts)`).toBeDefined()
    expect(info.converges.length, `${name}: no convergence settings`).toBeGreaterThan(0)
  })

  it.each(NAMES)("%s's options table: each default and test range within the allowed range", (name) => {
    for (const [key, spec] of Object.entries(optimizers[name].options)) {
      if (spec.kind !== 'number' && spec.kind !== 'betas') continue
      const [lo, hi] = spec.kind === 'number' ? [spec.lo!, spec.hi!] : [0, 1]
      const inside = (x: number) => x >= lo && (spec.closed ? x <= hi : x < hi)
      const values = spec.kind === 'number' ? [spec.default as number] : (spec.default as number[])
      expect(values.every(inside), `${name}.options.${key}: default ${values} outside [${lo}, ${hi}]`).toBe(true)
      expect(spec.test?.every(inside), `${name}.options.${key}: test range ${spec.test} outside [${lo}, ${hi}]`).toBe(
        true,
      )
    }
  })

  it.each(NAMES)('%s has checkpoint cases', (name) => {
    expect(
      CASES.some(([n]) => n === name),
      `${name}: no case for the checkpoint suite`,
    ).toBe(true)
  })

  // A method on matrices (Muon) is benchmarked by its matrix products and steps (bench/run.ts), not per element.
  it.each(NAMES.filter((n) => !REGISTRY[n]?.shape))('%s has a plain-loop baseline in bench/plain.ts', (name) => {
    expect(PLAIN[name], `bench/plain.ts has no baseline for ${name}: npm run bench needs one`).toBeDefined()
  })

  it.each(NAMES)('%s has a row in the README and in docs/algorithms.md', (name) => {
    expect(readme, `README.md: no table row for \`${name}\``).toContain(`| \`${name}\``)
    expect(algorithms, `docs/algorithms.md: no table row for \`${name}\``).toContain(`| \`${name}\``)
  })

  it('every optimizer class the package exports is in the registry (optimizers)', async () => {
    const exported = await import('../src/index.js')
    const classes = Object.entries(exported).filter(
      ([name, x]) => typeof x === 'function' && x.prototype instanceof exported.Optimizer && name !== 'Optimizer',
    )
    expect(classes.length).toBeGreaterThan(10)
    expect(
      classes.filter(([name, x]) => (optimizers as Record<string, unknown>)[name] !== x).map(([name]) => name),
      'exported from src/index.ts but missing from optimizers (src/optimizers/index.ts): untested',
    ).toEqual([])
  })

  it('no list names an optimizer the library does not have', () => {
    for (const [list, keys] of [
      ['RULES', RULES],
      ['REGISTRY', REGISTRY],
      ['PLAIN', PLAIN],
    ] as const) {
      expect(
        Object.keys(keys).filter((k) => !(k in optimizers)),
        `${list} names optimizers the library does not export`,
      ).toEqual([])
    }
  })
})

describe('the kernels', () => {
  beforeAll(async () => {
    await init()
  })

  it('every export takes as many arguments as src/kernels.ts says', () => {
    const kernels = runtime().kernels as unknown as Record<string, (...a: unknown[]) => unknown>
    for (const [name, args] of Object.entries(SIGNATURES)) {
      expect(kernels[name], `the wasm module has no export ${name}`).toBeTypeOf('function')
      expect(kernels[name].length, `${name}: arity`).toBe(args.length)
    }
  })
})
