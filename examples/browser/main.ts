// The page: pick optimizers, train them side by side in a Web Worker, watch the curves: the
// training loss, the test accuracy, and the paper's lens from opt.stats(), mean γ and the
// estimated probability that the gradient's sign is right.
import { chart, type Series } from '../plot.js'
import { CHOICES, type FromWorker, type ToWorker } from './optimizers.js'

const $ = <T extends Element>(selector: string) => document.querySelector(selector) as T
const picks = $<HTMLFieldSetElement>('#optimizers')
const startButton = $<HTMLButtonElement>('#start')
const stopButton = $<HTMLButtonElement>('#stop')
const status = $<HTMLElement>('#status')
const table = $<HTMLTableSectionElement>('#stats tbody')
const legend = $<HTMLUListElement>('#legend')

for (const [key, c] of Object.entries(CHOICES)) {
  const label = document.createElement('label')
  label.innerHTML = `<input type="checkbox" value="${key}" ${c.checked ? 'checked' : ''}> <span style="color:${c.color}">■</span> ${c.label}`
  picks.append(label)
}

/** The four panels: what each plots, and how. One legend above them all (#legend), so none covers a curve. */
const PANELS = {
  loss: {
    svg: $<SVGSVGElement>('#loss-chart'),
    opts: { xLabel: 'step', yLabel: 'training loss (EMA)', yRange: [0, 2.5] },
  },
  accuracy: { svg: $<SVGSVGElement>('#acc-chart'), opts: { xLabel: 'step', yLabel: 'test accuracy', yRange: [0, 1] } },
  gamma: { svg: $<SVGSVGElement>('#gamma-chart'), opts: { xLabel: 'step', yLabel: 'mean γ', yRange: [0, 1] } },
  sign: { svg: $<SVGSVGElement>('#sign-chart'), opts: { xLabel: 'step', yLabel: 'P(sign right)', yRange: [0.5, 1] } },
} as const
type Panel = keyof typeof PANELS

let data: ArrayBuffer | undefined
let worker: Worker | undefined
let curves: Record<Panel, Series[]> = { loss: [], accuracy: [], gamma: [], sign: [] }
const stats = new Map<
  string,
  { firstLoss: number; loss: number; accuracy: number; optimizerMicros: number; step: number }
>()

function redraw(): void {
  for (const [name, panel] of Object.entries(PANELS) as [Panel, (typeof PANELS)[Panel]][])
    panel.svg.innerHTML = chart(curves[name], {
      ...panel.opts,
      yRange: [...panel.opts.yRange] as [number, number],
      legend: 'none',
    })
  table.replaceChildren(
    ...[...stats].map(([key, s]) => {
      const row = document.createElement('tr')
      row.dataset.key = key
      row.dataset.firstLoss = String(s.firstLoss)
      row.dataset.loss = String(s.loss)
      row.innerHTML =
        `<td style="color:${CHOICES[key].color}">${CHOICES[key].label}</td><td>${s.step}</td>` +
        `<td>${s.loss.toFixed(3)}</td><td>${Number.isNaN(s.accuracy) ? '–' : `${(100 * s.accuracy).toFixed(1)}%`}</td>` +
        `<td>${s.optimizerMicros.toFixed(0)} µs</td>`
      return row
    }),
  )
}

let pending = false
function scheduleRedraw(): void {
  if (pending) return
  pending = true
  requestAnimationFrame(() => {
    pending = false
    redraw()
  })
}

const add = (panel: Panel, key: string, x: number, y: number | null) => {
  if (y !== null && Number.isFinite(y)) curves[panel].find((s) => s.key === key)?.points.push([x, y])
}

function onMessage(m: FromWorker, from: Worker): void {
  if (from !== worker) return // a stopped run's last messages
  if (m.type === 'ready') {
    status.textContent =
      `training in a Web Worker: ${m.simd ? 'SIMD' : 'scalar'} build, ${m.shared ? 'shared' : 'unshared'} memory; ` +
      `${m.train} training and ${m.test} test digits`
  } else if (m.type === 'progress') {
    add('loss', m.key, m.step, m.loss)
    const s = stats.get(m.key)!
    if (Number.isNaN(s.firstLoss)) s.firstLoss = m.loss
    Object.assign(s, { loss: m.loss, step: m.step, optimizerMicros: m.optimizerMicros })
    status.dataset.stepsPerSecond = m.stepsPerSecond.toFixed(1)
    $<HTMLElement>('#speed').textContent = `${m.stepsPerSecond.toFixed(1)} steps per second (each optimizer)`
    scheduleRedraw()
  } else if (m.type === 'eval') {
    add('accuracy', m.key, m.step, m.accuracy)
    stats.get(m.key)!.accuracy = m.accuracy
    scheduleRedraw()
  } else if (m.type === 'lens') {
    add('gamma', m.key, m.step, m.gamma)
    add('sign', m.key, m.step, m.signProbability)
    scheduleRedraw()
  } else if (m.type === 'stopped') {
    status.textContent = `stopped after ${m.step} steps: press Train to start again from the beginning`
    worker?.terminate()
    worker = undefined
  } else {
    status.textContent = `error: ${m.message}`
  }
}

function start(): void {
  const keys = [...picks.querySelectorAll<HTMLInputElement>('input:checked')].map((i) => i.value)
  if (!data) return
  status.classList.toggle('warn', keys.length === 0)
  if (keys.length === 0) {
    status.textContent = 'no optimizer ticked: tick at least one above, then press Train'
    return
  }
  worker?.terminate()
  const series = () => keys.map((key) => ({ key, label: CHOICES[key].label, color: CHOICES[key].color, points: [] }))
  curves = { loss: series(), accuracy: series(), gamma: series(), sign: series() }
  legend.replaceChildren(
    ...keys.map((key) => {
      const item = document.createElement('li')
      item.style.setProperty('--c', CHOICES[key].color)
      item.dataset.key = key
      item.textContent = CHOICES[key].label
      return item
    }),
  )
  stats.clear()
  for (const key of keys) stats.set(key, { firstLoss: NaN, loss: NaN, accuracy: NaN, optimizerMicros: 0, step: 0 })
  status.textContent = 'starting the Web Worker…'
  const w = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' })
  worker = w
  w.onmessage = (e: MessageEvent<FromWorker>) => onMessage(e.data, w)
  w.onerror = (e) => (status.textContent = `worker error: ${e.message}`)
  // The worker gets its own copy of the digits (7.8 MB), so a second run can start again.
  w.postMessage({ type: 'start', data: data.slice(0), optimizers: keys } satisfies ToWorker)
  startButton.disabled = true
  stopButton.disabled = false
  redraw()
}

function stop(): void {
  worker?.postMessage({ type: 'stop' } satisfies ToWorker)
  status.textContent = 'stopping…'
  startButton.disabled = false
  stopButton.disabled = true
}

startButton.onclick = start
stopButton.onclick = stop
redraw()
status.textContent = 'loading the digits…'
fetch(new URL('mnist.bin', document.baseURI))
  .then((r) => {
    if (!r.ok) throw new Error(`mnist.bin: HTTP ${r.status} (run npm run demo, which prepares it)`)
    return r.arrayBuffer()
  })
  .then((buffer) => {
    data = buffer
    status.textContent = 'ready: pick optimizers and press Train'
    startButton.disabled = false
  })
  .catch((err) => (status.textContent = String(err)))
