// Runs in a Web Worker: loads the library there and takes three M-SVAG steps of docs/algorithms.md §7.
import { init, MSVAG, parameter } from '../../src/index.js'

self.onmessage = async () => {
  const { simd, shared } = await init()
  const w = parameter(new Float32Array([0.5, -1, 2]))
  const opt = new MSVAG([w], { lr: 0.1, beta: 0.9 })
  for (const g of [
    [1, -2, 0.5],
    [0.5, 1, 0.5],
    [1.5, -0.5, 0],
  ]) {
    w.grad.set(g)
    opt.step()
  }
  self.postMessage({ simd, shared, theta: Array.from(w.param) })
}
