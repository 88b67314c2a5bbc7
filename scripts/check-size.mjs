// Size budgets (npm run lint, part of npm test): the base class file under 300 lines, no file in
// src/ over 400. A file past its budget is a design question first: what should live elsewhere?
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

const BUDGETS = { 'src/optimizer.ts': 299 }
const DEFAULT = 400
const walk = (dir) =>
  readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)]))
const generated = new Set(['src/wasm.ts', 'src/kernels.ts', 'src/tfjs/wasm.ts', 'src/tfjs/kernels.ts'])
const offenders = walk('src')
  .filter((f) => f.endsWith('.ts') && !generated.has(f))
  .map((f) => ({ f, lines: readFileSync(f, 'utf8').split('\n').length - 1, budget: BUDGETS[f] ?? DEFAULT }))
  .filter((x) => x.lines > x.budget)
if (offenders.length > 0) {
  console.error('Files over their size budget:')
  for (const o of offenders) console.error(`  ${o.f}: ${o.lines} lines (budget ${o.budget})`)
  process.exit(1)
}
console.log('size budgets: every file in src/ within its budget')
