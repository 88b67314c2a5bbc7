import { playwright } from '@vitest/browser-playwright'
import { defineConfig } from 'vitest/config'
import { chromium } from './test/chromium.js'

// Two projects, one `vitest run`: the whole suite in Node, and the correctness suite (bit-exact
// SIMD vs scalar vs reference, the SPEC.md vectors, unshared memory, a Web Worker) in headless
// Chromium through vitest's browser mode.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: { name: 'node', include: ['test/*.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'chromium',
          include: ['test/exact.test.ts', 'test/spec-vectors.test.ts', 'test/memory-unshared.test.ts', 'test/browser/*.test.ts'],
          browser: {
            enabled: true,
            headless: true,
            provider: playwright({ launchOptions: chromium }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
    ],
  },
})
