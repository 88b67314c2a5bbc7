// Line charts as SVG text: one polyline per series, axes with round ticks, a legend, an optional
// log-scale y axis. The same code draws the browser demo's live charts (set as an <svg>'s
// innerHTML) and the figures the reproductions write to disk.
export interface Series {
  key: string
  label: string
  color: string
  points: [number, number][]
}

export interface ChartOptions {
  xLabel: string
  yLabel: string
  title?: string
  /** Fixed y range; else fitted to the data. */
  yRange?: [number, number]
  logY?: boolean
  legend?: 'top' | 'bottom' | 'none'
  width?: number
  height?: number
}

const M = { left: 52, right: 12, top: 22, bottom: 34 }
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;')
const tag = (name: string, attrs: Record<string, string | number>, text?: string) =>
  `<${name} ${Object.entries(attrs)
    .map(([k, v]) => `${k}="${esc(String(v))}"`)
    .join(' ')}${text === undefined ? '/>' : `>${esc(text)}</${name}>`}`

/** Round tick positions covering [lo, hi]. */
function ticks(lo: number, hi: number, count = 5): number[] {
  const step = 10 ** Math.floor(Math.log10((hi - lo) / count || 1))
  const nice = [1, 2, 5, 10].map((m) => m * step).find((s) => (hi - lo) / s <= count) ?? 10 * step
  const out: number[] = []
  for (let k = Math.ceil(lo / nice); k * nice <= hi + 1e-9 * nice; k++) out.push(+(k * nice).toPrecision(6))
  return out
}

const fmt = (v: number) => (Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(0) : String(v))

/** The chart's SVG elements (no <svg> wrapper), in a width × height box at the origin. */
export function chart(series: Series[], opts: ChartOptions): string {
  const W = opts.width ?? 480
  const H = opts.height ?? 280
  const ty = opts.logY ? (y: number) => Math.log10(y) : (y: number) => y
  const all = series.flatMap((s) => s.points).filter(([, y]) => Number.isFinite(ty(y)))
  const xMax = Math.max(10, ...all.map((p) => p[0]))
  const ys = all.map((p) => ty(p[1]))
  let [yLo, yHi] = opts.yRange ? opts.yRange.map(ty) : [Math.min(...ys), Math.max(...ys)]
  if (!opts.yRange && !opts.logY) [yLo, yHi] = [Math.min(0, yLo), yHi * 1.05]
  if (opts.logY && !opts.yRange) [yLo, yHi] = [Math.floor(yLo), Math.ceil(yHi)]
  if (!(yHi > yLo)) [yLo, yHi] = [yLo - 1, yLo + 1]
  const sx = (x: number) => M.left + (x / xMax) * (W - M.left - M.right)
  const sy = (y: number) =>
    H - M.bottom - ((Math.min(Math.max(ty(y), yLo), yHi) - yLo) / (yHi - yLo)) * (H - M.top - M.bottom)
  const out: string[] = [
    tag('rect', {
      x: M.left,
      y: M.top,
      width: W - M.left - M.right,
      height: H - M.top - M.bottom,
      fill: '#fff',
      stroke: '#ccc',
    }),
  ]
  // Log axes: ticks at powers of ten, or at 1, 2 and 5 times them when the range spans a decade or less.
  const decades = ticks(yLo, yHi).filter(Number.isInteger)
  const yTicks = !opts.logY
    ? ticks(yLo, yHi)
    : decades.length >= 2
      ? decades
      : [Math.floor(yLo), Math.floor(yLo) + 1]
          .flatMap((d) => [1, 2, 5].map((f) => d + Math.log10(f)))
          .filter((t) => t >= yLo - 1e-9 && t <= yHi + 1e-9)
  for (const t of yTicks) {
    const v = opts.logY ? 10 ** t : t
    out.push(tag('line', { x1: M.left, x2: W - M.right, y1: sy(v), y2: sy(v), stroke: '#eee' }))
    const text = !opts.logY ? fmt(t) : Number.isInteger(t) ? `1e${t}` : String(+v.toPrecision(2))
    out.push(tag('text', { x: M.left - 6, y: sy(v) + 4, 'text-anchor': 'end', 'font-size': 11 }, text))
  }
  // An x label is centred under its tick, but moved left as far as it must to stay inside the
  // box (about 6.2 px per character at 11 px): the last one used to be cut off at the edge.
  for (const t of ticks(0, xMax)) {
    const half = 3.1 * String(t).length
    const x = Math.min(sx(t), W - 1 - half)
    out.push(
      tag('text', { x: +x.toFixed(1), y: H - M.bottom + 16, 'text-anchor': 'middle', 'font-size': 11 }, String(t)),
    )
  }
  out.push(
    tag('text', { x: (M.left + W - M.right) / 2, y: H - 4, 'text-anchor': 'middle', 'font-size': 12 }, opts.xLabel),
  )
  const mid = M.top + (H - M.top - M.bottom) / 2
  out.push(
    tag(
      'text',
      { x: 12, y: mid, 'font-size': 12, transform: `rotate(-90 12 ${mid})`, 'text-anchor': 'middle' },
      opts.yLabel,
    ),
  )
  if (opts.title)
    out.push(
      tag(
        'text',
        { x: (M.left + W - M.right) / 2, y: 15, 'text-anchor': 'middle', 'font-size': 12, 'font-weight': 'bold' },
        opts.title,
      ),
    )
  const legendTop = opts.legend === 'bottom' ? H - M.bottom - 8 - 16 * series.length : M.top + 8
  series.forEach((s, i) => {
    const points = s.points
      .filter(([, y]) => Number.isFinite(ty(y)))
      .map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`)
      .join(' ')
    out.push(
      tag('polyline', {
        points,
        fill: 'none',
        stroke: s.color,
        'stroke-width': 2,
        'data-key': s.key,
        'data-count': s.points.length,
      }),
    )
    if (opts.legend === 'none') return
    out.push(tag('rect', { x: W - M.right - 150, y: legendTop + 16 * i, width: 10, height: 10, fill: s.color }))
    out.push(tag('text', { x: W - M.right - 136, y: legendTop + 9 + 16 * i, 'font-size': 11 }, s.label))
  })
  return out.join('')
}

/** A standalone SVG document holding charts laid out in a grid, each width × height. */
export function figure(charts: string[], columns: number, width = 480, height = 280, header = ''): string {
  const top = header ? 28 : 0
  const rows = Math.ceil(charts.length / columns)
  const body = charts.map(
    (c, i) => `<g transform="translate(${(i % columns) * width},${top + Math.floor(i / columns) * height})">${c}</g>`,
  )
  const title = header
    ? tag(
        'text',
        { x: (columns * width) / 2, y: 20, 'text-anchor': 'middle', 'font-size': 15, 'font-weight': 'bold' },
        header,
      )
    : ''
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${columns * width}" height="${top + rows * height}" ` +
    `viewBox="0 0 ${columns * width} ${top + rows * height}" font-family="sans-serif">` +
    `<title>${esc(header ?? 'chart')}</title><rect width="100%" height="100%" fill="#fff"/>${title}${body.join('')}</svg>\n`
  )
}
