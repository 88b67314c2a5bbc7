import { playwright } from '@vitest/browser-playwright'
import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config'
import { findChromium } from './test/chromium.js'

// Two projects, one `vitest run`: the whole suite in Node, and in headless Chromium (vitest's
// browser mode) every suite that needs no Node API: bit-exact SIMD vs scalar vs reference, the
// test vectors, unshared memory, errors, clipping and the non-finite policy, checkpoints,
// schedules, the fast-check properties, helper threads, and a Web Worker. The test server sends
// the two headers that make a page cross-origin isolated, so that the browser suites run on a
// shared memory and can start helper threads (the unshared memory has a suite of its own).
const chromium = await findChromium()
if (typeof chromium === 'string') {
  console.warn(`wasm-optim: browser suites skipped: ${chromium}; set CHROMIUM_PATH to a Chromium or Chrome to run them`)
}

export default defineConfig({
  server: {
    headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' },
  },
  test: {
    testTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: { name: 'node', include: ['test/*.test.ts'] },
      },
      ...(typeof chromium === 'string' ? [] : [browserProject(chromium)]),
    ],
  },
})

function browserProject(launchOptions: Exclude<typeof chromium, string>): TestProjectInlineConfiguration {
  return {
    extends: true,
    test: {
      name: 'chromium',
      include: [
        'test/exact.test.ts',
        'test/spec-vectors.test.ts',
        'test/memory-unshared.test.ts',
        'test/errors.test.ts',
        'test/robust.test.ts',
        'test/checkpoint.test.ts',
        'test/schedulers.test.ts',
        'test/properties.test.ts',
        'test/no-simd.test.ts',
        'test/stats.test.ts',
        'test/schedulefree.test.ts',
        'test/tfjs-adapter.test.ts',
        'test/tfjs-complete.test.ts',
        'test/tfjs-flavours.test.ts',
        'test/tfjs-defects.test.ts',
        'test/tfjs-kernels.test.ts',
        'test/threads.test.ts',
        'test/subnormals.test.ts',
        'test/state-dtype.test.ts',
        'test/browser/*.test.ts',
      ],
      browser: {
        enabled: true,
        headless: true,
        provider: playwright({ launchOptions }),
        instances: [{ browser: 'chromium' }],
      },
    },
  }
}
