// The package as a user meets it: `npm pack`, install the tarball into a fresh project, then
// (a) import it and step in Node, (b) type-check a TypeScript consumer against the shipped .d.ts,
// (c) bundle a page with Vite and step in headless Chromium, (d) load it in Chromium as a plain
// ES module from a static server, with an import map and no bundler, (e) run the README's
// examples as written. The packed size stays under budget.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { extname, join, resolve } from 'node:path'
import { gzipSync } from 'node:zlib'
import { chromium as playwright } from 'playwright'
import ts from 'typescript'
import { build, preview } from 'vite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { findChromium, type LaunchOptions } from './chromium.js'

/** The browser the Chromium suites use, or why there is none (then these tests are skipped). */
const chromium = await findChromium()
const noBrowser = typeof chromium === 'string'

/** The packed-size budget the README states. */
const BUDGET_BYTES = 118_000
/** The main entry's JavaScript, gzipped: the subpath wasm-optim/tfjs must not grow it (README). */
const MAIN_ENTRY_GZIP_BYTES = 55_000
/** What wasm-optim/tfjs adds to the package, compressed. */
const TFJS_GZIP_BYTES = 22_000
const repo = resolve('.')
const dir = mkdtempSync(join(tmpdir(), 'wasm-optim-consumer-'))
/** Type-checks `files` in the consumer project, strict, against the installed package's .d.ts. */
function typecheck(config: string, files: string[], extra: object = {}): void {
  const compilerOptions = {
    ...extra,
    target: 'es2022',
    module: 'nodenext',
    moduleResolution: 'nodenext',
    strict: true,
    noEmit: true,
    types: [],
  }
  writeFileSync(join(dir, config), JSON.stringify({ compilerOptions, files }))
  try {
    run(process.execPath, [join(repo, 'node_modules/typescript/bin/tsc'), '-p', config])
  } catch (e) {
    throw new Error(`tsc -p ${config} failed:\n${(e as { stdout?: string }).stdout}`)
  }
}
const run = (cmd: string, args: string[]) =>
  execFileSync(cmd, args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })

describe('the packed package', () => {
  let packed: { filename: string; size: number; files: { path: string }[] }

  beforeAll(() => {
    // npm test has built dist/ already; tsc writes only dist/, which no other test reads.
    execFileSync('npm', ['run', 'build:ts', '--silent'], { cwd: repo, stdio: 'ignore' })
    // --ignore-scripts: dist/ is built; the prepare script would rebuild src/ under the other suites' feet.
    packed = JSON.parse(
      execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], {
        cwd: repo,
        encoding: 'utf8',
      }),
    )[0]
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }))
    // With the TF.js the subpath's tests use (the one this repository pins, from npm's cache).
    run('npm', [
      'install',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      join(dir, packed.filename),
      '@tensorflow/tfjs@4.22.0',
      '@tensorflow/tfjs-backend-wasm@4.22.0',
    ])
  }, 180_000)

  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it(`is under the ${BUDGET_BYTES / 1000} kB budget and ships only what it needs`, () => {
    console.log(`packed size: ${packed.size} bytes, ${packed.files.length} files`)
    expect(packed.size).toBeLessThan(BUDGET_BYTES)
    const paths = packed.files.map((f) => f.path)
    expect(paths).toContain('dist/index.js')
    expect(paths).toContain('dist/index.d.ts')
    expect(paths).toContain('dist/tfjs.js')
    expect(paths).toContain('dist/tfjs/index.d.ts')
    // The main entry imports no TF.js and stays within its own budget.
    const main = readFileSync(join(repo, 'dist/index.js'), 'utf8')
    expect(main).not.toMatch(/tensorflow/)
    const gzip = gzipSync(main).length
    // What the subpath adds to the package, compressed as the tarball is: one stream of every file.
    const stream = (list: string[]) =>
      gzipSync(Buffer.concat(list.map((p) => readFileSync(join(repo, p)))), { level: 9 }).length
    const subpath = stream(paths) - stream(paths.filter((p) => !p.startsWith('dist/tfjs')))
    console.log(`main entry: ${gzip} bytes gzipped; wasm-optim/tfjs: ${subpath}`)
    expect(gzip).toBeLessThan(MAIN_ENTRY_GZIP_BYTES)
    expect(subpath).toBeLessThan(TFJS_GZIP_BYTES)
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
      const blocks = memoryStats().blocks
      // The shipped build's helper threads: a step over 100,000 elements splits over two.
      const { threads } = await init({ threads: 2 })
      const big = parameter(100_000)
      big.grad.fill(1)
      new Adam([big], { lr: 0.1 }).step()
      console.log(JSON.stringify({ simd, theta: Array.from(w.param), blocks, threads, last: big.param[99_999] }))
    `,
    )
    const out = JSON.parse(run(process.execPath, ['node.mjs']))
    expect(out).toEqual({
      simd: true,
      theta: [Math.fround(0.9), Math.fround(-0.9)],
      // The parameter, the optimizer's state, and the threads' scratch for compact state (made at init).
      blocks: 3,
      threads: 2,
      last: Math.fround(-0.1),
    })
  })

  it('(a) an uncaught error of the library prints short, readable lines before its message', () => {
    writeFileSync(
      join(dir, 'uncaught.mjs'),
      `
      import { init, Adam } from 'wasm-optim'
      await init()
      new Adam([{ param: new Float32Array(2), grad: new Float32Array(2) }], { lr: -1 })
    `,
    )
    let stderr = ''
    try {
      run(process.execPath, ['uncaught.mjs'])
    } catch (e) {
      stderr = String((e as { stderr: string }).stderr)
    }
    const lines = stderr.split('\n')
    const message = lines.findIndex((l) => l.startsWith('RangeError: Adam: paramGroups[0]: lr must be in'))
    expect(message, stderr.slice(0, 2000)).toBeGreaterThan(0)
    expect(lines.slice(0, message + 1).filter((l) => l.length >= 300)).toEqual([])
    // The frame names the library's own function, not a minified one.
    expect(stderr).toMatch(/at (new )?(Adam|Checker|Optimizer)/)
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

  it("(b) with TensorFlow.js: wasm-optim/tfjs's types check against the consumer's own TF.js", () => {
    writeFileSync(
      join(dir, 'consumer-tfjs.ts'),
      `
      import * as tf from '@tensorflow/tfjs'
      import { tfjsOptimizers, type WasmOptimizer } from 'wasm-optim/tfjs'
      const wo = await tfjsOptimizers(tf)
      const opt: tf.Optimizer = wo.adam(1e-3, 0.9, 0.999, undefined, { clipNorm: 1 })
      const ours: WasmOptimizer = wo.msvag({ learningRate: (it: number) => 0.1 / (1 + it), beta: 0.9, accumulate: 4 })
      ours.paramGroups[0].lr = 0.05
      // @ts-expect-error MSVAG has no betas option
      wo.msvag({ betas: [0.9, 0.99] })
      // @ts-expect-error momentum takes a number
      wo.momentum(0.1, 'high')
      console.log(opt.iterations, ours.stats)
    `,
    )
    // TF.js's own declarations need skipLibCheck (they fail a strict check of themselves).
    typecheck('tsconfig.tfjs.json', ['consumer-tfjs.ts'], { skipLibCheck: true })
  })

  it('(a) with TensorFlow.js: wasm-optim/tfjs trains a model through compile and fit in Node', () => {
    writeFileSync(
      join(dir, 'tfjs.mjs'),
      `
      import * as tf from '@tensorflow/tfjs'
      import { tfjsOptimizers } from 'wasm-optim/tfjs'
      await tf.setBackend('cpu')
      const wo = await tfjsOptimizers(tf)
      const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 1 })] })
      const opt = wo.adamw({ learningRate: 0.05, weightDecay: 0.01 })
      model.compile({ optimizer: opt, loss: 'meanSquaredError' })
      const x = tf.randomNormal([64, 4], 0, 1, 'float32', 1)
      const y = x.sum(1, true)
      const h = await model.fit(x, y, { epochs: 20, verbose: 0 })
      console.log(JSON.stringify({ first: h.history.loss[0], last: h.history.loss.at(-1), name: opt.getClassName(), sub: opt instanceof tf.Optimizer }))
    `,
    )
    const out = JSON.parse(run(process.execPath, ['tfjs.mjs']).trim().split('\n').at(-1)!)
    expect(out.name).toBe('WasmOptimAdamW')
    expect(out.sub).toBe(true)
    expect(out.last).toBeLessThan(out.first / 10)
  })

  it('(e) the TypeScript examples of the README and docs/ type-check against the shipped .d.ts and run as written', () => {
    // Every block fenced as ts or js; a block fenced `ts browser` needs a page and is left to (c) and (d).
    const pages = ['README.md', ...readdirSync(join(repo, 'docs')).map((f) => `docs/${f}`)].filter((f) =>
      f.endsWith('.md'),
    )
    const blocks = pages.flatMap((page) =>
      [...readFileSync(join(repo, page), 'utf8').matchAll(/^```(?:ts|js)\n([\s\S]*?)^```$/gm)].map((m) => m[1]),
    )
    expect(
      blocks.length,
      'the quick starts, checkpoints, schedules, threads and TF.js examples',
    ).toBeGreaterThanOrEqual(6)
    const files = blocks.map((code, i) => {
      writeFileSync(join(dir, `readme-${i}.ts`), code)
      return `readme-${i}.ts`
    })
    // TF.js's own declarations need skipLibCheck: the examples that import it are checked apart.
    const withTf = files.filter((_, i) => blocks[i].includes('@tensorflow/tfjs'))
    typecheck(
      'tsconfig.readme.json',
      files.filter((f) => !withTf.includes(f)),
    )
    typecheck('tsconfig.readme-tfjs.json', withTf, { skipLibCheck: true })
    blocks.forEach((code, i) => {
      const js = ts.transpileModule(code, {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      })
      writeFileSync(join(dir, `readme-${i}.mjs`), js.outputText)
      run(process.execPath, [`readme-${i}.mjs`])
    })
  })

  it.skipIf(noBrowser)(
    '(c) bundles with Vite and steps in headless Chromium',
    async () => {
      writeFileSync(
        join(dir, 'index.html'),
        '<!doctype html><title>consumer</title><pre id="out">running</pre><script type="module" src="./main.js"></script>',
      )
      writeFileSync(
        join(dir, 'main.js'),
        `
      import { init, Adam, parameter } from 'wasm-optim'
      import * as tf from '@tensorflow/tfjs'
      import { tfjsOptimizers } from 'wasm-optim/tfjs'
      const { simd, threads } = await init({ threads: 2 })
      const w = parameter(new Float32Array([1, -1]))
      w.grad.set([0.5, -0.5])
      new Adam([w], { lr: 0.1 }).step()
      const big = parameter(100_000)
      big.grad.fill(1)
      new Adam([big], { lr: 0.1 }).step()
      // wasm-optim/tfjs in the bundle: its adam gives tf.train.adam's bits (cpu backend).
      await tf.setBackend('cpu')
      const wo = await tfjsOptimizers(tf)
      const run = (opt) => {
        const v = tf.variable(tf.tensor1d([0.5, -1, 2, 4]))
        for (let i = 0; i < 5; i++) opt.applyGradients([{ name: v.name, tensor: tf.tensor1d([1, -2, 0.5, i]) }])
        return Array.from(v.dataSync())
      }
      const same = JSON.stringify(run(wo.adam(0.1))) === JSON.stringify(run(tf.train.adam(0.1)))
      document.getElementById('out').textContent = JSON.stringify({
        simd, threads, last: big.param[99_999], theta: Array.from(w.param), tfjs: same,
      })
    `,
      )
      await build({ root: dir, configFile: false, logLevel: 'warn', build: { outDir: 'dist', target: 'es2022' } })
      // Served cross-origin isolated, as the README says a page needs for threads.
      const server = await preview({
        root: dir,
        configFile: false,
        logLevel: 'warn',
        preview: {
          port: 0,
          host: '127.0.0.1',
          headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' },
        },
      })
      const browser = await playwright.launch(chromium as LaunchOptions)
      try {
        const page = await browser.newPage()
        await page.goto(server.resolvedUrls!.local[0])
        await page.locator('#out', { hasNotText: 'running' }).waitFor({ timeout: 20_000 })
        const out = JSON.parse((await page.textContent('#out'))!)
        expect(out).toEqual({
          simd: true,
          threads: 2,
          last: Math.fround(-0.1),
          theta: [Math.fround(0.9), Math.fround(-0.9)],
          tfjs: true,
        })
      } finally {
        await browser.close()
        await new Promise((r) => server.httpServer.close(r))
      }
    },
    120_000,
  )

  it.skipIf(noBrowser)(
    '(d) loads as a plain ES module from a static server, no bundler',
    async () => {
      writeFileSync(
        join(dir, 'plain.html'),
        `<!doctype html><title>plain</title><pre id="out">running</pre>
      <script type="importmap">{ "imports": {
        "wasm-optim": "./node_modules/wasm-optim/dist/index.js",
        "wasm-optim/tfjs": "./node_modules/wasm-optim/dist/tfjs.js",
        "@tensorflow/tfjs": "./node_modules/@tensorflow/tfjs/dist/tf.fesm.js"
      } }</script>
      <script type="module">
        import { init, SGD, parameter } from 'wasm-optim'
        import * as tf from '@tensorflow/tfjs'
        import { tfjsOptimizers } from 'wasm-optim/tfjs'
        // A static server without the isolation headers: no shared memory, so no threads, and init() says why.
        const { simd, threads, whyFewerThreads } = await init({ threads: 2 })
        const w = parameter(new Float32Array([1, 2]))
        w.grad.set([1, 1])
        new SGD([w], { lr: 0.5 }).step()
        await tf.setBackend('cpu')
        const wo = await tfjsOptimizers(tf)
        const v = tf.variable(tf.tensor1d([1, 2]))
        wo.sgd(0.5).applyGradients([{ name: v.name, tensor: tf.tensor1d([1, 1]) }])
        document.getElementById('out').textContent = JSON.stringify({
          simd, threads, why: /not shared/.test(whyFewerThreads), theta: Array.from(w.param), tfjs: Array.from(v.dataSync()),
        })
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
      const browser = await playwright.launch(chromium as LaunchOptions)
      try {
        const page = await browser.newPage()
        await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/plain.html`)
        await page.locator('#out', { hasNotText: 'running' }).waitFor({ timeout: 20_000 })
        expect(JSON.parse((await page.textContent('#out'))!)).toEqual({
          simd: true,
          threads: 1,
          why: true,
          theta: [0.5, 1.5],
          tfjs: [0.5, 1.5],
        })
      } finally {
        await browser.close()
        await new Promise((r) => server.close(r))
      }
    },
    60_000,
  )
})
