// TF.js training: wasm-optim/tfjs's adam against tf.train.adam, and the training kernels
// (registerTrainingKernels) against TF.js's own, each in a process of its own (bench/tfjs-train.ts,
// bench/tfjs-kernels.ts). Part of `npm run bench` (bench/run.ts).
import { execFileSync } from 'node:child_process'
import { f, quick, type Target, targetRow } from './measure.js'

export interface TrainRow {
  backend: string
  model: string
  params: number
  stepTfjs: number
  stepOurs: number
  applyTfjs: number
  applyOurs: number
  kernel: number
}

/** wasm-optim/tfjs's adam against tf.train.adam inside trainOnBatch (bench/tfjs-train.ts, a process of its own). */
export function tfjsTraining(): TrainRow[] {
  const args = JSON.stringify(quick ? { steps: 8, warmup: 2 } : { steps: 30, warmup: 5 })
  const out = execFileSync(process.execPath, ['--import', 'tsx', 'bench/tfjs-train.ts', args], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  })
  const rows: TrainRow[] = JSON.parse(out.trim().split('\n').at(-1)!)
  for (const r of rows) {
    console.log(
      `TF.js ${r.backend} ${r.model}: trainOnBatch ${(r.stepTfjs / r.stepOurs).toFixed(2)}x, applyGradients ${(r.applyTfjs / r.applyOurs).toFixed(1)}x faster`,
    )
  }
  return rows
}

export interface KernelRow {
  backend: string
  model: string
  arm: string
  ms: number
  spread: [number, number]
}

/** trainOnBatch with TF.js's kernels, the transposes-only fix and wasm-optim's training kernels (bench/tfjs-kernels.ts, a process of its own). */
export function trainingKernels(): KernelRow[] {
  const args = JSON.stringify(quick ? { steps: 4, warmup: 1 } : { steps: 12, warmup: 3 })
  const out = execFileSync(process.execPath, ['--import', 'tsx', 'bench/tfjs-kernels.ts', args], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  })
  return JSON.parse(out.trim().split('\n').at(-1)!)
}

/** The targets of issue #20, as ratios of medians measured in the same run. */
export function kernelTargets(k: KernelRow[]): Target[] {
  const ms = (backend: string, model: string, arm: string) =>
    k.find((r) => r.backend === backend && r.model.startsWith(model) && r.arm.startsWith(arm))?.ms ?? Number.NaN
  const own = "TF.js's own"
  const ours1 = 'wasm-optim kernels, 1'
  const ours2 = 'wasm-optim kernels, 2'
  return [
    ['MLP on wasm: TF.js kernels / ours (1 thread)', ms('wasm', 'MLP', own) / ms('wasm', 'MLP', ours1), 12, 'min', '×'],
    [
      'MLP on wasm: transposes-only fix / ours (1 thread)',
      ms('wasm', 'MLP', 'transposes') / ms('wasm', 'MLP', ours1),
      1.5,
      'min',
      '×',
    ],
    ['P1 2c2d on wasm, ours, 1 thread', ms('wasm', 'P1', ours1), 280, 'max', ' ms'],
    ['P1 2c2d on wasm, ours, 2 threads', ms('wasm', 'P1', ours2), 160, 'max', ' ms'],
    [
      'small conv net: TF.js cpu / ours on wasm (1 thread)',
      ms('cpu', 'small', own) / ms('wasm', 'small', ours1),
      20,
      'min',
      '×',
    ],
    ['MLP on cpu: TF.js kernels / ours', ms('cpu', 'MLP', own) / ms('cpu', 'MLP', ours1), 5, 'min', '×'],
    ['P1 2c2d on cpu: TF.js kernels / ours', ms('cpu', 'P1', own) / ms('cpu', 'P1', ours1), 5, 'min', '×'],
    ['small conv net on cpu: TF.js kernels / ours', ms('cpu', 'small', own) / ms('cpu', 'small', ours1), 5, 'min', '×'],
  ]
}

/** The results tables (bench/RESULTS.md). */
export function trainingTables(training: TrainRow[], kernelRows: KernelRow[]): string[] {
  return [
    '### wasm-optim/tfjs in TF.js training: `adam()` against `tf.train.adam`, trainOnBatch, batch 64',
    '',
    'Twin models (same weights, same batch), the arms alternating step by step, medians after a warm-up (bench/tfjs-train.ts).',
    "Overhead: the adapter's applyGradients minus a step of the same kernel over parameter()s of the same sizes.",
    '',
    '| backend | model (parameters) | step, tf.train.adam | step, ours | step speed-up | applyGradients, tf.train.adam | ours | speed-up | kernel | overhead per 1M parameters |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...training.map(
      (r) =>
        `| ${r.backend} | ${r.model} (${r.params.toLocaleString('en')}) | ${f(r.stepTfjs, 2)} ms | ${f(r.stepOurs, 2)} ms | ${f(r.stepTfjs / r.stepOurs, 2)}× | ` +
        `${f(r.applyTfjs, 3)} ms | ${f(r.applyOurs, 3)} ms | ${f(r.applyTfjs / r.applyOurs, 1)}× | ${f(r.kernel, 3)} ms | ${f(((r.applyOurs - r.kernel) / r.params) * 1e6, 2)} ms |`,
    ),
    '',
    '### Training kernels (registerTrainingKernels): a whole trainOnBatch, ms per step',
    '',
    "Twin models, arms alternating step by step (2 threads measured after them on the last twin), medians [min–max] (bench/tfjs-kernels.ts). TF.js's wasm backend cannot train a convolution at all.",
    '',
    '| backend | model | arm | ms per step | spread |',
    '|---|---|---|---|---|',
    ...kernelRows.map(
      (r) => `| ${r.backend} | ${r.model} | ${r.arm} | ${f(r.ms, 1)} | ${f(r.spread[0], 1)}–${f(r.spread[1], 1)} |`,
    ),
    '',
    '| target (issue #20) | measured | required | |',
    '|---|---|---|---|',
    ...kernelTargets(kernelRows).map(targetRow),
  ]
}

/** The README's summary of the adapter's speed. */
export function trainingSummary(training: TrainRow[]): string[] {
  return [
    '| backend | model (parameters) | whole step | applyGradients |',
    '|---|---|---|---|',
    ...training.map(
      (r) =>
        `| ${r.backend} | ${r.model} (${r.params.toLocaleString('en')}) | ${f(r.stepTfjs / r.stepOurs, 2)}× faster (${f(r.stepOurs, 1)} ms) | ` +
        `${f(r.applyTfjs / r.applyOurs, 1)}× faster (${f(r.applyOurs, 3)} ms) |`,
    ),
  ]
}
