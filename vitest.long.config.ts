import { defineConfig } from 'vitest/config'

// `npm run test:long`: the soak and reproduction runs that `npm test` leaves out to stay fast
// (1,000-cycle lifecycles, the 1e8-parameter run, the quick P1, MNIST and quadratic studies).
// Node only; .ci/run runs it after `npm test`.
export default defineConfig({
  test: {
    testTimeout: 600_000,
    include: ['test/long/*.test.ts'],
  },
})
