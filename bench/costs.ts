// What things cost against an optimizer step: many small parameters against one large one, the
// non-finite check and clipping, the diagnostics pass, subnormal numbers. Part of `npm run bench`
// (bench/run.ts).
import { Adam, init, type OptimizerName, parameter } from '../src/index.js'
import { BUDGET_MS, CLASSES, f, measure, quick, random, repeat, repsFor, type Target } from './measure.js'

/** One Adam step over 100 parameters of 1e3 elements against one of 1e5: the cost of many calls. */
export async function overhead() {
  await init({ simd: true })
  const many = Array.from({ length: 100 }, () => parameter(random(1000)))
  const one = parameter(random(100_000))
  const optMany = new Adam(many)
  const optOne = new Adam([one])
  const r = await measure(
    { many: repeat(2, () => optMany.step()), one: repeat(2, () => optOne.step()) },
    2e5,
    BUDGET_MS,
  )
  optMany.dispose()
  optOne.dispose()
  for (const p of [...many, one]) p.dispose()
  const ratio = r.one / r.many
  console.log(`100 x 1e3 costs ${ratio.toFixed(2)}x one 1e5 tensor (Adam, SIMD)`)
  return { many: r.many, one: r.one, ratio }
}

/** What the non-finite check and gradient clipping cost, against one Adam step, SIMD, parameter() buffers. */
export async function robustness() {
  await init({ simd: true })
  const rows: { n: number; adam: number; adamChecked: number; clipNorm: number; clipValue: number }[] = []
  for (const n of quick ? [1e6] : [1e5, 1e6]) {
    const reps = repsFor(n)
    const w = parameter(random(n))
    w.grad.set(random(n))
    const plain = new Adam([w])
    const checked = new Adam([w], { nonFinite: 'skip' })
    const clip = new Adam([w])
    plain.step()
    // Medians of per-call times (ms); clipGradNorm(1e9) measures the norm pass alone (no scaling).
    const r = await measure(
      {
        adam: repeat(reps, () => plain.step()),
        adamChecked: repeat(reps, () => checked.step()),
        clipNorm: repeat(reps, () => clip.clipGradNorm(1e9)),
        clipValue: repeat(reps, () => clip.clipGradValue(1e9)),
      },
      n * reps,
      BUDGET_MS,
    )
    for (const o of [plain, checked, clip]) o.dispose()
    w.dispose()
    const ms = (k: string) => (n * reps) / (r[k] * 1e6)
    rows.push({
      n,
      adam: ms('adam'),
      adamChecked: ms('adamChecked'),
      clipNorm: ms('clipNorm'),
      clipValue: ms('clipValue'),
    })
    console.log(
      `n=${n.toExponential(0)}: non-finite check +${((ms('adamChecked') / ms('adam') - 1) * 100).toFixed(0)}% of an Adam step, ` +
        `clipGradNorm ${((ms('clipNorm') / ms('adam')) * 100).toFixed(0)}%, clipGradValue ${((ms('clipValue') / ms('adam')) * 100).toFixed(0)}%`,
    )
  }
  return rows
}

/**
 * What asking opt.stats() after every step costs, against the step itself: one parameter() of n
 * elements, and the MNIST perceptron's four (784×64, 64, 64×10, 10) in one group. Default sample.
 */
export async function diagnostics() {
  await init({ simd: true })
  const methods: [string, OptimizerName, object][] = [
    ['Adam', 'Adam', {}],
    ['M-SVAG', 'MSVAG', {}],
    ['M-SGD (trackVariance)', 'MSGD', { trackVariance: true }],
    // The cheapest steps: M-SGD without v (norms, signs and the update norm) and SGD (norms only).
    ['M-SGD', 'MSGD', {}],
    ['SGD', 'SGD', {}],
  ]
  const shapes: [string, number[]][] = [
    ...(quick ? [1e4, 1e6] : [1e3, 1e4, 1e5, 1e6]).map((n): [string, number[]] => [n.toExponential(0), [n]]),
    ['MNIST MLP (4 tensors, 50,890)', MNIST_MLP],
  ]
  const rows: { shape: string; method: string; step: number; stats: number }[] = []
  for (const [shape, sizes] of shapes) {
    const n = sizes.reduce((a, b) => a + b)
    const reps = repsFor(n)
    const ws = sizes.map((k) => parameter(random(k)))
    for (const w of ws) w.grad.set(random(w.param.length))
    for (const [method, name, options] of methods) {
      const opt = new CLASSES[name](ws, options)
      opt.step()
      const r = await measure(
        { step: repeat(reps, () => opt.step()), stats: repeat(reps, () => opt.stats()) },
        n * reps,
        BUDGET_MS,
      )
      opt.dispose()
      const us = (k: string) => (n / r[k]) * 1e-3
      rows.push({ shape, method, step: us('step'), stats: us('stats') })
      console.log(
        `${shape} ${method}: step ${us('step').toFixed(2)} us, stats() ${us('stats').toFixed(2)} us (${(us('stats') / us('step')).toFixed(2)}x)`,
      )
    }
    for (const w of ws) w.dispose()
  }
  return rows
}

/** The MNIST perceptron's tensors (784×64, 64, 64×10, 10): 50,890 parameters. */
const MNIST_MLP = [784 * 64, 64, 64 * 10, 10]

/**
 * What subnormal values cost, flushed (the default) and kept: an Adam and an M-SVAG step over the
 * MNIST perceptron's tensors with ordinary gradients and with gradients of about 1e-20, whose
 * squares (in v) are subnormal. Each arm has its own parameters and state.
 */
export async function subnormalCost() {
  await init({ simd: true })
  const n = MNIST_MLP.reduce((a, b) => a + b)
  const reps = repsFor(n)
  const rows: { method: string; mode: string; ordinary: number; tiny: number }[] = []
  for (const [method, name] of [
    ['Adam', 'Adam'],
    ['M-SVAG', 'MSVAG'],
  ] as const) {
    const arms: Record<string, () => void> = {}
    const made: { dispose(): void }[] = []
    for (const mode of ['flush', 'keep'] as const) {
      for (const [data, scale] of [
        ['ordinary', 1],
        ['tiny', 1e-20],
      ] as const) {
        const ws = MNIST_MLP.map((k) => parameter(random(k)))
        for (const w of ws) w.grad.set(random(w.param.length).map((x) => x * scale))
        const opt = new CLASSES[name](ws, { subnormals: mode })
        for (let i = 0; i < 10; i++) opt.step()
        arms[`${mode} ${data}`] = repeat(reps, () => opt.step())
        made.push(opt, ...ws)
      }
    }
    const r = await measure(arms, n * reps, BUDGET_MS)
    for (const o of made) o.dispose()
    const ms = (k: string) => n / (r[k] * 1e6)
    for (const mode of ['flush', 'keep']) {
      rows.push({ method, mode, ordinary: ms(`${mode} ordinary`), tiny: ms(`${mode} tiny`) })
      console.log(
        `${method}, subnormals '${mode}': ordinary ${ms(`${mode} ordinary`).toFixed(4)} ms, 1e-20 gradients ${ms(`${mode} tiny`).toFixed(4)} ms (${(ms(`${mode} tiny`) / ms(`${mode} ordinary`)).toFixed(2)}x)`,
      )
    }
  }
  return rows
}

export interface Costs {
  calls: Awaited<ReturnType<typeof overhead>>
  costs: Awaited<ReturnType<typeof robustness>>
  diagnostics: Awaited<ReturnType<typeof diagnostics>>
  subnormals: Awaited<ReturnType<typeof subnormalCost>>
}

/** Every section of this file, in turn. */
export async function costBench(): Promise<Costs> {
  return {
    calls: await overhead(),
    costs: await robustness(),
    diagnostics: await diagnostics(),
    subnormals: await subnormalCost(),
  }
}

export function costTargets(c: Costs): Target[] {
  const out: Target[] = [['100 × 1e3 elements vs one 1e5 tensor (Adam, SIMD)', c.calls.ratio, 1.5, 'max', '× the time']]
  for (const method of ['Adam', 'M-SVAG']) {
    const r = c.subnormals.find((r) => r.method === method && r.mode === 'flush')
    if (r)
      out.push([
        `${method}, 50,890 parameters: a step with 1e-20 gradients / on ordinary data`,
        r.tiny / r.ordinary,
        1.3,
        'max',
      ])
  }
  return out
}

/** The results tables (bench/RESULTS.md). */
export function costTables(c: Costs): string[] {
  return [
    `Per-call overhead: one Adam step over 100 parameters of 1e3 elements runs at ${f(c.calls.many)} Gelem/s, ` +
      `over one parameter of 1e5 at ${f(c.calls.one)} Gelem/s: ${f(c.calls.ratio, 2)}× the time.`,
    '',
    '### Cost of the non-finite check and of clipping, against one Adam step (SIMD, parameter())',
    '',
    "| n | Adam step | Adam with nonFinite: 'skip' | clipGradNorm (norm pass) | clipGradValue |",
    '|---|---|---|---|---|',
    ...c.costs.map(
      (x) =>
        `| ${x.n.toExponential(0)} | ${f(x.adam, 4)} ms | ${f(x.adamChecked, 4)} ms (+${f((x.adamChecked / x.adam - 1) * 100, 0)}%) | ` +
        `${f(x.clipNorm, 4)} ms (${f((x.clipNorm / x.adam) * 100, 0)}%) | ${f(x.clipValue, 4)} ms (${f((x.clipValue / x.adam) * 100, 0)}%) |`,
    ),
    '',
    "With nonFinite: 'propagate' (the default) no check runs at all.",
    '',
    '### Cost of the diagnostics pass, opt.stats(), against one step (SIMD, parameter(), default sample)',
    '',
    '| parameters | method | step | stats() | stats() / step |',
    '|---|---|---|---|---|',
    ...c.diagnostics.map(
      (d) => `| ${d.shape} | ${d.method} | ${f(d.step, 2)} µs | ${f(d.stats, 2)} µs | ${f(d.stats / d.step, 2)}× |`,
    ),
    '',
    '### Subnormal numbers: a step on ordinary data and on gradients of about 1e-20 (SIMD, the MNIST perceptron, 50,890 parameters)',
    '',
    '| method | subnormals | ordinary | 1e-20 gradients | 1e-20 / ordinary |',
    '|---|---|---|---|---|',
    ...c.subnormals.map(
      (r) =>
        `| ${r.method} | '${r.mode}' | ${f(r.ordinary * 1e3, 1)} µs | ${f(r.tiny * 1e3, 1)} µs | ${f(r.tiny / r.ordinary, 2)}× |`,
    ),
  ]
}
