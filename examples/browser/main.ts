// The page: pick optimizers, train them side by side in a Web Worker, watch the curves.
import { chart, type Series } from '../plot.js'
import { CHOICES, type FromWorker, type ToWorker } from './optimizers.js'

const $ = <T extends Element>(selector: string) => document.querySelector(selector) as T
const picks = $<HTMLFieldSetElement>('#optimizers')
const startButton = $<HTMLButtonElement>('#start')
const stopButton = $<HTMLButtonElement>('#stop')
const status = $<HTMLElement>('#status')
const table = $<HTMLTableSectionElement>('#stats tbody')
const lossChart = $<SVGSVGElement>('#loss-chart')
const accChart = $<SVGSVGElement>('#acc-chart')

for (const [key, c] of Object.entries(CHOICES)) {
  const label = document.createElement('label')
  label.innerHTML = `<input type="checkbox" value="${key}" ${c.checked ? 'checked' : ''}> <span style="color:${c.color}">■</span> ${c.label}`
  picks.append(label)
}

let data: ArrayBuffer | undefined
let worker: Worker | undefined
let loss: Series[] = []
let accuracy: Series[] = []
const stats = new Map<
  string,
  { firstLoss: number; loss: number; accuracy: number; optimizerMicros: number; step: number }
>()

function redraw(): void {
  lossChart.innerHTML = chart(loss, { xLabel: 'step', yLabel: 'training loss (EMA)', yRange: [0, 2.5] })
  accChart.innerHTML = chart(accuracy, { xLabel: 'step', yLabel: 'test accuracy', yRange: [0, 1], legend: 'bottom' })
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

function onMessage(m: FromWorker): void {
  if (m.type === 'ready') {
    status.textContent =
      `training in a Web Worker: ${m.simd ? 'SIMD' : 'scalar'} build, ${m.shared ? 'shared' : 'unshared'} memory; ` +
      `${m.train} training and ${m.test} test digits`
  } else if (m.type === 'progress') {
    loss.find((s) => s.key === m.key)?.points.push([m.step, m.loss])
    const s = stats.get(m.key)!
    if (Number.isNaN(s.firstLoss)) s.firstLoss = m.loss
    Object.assign(s, { loss: m.loss, step: m.step, optimizerMicros: m.optimizerMicros })
    status.dataset.stepsPerSecond = m.stepsPerSecond.toFixed(1)
    $<HTMLElement>('#speed').textContent = `${m.stepsPerSecond.toFixed(1)} steps per second (each optimizer)`
    scheduleRedraw()
  } else if (m.type === 'eval') {
    accuracy.find((s) => s.key === m.key)?.points.push([m.step, m.accuracy])
    stats.get(m.key)!.accuracy = m.accuracy
    scheduleRedraw()
  } else {
    status.textContent = `error: ${m.message}`
  }
}

function start(): void {
  const keys = [...picks.querySelectorAll<HTMLInputElement>('input:checked')].map((i) => i.value)
  if (!data || keys.length === 0) return
  worker?.terminate()
  loss = keys.map((key) => ({ key, label: CHOICES[key].label, color: CHOICES[key].color, points: [] }))
  accuracy = keys.map((key) => ({ key, label: CHOICES[key].label, color: CHOICES[key].color, points: [] }))
  stats.clear()
  for (const key of keys) stats.set(key, { firstLoss: NaN, loss: NaN, accuracy: NaN, optimizerMicros: 0, step: 0 })
  worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' })
  worker.onmessage = (e: MessageEvent<FromWorker>) => onMessage(e.data)
  worker.onerror = (e) => (status.textContent = `worker error: ${e.message}`)
  // The worker gets its own copy of the digits (7.8 MB), so a second run can start again.
  worker.postMessage({ type: 'start', data: data.slice(0), optimizers: keys } satisfies ToWorker)
  startButton.disabled = true
  stopButton.disabled = false
  redraw()
}

function stop(): void {
  worker?.postMessage({ type: 'stop' } satisfies ToWorker)
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
