import { defineConfig } from 'vite'

// The demo page: `npm run demo` serves it; the browser test builds it into dist/ and loads it.
export default defineConfig({
  root: import.meta.dirname,
  base: './',
  worker: { format: 'es' },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
})
