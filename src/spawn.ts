// Starting a helper thread: worker_threads in Node, a Web Worker from a Blob URL in browsers (threads.ts's Pool starts them).
import { helperSource } from './helper.js'

/** A started helper: terminate() stops it; `exited` says why it stopped, if it did. */
export interface Helper {
  terminate(): void
  exited?: string
}

/** How long a helper may take to start. */
const START_MS = 20_000

export type Spawn = (message: object, exited: (why: string) => void) => Promise<Helper>

/** How this runtime starts a helper: worker_threads in Node, a Web Worker from a Blob URL in browsers. */
export async function spawner(): Promise<Spawn> {
  const source = helperSource()
  const nodeProcess = (globalThis as { process?: { versions?: { node?: string } } }).process
  if (nodeProcess?.versions?.node) {
    // A variable specifier, so that bundlers leave this Node-only import alone.
    const specifier = 'node:worker_threads'
    const { Worker } = (await import(/* @vite-ignore */ specifier)) as typeof import('node:worker_threads')
    return (message, exited) =>
      new Promise((resolve, reject) => {
        const worker = new Worker(source, { eval: true })
        const helper: Helper = {
          terminate: () => {
            helper.exited ??= 'was stopped'
            void worker.terminate()
          },
        }
        const timer = setTimeout(
          () => reject(new Error(`a helper thread did not start within ${START_MS / 1000} s`)),
          START_MS,
        )
        worker.once('message', () => {
          clearTimeout(timer)
          worker.unref()
          resolve(helper)
        })
        worker.once('error', (e) => {
          clearTimeout(timer)
          helper.exited ??= `threw: ${e.message}`
          exited(helper.exited)
          reject(e)
        })
        worker.once('exit', (code) => {
          clearTimeout(timer)
          if (helper.exited === undefined) {
            helper.exited = `exited (code ${code})`
            exited(helper.exited)
          }
          reject(new Error(`a helper thread exited (code ${code}) before it started`))
        })
        worker.postMessage(message)
      })
  }
  if (typeof Worker === 'undefined') throw new Error('this runtime has no Web Workers')
  const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }))
  return (message, exited) =>
    new Promise((resolve, reject) => {
      const worker = new Worker(url)
      const helper: Helper = {
        terminate: () => {
          helper.exited ??= 'was stopped'
          worker.terminate()
        },
      }
      const timer = setTimeout(
        () => reject(new Error(`a helper thread did not start within ${START_MS / 1000} s`)),
        START_MS,
      )
      worker.onmessage = () => {
        clearTimeout(timer)
        resolve(helper)
      }
      worker.onerror = (e) => {
        clearTimeout(timer)
        e.preventDefault()
        helper.exited ??= `threw: ${e.message}`
        exited(helper.exited)
        reject(new Error(e.message))
      }
      worker.postMessage(message)
    })
}
