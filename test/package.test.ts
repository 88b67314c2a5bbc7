// The package as a user meets it: `npm pack`, install the tarball into a fresh project, then
// (a) import it and step in Node, (b) type-check a TypeScript consumer against the shipped .d.ts,
// (c) bundle a page with Vite and step in headless Chromium, (d) load it in Chromium as a plain
// ES module from a static server, with an import map and no bundler, (e) run the README's
// examples as written. The packed size stays under budget.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { extname, join, resolve } from 'node:path'
import { chromium as playwright } from 'playwright'
import ts from 'typescript'
import { build, preview } from 'vite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chromium } from './chromium.js'

/** The packed-size budget the README states. */
const BUDGET_BYTES = 64_000
const repo = resolve('.')
const dir = mkdtempSync(join(tmpdir(), 'wasm-optim-consumer-'))
/** Type-checks `files` in the consumer project, strict, against the installed package's .d.ts. */
function typecheck(config: string, files: string[]): void {
  const compilerOptions = {
    target: 'es2022',
    module: 'nodenext',
    moduleResolution: 'nodenext',
    strict: true,
    noEmit: true,
    types: [],
  }
  writeFileSync(join(dir, config), JSON.stringify({ compilerOptions, files }))
  run(process.execPath, [join(repo, 'node_modules/typescript/bin/tsc'), '-p', config])
}
const run = (cmd: string, args: string[]) =>
  execFileSync(cmd, args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })

describe('the packed package', () => {
  let packed: { filename: string; size: number; files: { path: string }[] }

  beforeAll(() => {
    // npm test has built dist/ already; tsc writes only dist/, which no other test reads.
    execFileSync('npm', ['run', 'build:ts', '--silent'], { cwd: repo, stdio: 'ignore' })
    packed = JSON.parse(
      execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: repo, encoding: 'utf8' }),
    )[0]
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }))
    run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(dir, packed.filename)])
  }, 120_000)

  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it(`is under the ${BUDGET_BYTES / 1000} kB budget and ships only what it needs`, () => {
    console.log(`packed size: ${packed.size} bytes, ${packed.files.length} files`)
    expect(packed.size).toBeLessThan(BUDGET_BYTES)
    const paths = packed.files.map((f) => f.path)
    expect(paths).toContain('dist/index.js')
    expect(paths).toContain('dist/index.d.ts')
    expect(paths.filter((p) => !/^(dist\/|README\.md$|LICENSE$|package\.json$)/.test(p))).toEqual([])
  })

  it('(a) imports and steps in Node', () => {
    writeFileSync(
      join(dir, 'node.mjs'),
      `
      import { init, Adam, parameter, memoryStats } from 'wasm-optim'
      const { simd } = await init()
      const w = parameter(new Float32Array([1, -1]))
      w.grad.set([0.5, -0.5])
      const opt = new Adam([w], { lr: 0.1 })
      opt.step()
      console.log(JSON.stringify({ simd, theta: Array.from(w.param), blocks: memoryStats().blocks }))
    `,
    )
    const out = JSON.parse(run(process.execPath, ['node.mjs']))
    expect(out).toEqual({ simd: true, theta: [Math.fround(0.9), Math.fround(-0.9)], blocks: 2 })
  })

  it('(b) type-checks a TypeScript consumer against the shipped .d.ts', () => {
    writeFileSync(
      join(dir, 'consumer.ts'),
      `
      import { init, MSVAG, Adam, parameter, memoryStats, type AdamOptions, type MemoryStats } from 'wasm-optim'
      const { simd }: { simd: boolean } = await init({ simd: true })
      const p = parameter(10, { name: 'w' })
      const opt = new MSVAG([p, { param: new Float32Array(3), grad: new Float32Array(3) }], { lr: 0.1, beta: 0.9 })
      opt.paramGroups[0].lr = 0.05
      const options: Partial<AdamOptions> = { betas: [0.9, 0.999], amsgrad: true }
      const adam = new Adam([{ params: [p], lr: 1e-3 }], options)
      const stats: MemoryStats = memoryStats()
      // The types are real, not any: each line below must be a type error.
      // @ts-expect-error lr is a number
      new Adam([p], { lr: '0.1' })
      // @ts-expect-error MSVAG has no betas option
      new MSVAG([p], { betas: [0.9, 0.99] })
      // @ts-expect-error param must be a Float32Array
      new Adam([{ param: [1, 2], grad: new Float32Array(2) }])
      console.log(simd, stats.blocks, adam.paramGroups.length)
    `,
    )
    typecheck('tsconfig.json', ['consumer.ts'])
  })

  it("(e) the README's TypeScript examples type-check against the shipped .d.ts and run as written", () => {
    // Every block fenced as ts or js; a block fenced `ts browser` needs a page and is left to (c) and (d).
    const readme = readFileSync(join(repo, 'README.md'), 'utf8')
    const blocks = [...readme.matchAll(/^```(?:ts|js)\n([\s\S]*?)^```$/gm)].map((m) => m[1])
    expect(blocks.length, 'the quick start, checkpoints and schedules examples').toBeGreaterThanOrEqual(3)
    const files = blocks.map((code, i) => {
      writeFileSync(join(dir, `readme-${i}.ts`), code)
      return `readme-${i}.ts`
    })
    typecheck('tsconfig.readme.json', files)
    blocks.forEach((code, i) => {
      const js = ts.transpileModule(code, {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      })
      writeFileSync(join(dir, `readme-${i}.mjs`), js.outputText)
      run(process.execPath, [`readme-${i}.mjs`])
    })
  })

  it('(c) bundles with Vite and steps in headless Chromium', async () => {
    writeFileSync(
      join(dir, 'index.html'),
      '<!doctype html><title>consumer</title><pre id="out">running</pre><script type="module" src="./main.js"></script>',
    )
    writeFileSync(
      join(dir, 'main.js'),
      `
      import { init, Adam, parameter } from 'wasm-optim'
      const { simd } = await init()
      const w = parameter(new Float32Array([1, -1]))
      w.grad.set([0.5, -0.5])
      new Adam([w], { lr: 0.1 }).step()
      document.getElementById('out').textContent = JSON.stringify({ simd, theta: Array.from(w.param) })
    `,
    )
    await build({ root: dir, configFile: false, logLevel: 'warn', build: { outDir: 'dist', target: 'es2022' } })
    const server = await preview({
      root: dir,
      configFile: false,
      logLevel: 'warn',
      preview: { port: 0, host: '127.0.0.1' },
    })
    const browser = await playwright.launch(chromium)
    try {
      const page = await browser.newPage()
      await page.goto(server.resolvedUrls!.local[0])
      await page.locator('#out', { hasNotText: 'running' }).waitFor({ timeout: 20_000 })
      const out = JSON.parse((await page.textContent('#out'))!)
      expect(out).toEqual({ simd: true, theta: [Math.fround(0.9), Math.fround(-0.9)] })
    } finally {
      await browser.close()
      await new Promise((r) => server.httpServer.close(r))
    }
  }, 60_000)

  it('(d) loads as a plain ES module from a static server, no bundler', async () => {
    writeFileSync(
      join(dir, 'plain.html'),
      `<!doctype html><title>plain</title><pre id="out">running</pre>
      <script type="importmap">{ "imports": { "wasm-optim": "./node_modules/wasm-optim/dist/index.js" } }</script>
      <script type="module">
        import { init, SGD, parameter } from 'wasm-optim'
        const { simd } = await init()
        const w = parameter(new Float32Array([1, 2]))
        w.grad.set([1, 1])
        new SGD([w], { lr: 0.5 }).step()
        document.getElementById('out').textContent = JSON.stringify({ simd, theta: Array.from(w.param) })
      </script>`,
    )
    const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript' }
    const server = createServer((req, res) => {
      try {
        const path = join(dir, decodeURIComponent(new URL(req.url!, 'http://x').pathname))
        if (!path.startsWith(dir)) throw new Error('outside')
        const body = readFileSync(path)
        res.writeHead(200, { 'content-type': types[extname(path)] ?? 'application/octet-stream' }).end(body)
      } catch {
        res.writeHead(404).end()
      }
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const browser = await playwright.launch(chromium)
    try {
      const page = await browser.newPage()
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/plain.html`)
      await page.locator('#out', { hasNotText: 'running' }).waitFor({ timeout: 20_000 })
      expect(JSON.parse((await page.textContent('#out'))!)).toEqual({ simd: true, theta: [0.5, 1.5] })
    } finally {
      await browser.close()
      await new Promise((r) => server.close(r))
    }
  }, 60_000)
})
