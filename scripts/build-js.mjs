// Builds dist/ from src/: the type declarations with tsc (one .d.ts per module, doc comments
// kept), and the JavaScript with esbuild as one ES module per public entry, comments stripped but
// lines and names kept: a stack trace then shows a short source line and a readable frame (a
// one-line bundle made Node print ~95 kB of code before an uncaught error's message), and the
// inlined wasm bytes sit on lines of their own. One file loads with one request in a page
// without a bundler, and the doc comments ship once, in the .d.ts.
// wasm-optim/tfjs (dist/tfjs.js) imports the main entry (dist/index.js) instead of carrying a
// copy: both must share one runtime and one WebAssembly memory.
import { execFileSync } from 'node:child_process'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { build } from 'esbuild'
import ts from 'typescript'

rmSync('dist', { recursive: true, force: true })
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json', '--emitDeclarationOnly'], {
  stdio: 'inherit',
})
const common = {
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  legalComments: 'none',
  logLevel: 'warning',
}
await build({ ...common, entryPoints: ['src/index.ts'], outfile: 'dist/index.js' })
/** The tfjs entry's imports of the main entry stay imports of it; TF.js itself is only ever a type here. */
const mainEntry = {
  name: 'main-entry',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/index\.js$/ }, () => ({ path: './index.js', external: true }))
  },
}
await build({ ...common, entryPoints: ['src/tfjs/index.ts'], outfile: 'dist/tfjs.js', plugins: [mainEntry] })

// esbuild keeps the doc comments of class members and object properties (about 7 kB of the main
// entry, gzipped): TypeScript's printer drops every comment, statement by statement, lines kept.
for (const file of ['dist/index.js', 'dist/tfjs.js']) {
  const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), {
    fileName: file,
    compilerOptions: {
      removeComments: true,
      target: ts.ScriptTarget.ESNext,
      module: ts.ModuleKind.ESNext,
      verbatimModuleSyntax: true,
    },
  })
  writeFileSync(file, outputText)
}

// Only the declarations the entries' types reach are shipped: tsc writes one per module, the
// implementation-only ones (the flavour classes, the data paths, the generated wasm) included.
const { readdirSync, statSync, unlinkSync } = await import('node:fs')
const { dirname, join, relative, resolve } = await import('node:path')
const reached = new Set()
const visit = (file) => {
  if (reached.has(file)) return
  reached.add(file)
  const text = readFileSync(file, 'utf8')
  for (const [, spec] of text.matchAll(/(?:from\s+|import\()['"](\.{1,2}\/[^'"]+)['"]/g)) {
    visit(resolve(dirname(file), spec.replace(/\.js$/, '.d.ts')))
  }
}
for (const entry of ['dist/index.d.ts', 'dist/tfjs/index.d.ts']) visit(resolve(entry))
const walk = (dir) =>
  readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)]))
for (const file of walk('dist')) {
  if (file.endsWith('.d.ts') && !reached.has(resolve(file))) unlinkSync(file)
}
void relative
