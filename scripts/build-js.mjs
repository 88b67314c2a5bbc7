// Builds dist/ from src/: the type declarations with tsc (one .d.ts per module, doc comments
// kept), and the JavaScript with esbuild as one ES module per public entry, comments and
// whitespace stripped, names kept. One file loads with one request in a page without a bundler,
// and the doc comments ship once, in the .d.ts, instead of twice.
import { execFileSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { build } from 'esbuild'

rmSync('dist', { recursive: true, force: true })
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json', '--emitDeclarationOnly'], {
  stdio: 'inherit',
})
await build({
  entryPoints: ['src/index.ts'],
  outdir: 'dist',
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  minifyWhitespace: true,
  minifySyntax: true,
  minifyIdentifiers: true,
  keepNames: true,
  legalComments: 'none',
  logLevel: 'warning',
})
