// The helper threads under tsx (Node only: a child process). tsx transforms with esbuild's
// keepNames, which wraps named functions in calls to a helper `__name`; the helper threads run
// their functions from source text, so every helper died at its start ("__name is not defined")
// and the library quietly ran on the calling thread (npm run bench's thread rows read 1.00×).
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const CHILD = fileURLToPath(new URL('./threads/tsx-child.ts', import.meta.url))

describe('threads under tsx', () => {
  it('the helpers start and keep working when the source runs through tsx', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', CHILD], { encoding: 'utf8' })
    const got = JSON.parse(out.trim().split('\n').at(-1)!)
    expect(got.error).toBeUndefined()
    expect(got.threads).toBe(2)
    // Five Adam steps of lr 0.1 from 0 with a constant gradient: −0.5, up to ε.
    expect(got.last).toBeCloseTo(-0.5, 5)
  })
})
