// A line chart as plain SVG: one polyline per series, axes with a few ticks, a legend.
export interface Series {
  key: string
  label: string
  color: string
  points: [number, number][]
}

const NS = 'http://www.w3.org/2000/svg'
const W = 480
const H = 280
const M = { left: 48, right: 12, top: 12, bottom: 32 }

function el(name: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const e = document.createElementNS(NS, name)
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v))
  if (text !== undefined) e.textContent = text
  return e
}

/** Round tick positions covering [lo, hi]. */
function ticks(lo: number, hi: number, count = 5): number[] {
  const step = 10 ** Math.floor(Math.log10((hi - lo) / count || 1))
  const nice = [1, 2, 5, 10].map((m) => m * step).find((s) => (hi - lo) / s <= count) ?? 10 * step
  const out: number[] = []
  for (let v = Math.ceil(lo / nice) * nice; v <= hi + 1e-9; v += nice) out.push(+v.toPrecision(6))
  return out
}

/** Redraws `svg` with the series; y range fixed if given, else fitted to the data. */
export function drawChart(svg: SVGSVGElement, series: Series[], opts: { xLabel: string; yLabel: string; yRange?: [number, number]; legend?: 'top' | 'bottom' }): void {
  svg.replaceChildren()
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`)
  const all = series.flatMap((s) => s.points)
  const xMax = Math.max(10, ...all.map((p) => p[0]))
  const ys = all.map((p) => p[1]).filter(Number.isFinite)
  const [yLo, yHi] = opts.yRange ?? [Math.min(0, ...ys), Math.max(1e-9, ...ys) * 1.05]
  const sx = (x: number) => M.left + (x / xMax) * (W - M.left - M.right)
  const sy = (y: number) => H - M.bottom - ((Math.min(Math.max(y, yLo), yHi) - yLo) / (yHi - yLo)) * (H - M.top - M.bottom)
  svg.append(el('rect', { x: M.left, y: M.top, width: W - M.left - M.right, height: H - M.top - M.bottom, fill: '#fff', stroke: '#ccc' }))
  for (const t of ticks(yLo, yHi)) {
    svg.append(el('line', { x1: M.left, x2: W - M.right, y1: sy(t), y2: sy(t), stroke: '#eee' }))
    svg.append(el('text', { x: M.left - 6, y: sy(t) + 4, 'text-anchor': 'end', 'font-size': 11 }, String(t)))
  }
  for (const t of ticks(0, xMax)) {
    svg.append(el('text', { x: sx(t), y: H - M.bottom + 16, 'text-anchor': 'middle', 'font-size': 11 }, String(t)))
  }
  svg.append(el('text', { x: (M.left + W - M.right) / 2, y: H - 2, 'text-anchor': 'middle', 'font-size': 12 }, opts.xLabel))
  svg.append(el('text', { x: 12, y: M.top + (H - M.top - M.bottom) / 2, 'font-size': 12, transform: `rotate(-90 12 ${M.top + (H - M.top - M.bottom) / 2})`, 'text-anchor': 'middle' }, opts.yLabel))
  const legendTop = opts.legend === 'bottom' ? H - M.bottom - 8 - 16 * series.length : M.top + 8
  series.forEach((s, i) => {
    const points = s.points.filter((p) => Number.isFinite(p[1])).map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ')
    svg.append(el('polyline', { points, fill: 'none', stroke: s.color, 'stroke-width': 2, 'data-key': s.key, 'data-count': s.points.length }))
    svg.append(el('rect', { x: W - M.right - 150, y: legendTop + 16 * i, width: 10, height: 10, fill: s.color }))
    svg.append(el('text', { x: W - M.right - 136, y: legendTop + 9 + 16 * i, 'font-size': 11 }, s.label))
  })
}
