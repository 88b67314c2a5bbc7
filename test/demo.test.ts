// The demo page as a user meets it: build it with Vite, serve it, open it in headless Chromium,
// train the four default optimizers for a few seconds, and check that the page stays
// responsive, the loss falls and both charts have points. Saves test-output/demo.png.
import { execFileSync } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { chromium as playwright } from 'playwright'
import { build, preview } from 'vite'
import { describe, expect, it } from 'vitest'
import { chromium } from './chromium.js'

const root = 'examples/browser'

describe('demo page (examples/browser)', () => {
  it('trains in a Web Worker and draws the curves', async () => {
    execFileSync(process.execPath, [`${root}/prepare-data.mjs`])
    await build({ root, configFile: `${root}/vite.config.ts`, logLevel: 'warn' })
    const server = await preview({
      root,
      configFile: `${root}/vite.config.ts`,
      preview: { port: 0, host: '127.0.0.1' },
      logLevel: 'warn',
    })
    const browser = await playwright.launch(chromium)
    try {
      const page = await browser.newPage({ viewport: { width: 1060, height: 900 } })
      const errors: string[] = []
      page.on('pageerror', (e) => errors.push(String(e)))
      await page.goto(server.resolvedUrls!.local[0])
      await page.locator('#start:not([disabled])').waitFor({ timeout: 20_000 })
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
          [...document.querySelectorAll('#acc-chart polyline')].every((p) => Number(p.getAttribute('data-count')) >= 2),
        null,
        { timeout: 60_000 },
      )
      await page.click('#stop')
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
  }, 120_000)
})
