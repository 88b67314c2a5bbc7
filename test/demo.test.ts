// The demo page as a user meets it: build it with Vite, serve it, open it in headless Chromium,
// press Train with nothing ticked (it must say so), then train the four default optimizers for a
// few seconds, and check that the page stays responsive, the loss falls, all four panels (loss,
// accuracy, mean γ, P(sign right)) have points, no label leaves its chart, nothing 404s (the
// favicon did), and Stop says it stopped. Saves test-output/demo.png (docs/demo.png is a copy).
import { execFileSync } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { chromium as playwright } from 'playwright'
import { build, preview } from 'vite'
import { describe, expect, it } from 'vitest'
import { findChromium, type LaunchOptions } from './chromium.js'

/** The browser the Chromium suites use, or why there is none (then these tests are skipped). */
const chromium = await findChromium()
const noBrowser = typeof chromium === 'string'

const root = 'examples/browser'

describe('demo page (examples/browser)', () => {
  it.skipIf(noBrowser)(
    'trains in a Web Worker and draws the curves',
    async () => {
      execFileSync(process.execPath, [`${root}/prepare-data.mjs`])
      await build({ root, configFile: `${root}/vite.config.ts`, logLevel: 'warn' })
      const server = await preview({
        root,
        configFile: `${root}/vite.config.ts`,
        preview: { port: 0, host: '127.0.0.1' },
        logLevel: 'warn',
      })
      const browser = await playwright.launch(chromium as LaunchOptions)
      try {
        const page = await browser.newPage({ viewport: { width: 1060, height: 900 } })
        const errors: string[] = []
        page.on('pageerror', (e) => errors.push(String(e)))
        const failed: string[] = []
        page.on('response', (r) => {
          if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`)
        })
        await page.goto(server.resolvedUrls!.local[0])
        await page.locator('#start:not([disabled])').waitFor({ timeout: 20_000 })
        // Nothing ticked: Train says what is missing instead of doing nothing.
        const ticked = await page.$$eval('#optimizers input:checked', (inputs) =>
          inputs.map((i) => (i as HTMLInputElement).value),
        )
        for (const key of ticked) await page.uncheck(`#optimizers input[value="${key}"]`)
        await page.click('#start')
        await expect.poll(() => page.textContent('#status')).toMatch(/no optimizer ticked/)
        for (const key of ticked) await page.check(`#optimizers input[value="${key}"]`)
        await page.click('#start')
        await page.locator('#status', { hasText: 'Web Worker' }).waitFor({ timeout: 20_000 })
        // The main thread stays free while the worker trains: a timer keeps firing on time.
        const lag = await page.evaluate(async () => {
          let worst = 0
          for (let i = 0; i < 40; i++) {
            const t0 = performance.now()
            await new Promise((r) => setTimeout(r, 50))
            worst = Math.max(worst, performance.now() - t0 - 50)
          }
          return worst
        })
        await page.waitForFunction(
          () =>
            ['#acc-chart', '#gamma-chart', '#sign-chart'].every((chart) =>
              [...document.querySelectorAll(`${chart} polyline`)].every(
                (p) => Number(p.getAttribute('data-count')) >= 2,
              ),
            ),
          null,
          { timeout: 60_000 },
        )
        await page.click('#stop')
        await page.locator('#status', { hasText: /stopped after \d+ steps/ }).waitFor({ timeout: 20_000 })
        // Every label inside its chart's 480 × 280 box; the legend is one list above the charts, none inside them.
        const outside = await page.$$eval('.charts svg text', (texts) =>
          texts
            .filter((t) => {
              const box = t.getBoundingClientRect()
              const svg = t.closest('svg')!.getBoundingClientRect()
              return box.left < svg.left || box.top < svg.top || box.right > svg.right || box.bottom > svg.bottom
            })
            .map((t) => t.textContent),
        )
        const legend = await page.$$eval('#legend li', (items) => items.map((i) => (i as HTMLElement).dataset.key))
        const lens = await page.$$eval('#gamma-chart polyline, #sign-chart polyline', (lines) =>
          lines.map((l) => (l.getAttribute('points') ?? '').split(' ').map((xy) => Number(xy.split(',')[1]))),
        )
        const curves = await page.$$eval('#loss-chart polyline', (lines) =>
          lines.map((l) => ({
            key: l.getAttribute('data-key'),
            count: Number(l.getAttribute('data-count')),
          })),
        )
        const rows = await page.$$eval('#stats tbody tr', (trs) =>
          trs.map((tr) => {
            const d = (tr as HTMLElement).dataset
            return { key: d.key, first: Number(d.firstLoss), loss: Number(d.loss) }
          }),
        )
        mkdirSync('test-output', { recursive: true })
        await page.screenshot({ path: 'test-output/demo.png', fullPage: true })
        expect(errors).toEqual([])
        expect(failed).toEqual([])
        expect(outside).toEqual([])
        expect(legend).toEqual(['msgd', 'mssd', 'msvag', 'adam'])
        // γ in (0, 1] and P in [1/2, 1], drawn inside the plotting area (y from 22 to 246).
        expect(lens).toHaveLength(8)
        for (const ys of lens) for (const y of ys) expect(y > 22 && y < 246, String(y)).toBe(true)
        // Training on the main thread would block it for seconds; a busy CI machine still answers within 1 s.
        expect(lag).toBeLessThan(1000)
        expect(curves.map((c) => c.key)).toEqual(['msgd', 'mssd', 'msvag', 'adam'])
        for (const c of curves) expect(c.count, c.key!).toBeGreaterThanOrEqual(5)
        // The loss falls (from about ln 10 ≈ 2.30, a uniform guess) for every optimizer.
        for (const r of rows) {
          expect(r.first, r.key).toBeGreaterThan(1.8)
          expect(r.loss, r.key).toBeLessThan(0.6 * r.first)
        }
      } finally {
        await browser.close()
        await new Promise((resolve) => server.httpServer.close(resolve))
      }
    },
    120_000,
  )
})
