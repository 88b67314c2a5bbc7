// A federated round across processes, as epfml/disco's federated mode runs one (disco itself is
// not installable from the npm registry: its packages need native downloads and its server is
// unpublished, so the test does what it does). The server builds and compiles a model with a
// wasm-optim optimizer (AdamW, a cosine schedule, clipping) and saves it with the optimizer; two
// client processes each register wasm-optim's optimizers, load it with loadLayersModel, and run
// three rounds: set the averaged weights, train on their own data, send their weights back. The
// result must be the bits of the same rounds computed in one process, and each client's optimizer
// state must survive the weight swaps (node only: child processes).
import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import * as tf from '@tensorflow/tfjs'
import { describe, expect, it } from 'vitest'
import { init } from '../src/index.js'
import { tfjsOptimizers } from '../src/tfjs/index.js'
import { average, CLIENTS, ROUNDS, round, serverModel } from './federated/round.js'
import { firstBitDifference } from './helpers.js'
import { saved } from './tfjs-model.js'

const CLIENT = fileURLToPath(new URL('./federated/client.ts', import.meta.url))

/** The next message of a child process (or its exit, as an error). */
function next(child: ChildProcess): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const exit = (code: number) => reject(new Error(`a client exited with code ${code}`))
    child.once('exit', exit)
    child.once('message', (m) => {
      child.off('exit', exit)
      resolve(m as Record<string, unknown>)
    })
  })
}

describe('a federated round across processes (what epfml/disco does, without disco)', () => {
  it('three rounds, two client processes: the bits of the same rounds in one process; each client keeps its optimizer', async () => {
    await init()
    await tf.setBackend('cpu')
    const wo = await tfjsOptimizers(tf)
    const server = serverModel(wo)
    const artifacts = await saved(server)
    const initial = server.getWeights().map((w) => Float32Array.from(w.dataSync()))

    const clients = Array.from({ length: CLIENTS }, () =>
      fork(CLIENT, { execArgv: ['--import', 'tsx'], serialization: 'advanced', stdio: 'ignore' }),
    )
    let weights = initial
    try {
      for (const c of clients) expect((await next(c)).type).toBe('started')
      for (const c of clients) c.send({ type: 'model', artifacts })
      for (const c of clients) expect(await next(c)).toEqual({ type: 'ready', optimizer: 'WasmOptimAdamW' })
      for (let r = 0; r < ROUNDS; r++) {
        const sent = weights
        const results = await Promise.all(
          clients.map((c, client) => {
            const reply = next(c)
            c.send({ type: 'round', weights: sent, client, round: r })
            return reply
          }),
        )
        // Three batches a round: the optimizer counts on across the weight swaps.
        for (const res of results) expect(res.iterations).toBe(3 * (r + 1))
        weights = average(results.map((res) => res.weights as Float32Array[]))
      }
    } finally {
      for (const c of clients) c.kill()
    }

    // The same rounds in this process, each client its own loaded model and optimizer.
    const models = await Promise.all(clients.map(() => tf.loadLayersModel(tf.io.fromMemory(artifacts))))
    let here = initial
    for (let r = 0; r < ROUNDS; r++) {
      const results: Float32Array[][] = []
      for (const [client, model] of models.entries()) results.push(await round(model, here, client, r))
      here = average(results)
    }
    for (const [i, w] of weights.entries()) expect(firstBitDifference(w, here[i]), `weight ${i}`).toBe(-1)

    // The state matters: with a fresh optimizer every round (state lost at each swap), the rounds end elsewhere.
    let fresh = initial
    for (let r = 0; r < ROUNDS; r++) {
      const results: Float32Array[][] = []
      for (let client = 0; client < CLIENTS; client++) {
        const model = await tf.loadLayersModel(tf.io.fromMemory(artifacts))
        results.push(await round(model, fresh, client, r))
        model.optimizer.dispose()
        model.dispose()
      }
      fresh = average(results)
    }
    expect(weights.some((w, i) => firstBitDifference(w, fresh[i]) >= 0)).toBe(true)
    for (const m of [server, ...models]) {
      m.optimizer.dispose()
      m.dispose()
    }
  }, 60_000)
})
