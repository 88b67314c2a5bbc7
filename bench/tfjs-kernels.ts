// wasm-optim/tfjs's training kernels (registerTrainingKernels) inside TF.js training: a whole
// trainOnBatch per step, the arms alternating step by step in one process on twin models (same
// weights, same batch): TF.js's own kernels; the transposes-only fix (BatchMatMul wrapped to
// transpose its operands with TF.js's Transpose and call TF.js's untransposed product: no kernel
// of ours, the baseline to beat); and ours, on one and on two threads. Models: the
// 784-1024-256-10 MLP (batch 64), the paper's 2c2d CNN (P1, batch 64) and a small conv net (8 and
// 16 filters, batch 32), on the wasm and cpu backends. Medians after a warm-up. Argument: JSON
// { steps, warmup }; prints JSON rows last.
import * as tf from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'
import { init } from '../src/index.js'
import { registerTrainingKernels, tfjsOptimizers } from '../src/tfjs/index.js'

const { steps, warmup } = JSON.parse(process.argv[2] ?? '{"steps":8,"warmup":2}') as { steps: number; warmup: number }
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

type Build = () => { model: tf.LayersModel; x: tf.Tensor; y: tf.Tensor }
const MODELS: Record<string, Build> = {
  'MLP 784-1024-256-10, batch 64': () => {
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [784], units: 1024, activation: 'relu' }),
        tf.layers.dense({ units: 256, activation: 'relu' }),
        tf.layers.dense({ units: 10, activation: 'softmax' }),
      ],
    })
    return { model, x: tf.randomUniform([64, 784], 0, 1, 'float32', 1), y: labels(64) }
  },
  'P1 2c2d CNN, batch 64': () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 5, padding: 'same', activation: 'relu' }),
        tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }),
        tf.layers.conv2d({ filters: 64, kernelSize: 5, padding: 'same', activation: 'relu' }),
        tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 1024, activation: 'relu' }),
        tf.layers.dense({ units: 10, activation: 'softmax' }),
      ],
    })
    return { model, x: tf.randomUniform([64, 28, 28, 1], 0, 1, 'float32', 2), y: labels(64) }
  },
  'small conv net (8, 16 filters), batch 32': () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 3, activation: 'relu' }),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.conv2d({ filters: 16, kernelSize: 3, activation: 'relu' }),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 10, activation: 'softmax' }),
      ],
    })
    return { model, x: tf.randomUniform([32, 28, 28, 1], 0, 1, 'float32', 3), y: labels(32) }
  },
}

function labels(n: number): tf.Tensor {
  return tf.oneHot(
    tf.tensor1d(
      Int32Array.from({ length: n }, (_, i) => i % 10),
      'int32',
    ),
    10,
  )
}

/** The transposes-only fix: TF.js's BatchMatMul, its operands transposed first by TF.js's own Transpose. */
function transposesOnly(backendName: string) {
  const original = tf.getKernel('BatchMatMul', backendName)!
  const transpose = tf.getKernel('Transpose', backendName)!.kernelFunc
  type Info = { dataId: object; shape: number[] }
  const kernelFunc = ({
    inputs,
    attrs,
    backend,
  }: {
    inputs: Record<string, Info>
    attrs: Record<string, unknown>
    backend: { disposeData(id: object): void }
  }) => {
    const made: Info[] = []
    const flip = (t: Info) => {
      const perm = t.shape.map((_, i) => i)
      ;[perm[perm.length - 1], perm[perm.length - 2]] = [perm[perm.length - 2], perm[perm.length - 1]]
      const out = transpose({ inputs: { x: t } as never, attrs: { perm } as never, backend: backend as never }) as Info
      made.push(out)
      return out
    }
    const a = attrs.transposeA ? flip(inputs.a) : inputs.a
    const b = attrs.transposeB ? flip(inputs.b) : inputs.b
    const out = original.kernelFunc({
      inputs: { a, b } as never,
      attrs: { ...attrs, transposeA: false, transposeB: false } as never,
      backend: backend as never,
    })
    for (const t of made) backend.disposeData(t.dataId)
    return out
  }
  return {
    on: () => {
      tf.unregisterKernel('BatchMatMul', backendName)
      tf.registerKernel({ ...original, kernelFunc: kernelFunc as never })
    },
    off: () => {
      tf.unregisterKernel('BatchMatMul', backendName)
      tf.registerKernel(original)
    },
  }
}

interface Arm {
  name: string
  on(): Promise<void>
  off(): Promise<void>
}

await init()
const rows: { backend: string; model: string; arm: string; ms: number; spread: [number, number] }[] = []
for (const backend of ['wasm', 'cpu']) {
  await tf.setBackend(backend)
  await tf.ready()
  const wo = await tfjsOptimizers(tf)
  const fix = transposesOnly(backend)
  // Ours registered once, as a user does; between its steps TF.js's own kernels are swapped in
  // at the registry (unregister() would free the products' scratch and forget the cached
  // patches, which a step then pays to remake: 60 ms of P1's).
  const kernels = await registerTrainingKernels(tf, { backends: [backend as 'wasm'] })
  const mine = kernels.registered.map((k) => tf.getKernel(k.split('@')[0], backend)!)
  kernels.unregister()
  const swap = (configs: tf.KernelConfig[]) => {
    for (const k of configs) {
      if (tf.getKernel(k.kernelName, backend)) tf.unregisterKernel(k.kernelName, backend)
      tf.registerKernel(k)
    }
  }
  const theirs = mine.map((k) => tf.getKernel(k.kernelName, backend))
  const ours = (threads: number): Arm => ({
    name: `wasm-optim kernels, ${threads} thread${threads > 1 ? 's' : ''}`,
    on: async () => {
      if (threads > 1) await init({ threads })
      swap(mine)
    },
    off: async () => {
      for (const [i, k] of mine.entries()) {
        tf.unregisterKernel(k.kernelName, backend)
        if (theirs[i]) tf.registerKernel(theirs[i]!)
      }
    },
  })
  for (const [label, build] of Object.entries(MODELS)) {
    console.error(`${backend} | ${label} ...`)
    const conv = !label.startsWith('MLP')
    const slow = backend === 'cpu' && conv
    const arms: Arm[] = [
      // TF.js's wasm backend cannot train a convolution at all (no Conv2DBackpropFilter).
      ...(backend === 'wasm' && conv ? [] : [{ name: "TF.js's own kernels", on: async () => {}, off: async () => {} }]),
      ...(conv ? [] : [{ name: 'transposes-only fix', on: async () => fix.on(), off: async () => fix.off() }]),
      ours(1),
    ]
    const twins = arms.map(() => {
      const b = build()
      b.model.compile({ optimizer: wo.adam(1e-3), loss: 'categoricalCrossentropy' })
      return b
    })
    const base = twins[0].model.getWeights()
    for (const t of twins.slice(1)) t.model.setWeights(base)
    const times: number[][] = arms.map(() => [])
    // TF.js's cpu kernels take about 2 s a step of the small conv net and 2 minutes of P1's: few steps there.
    const huge = slow && label.startsWith('P1')
    const n = huge ? 2 : slow ? Math.max(3, Math.ceil(steps / 3)) : steps
    const w = huge ? 0 : slow ? 1 : warmup
    for (let s = 0; s < w + n; s++) {
      for (const [i, arm] of arms.entries()) {
        await arm.on()
        const t0 = performance.now()
        const loss = await twins[i].model.trainOnBatch(twins[i].x, twins[i].y)
        void loss
        const ms = performance.now() - t0
        await arm.off()
        if (s >= w) times[i].push(ms)
      }
    }
    // Two threads: the same model, measured after the interleaved arms (starting helpers at every step would cost more than the step).
    {
      const two = ours(2)
      await two.on()
      const t = twins[arms.length - 1]
      const times2: number[] = []
      for (let s = 0; s < w + n; s++) {
        const t0 = performance.now()
        await t.model.trainOnBatch(t.x, t.y)
        if (s >= w) times2.push(performance.now() - t0)
      }
      await two.off()
      await init({ threads: 1 })
      arms.push(two)
      times.push(times2)
    }
    for (const [i, arm] of arms.entries()) {
      const sorted = [...times[i]].sort((a, b) => a - b)
      rows.push({ backend, model: label, arm: arm.name, ms: median(times[i]), spread: [sorted[0], sorted.at(-1)!] })
      console.error(`${backend} | ${label} | ${arm.name} | ${median(times[i]).toFixed(1)} ms`)
    }
    for (const t of twins) {
      ;(t.model.optimizer as tf.Optimizer).dispose()
      t.model.dispose()
      tf.dispose([t.x, t.y])
    }
  }
}
console.log(JSON.stringify(rows))
