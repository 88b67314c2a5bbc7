// The SVG charts (examples/plot.ts) that the demo page and the reproductions draw.
import { describe, expect, it } from 'vitest'
import { chart } from '../examples/plot.js'

describe('chart', () => {
  it('keeps the last x label inside the box when the last tick sits at the right edge', () => {
    for (const xMax of [100, 1000, 10000, 2000]) {
      const svg = chart(
        [
          {
            key: 'a',
            label: 'a',
            color: '#000',
            points: [
              [0, 1],
              [xMax, 2],
            ],
          },
        ],
        { xLabel: 'step', yLabel: 'y' },
      )
      const labels = [
        ...svg.matchAll(/<text x="([\d.]+)" y="[\d.]+" text-anchor="middle" font-size="11">(\d+)<\/text>/g),
      ]
      const last = labels.at(-1)!
      expect(last[2]).toBe(String(xMax))
      // About 6.2 px per character at 11 px: the label's right half must end inside 480.
      expect(Number(last[1]) + 3.1 * last[2].length).toBeLessThanOrEqual(480)
    }
  })

  it("draws no legend with legend: 'none' and one entry per series otherwise", () => {
    const series = ['a', 'b', 'c'].map((key) => ({
      key,
      label: key,
      color: '#000',
      points: [
        [0, 1],
        [10, 2],
      ] as [number, number][],
    }))
    const rects = (svg: string) => (svg.match(/<rect /g) ?? []).length
    expect(rects(chart(series, { xLabel: 'x', yLabel: 'y', legend: 'none' }))).toBe(1)
    expect(rects(chart(series, { xLabel: 'x', yLabel: 'y' }))).toBe(4)
  })
})
