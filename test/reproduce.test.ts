// The stochastic quadratic study (reproduce/quadratic.ts) on one seed: the winners follow the
// paper's pattern (Balles & Hennig 2018, Fig. 2): SGD on noise-free well-conditioned and on
// rotated well-conditioned problems, SSD on ill-conditioned axis-aligned ones, and rotation
// takes SSD's advantage away.
import { describe, expect, it } from 'vitest'
import { PANELS, panelName, runPanel } from '../reproduce/quadratic.js'

describe('stochastic quadratic study', () => {
  it("the winners follow the paper's pattern", async () => {
    const final: Record<string, { sgd: number; ssd: number }> = {}
    for (const p of PANELS) {
      const r = await runPanel(p, 1, 100, 100)
      expect(r.sgd[100]).toBeLessThan(r.sgd[0])
      expect(r.ssd[100]).toBeLessThan(r.ssd[0])
      final[panelName(p)] = { sgd: r.sgd[100], ssd: r.ssd[100] }
    }
    for (const p of PANELS) {
      const { sgd, ssd } = final[panelName(p)]
      if (p.spectrum === 'well' && (p.noise === 0 || p.rotated)) expect(sgd, panelName(p)).toBeLessThan(ssd)
      if (p.spectrum === 'ill' && !p.rotated) expect(10 * ssd, panelName(p)).toBeLessThan(sgd)
      if (p.spectrum === 'ill' && p.rotated) expect(Math.max(sgd / ssd, ssd / sgd), panelName(p)).toBeLessThan(2)
    }
  }, 60_000)
})
