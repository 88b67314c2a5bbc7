// The helper threads over a process's life (Node): a process whose helpers are alive exits when
// its work is done, and 1,000 init/step/shutdown cycles leave no thread and no memory behind.
import { execFile } from 'node:child_process'
import { readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { init, memoryStats, parameter, SGD, shutdown } from '../../src/index.js'
import { runtime } from '../../src/runtime.js'

/** Threads of this process (Linux): each helper is one; a worker that ended is gone from the list. */
const threadCount = () => readdirSync('/proc/self/task').length

describe('helper threads over a process life', () => {
  it('a process with live helpers exits by itself when its work is done', async () => {
    const script = join(tmpdir(), `wasm-optim-exit-${process.pid}.mts`)
    writeFileSync(
      script,
      `import { init, parameter, Adam } from ${JSON.stringify(resolve('src/index.ts'))}
const { threads } = await init({ threads: 2 })
const w = parameter(200_000)
w.grad.fill(1)
new Adam([w]).step()
console.log('stepped on', threads, 'threads:', w.param[199_999])
`,
    )
    const started = performance.now()
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script], { timeout: 30_000 })
    expect(stdout.trim()).toBe(`stepped on 2 threads: ${Math.fround(-0.001)}`)
    expect(performance.now() - started).toBeLessThan(30_000)
  })

  it('1,000 init/step/shutdown cycles leave no thread and no memory behind', async () => {
    await init({ threads: 1 })
    const w = parameter(40_000)
    w.grad.fill(1)
    const opt = new SGD([w], { lr: 1e-3 })
    const threads = threadCount()
    const used = memoryStats().usedBytes
    for (let i = 0; i < 1000; i++) {
      expect((await init({ threads: 2 })).threads).toBe(2)
      opt.step()
      shutdown()
    }
    expect(runtime().pool).toBeUndefined()
    // Terminated workers end asynchronously: give them a moment.
    for (let wait = 0; wait < 50 && threadCount() > threads; wait++) await new Promise((r) => setTimeout(r, 100))
    expect(threadCount()).toBe(threads)
    expect(memoryStats().usedBytes).toBe(used)
    expect(w.param[0]).toBeCloseTo(-1, 4) // 1,000 steps of lr·g = 1e-3 in float32
    opt.dispose()
    w.dispose()
  }, 180_000)
})
