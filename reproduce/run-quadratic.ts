// npm run reproduce (first part): the stochastic quadratic study, 5 seeds, median loss curves.
// Prints the table of final losses, winners and steps to 1% of the initial loss, writes docs/quadratic.svg.
import { writeFileSync } from 'node:fs'
import { chart, figure } from '../examples/plot.js'
import { panelName, stepsTo, study } from './quadratic.js'

const SEEDS = [1, 2, 3, 4, 5]
const started = performance.now()
const results = await study(SEEDS)
console.log(
  `Stochastic quadratic problems (d = 100, 100 steps, optimal local step size, median of ${SEEDS.length} seeds)\n`,
)
console.log(
  '| problem | noise ν | SGD final loss | SSD final loss | winner | steps to 1% of the initial loss, SGD / SSD |',
)
console.log('|---|---|---|---|---|---|')
const steps = (c: number[]) => (Number.isFinite(stepsTo(c)) ? String(stepsTo(c)) : 'never')
for (const r of results) {
  const [sgd, ssd] = [r.sgd.at(-1)!, r.ssd.at(-1)!]
  const problem = `${r.panel.spectrum}-conditioned, ${r.panel.rotated ? 'rotated' : 'axis-aligned'}`
  console.log(
    `| ${problem} | ${r.panel.noise} | ${sgd.toExponential(2)} | ${ssd.toExponential(2)} | ${sgd < ssd ? 'SGD' : 'SSD'} | ${steps(r.sgd)} / ${steps(r.ssd)} |`,
  )
}
const charts = results.map((r) =>
  chart(
    [
      { key: 'sgd', label: 'SGD', color: '#1f77b4', points: r.sgd.map((y, t) => [t, y]) },
      { key: 'ssd', label: 'SSD', color: '#d62728', points: r.ssd.map((y, t) => [t, y]) },
    ],
    {
      xLabel: 'step',
      yLabel: 'loss',
      title: panelName(r.panel),
      logY: true,
      width: 330,
      height: 230,
      legend: r === results[0] ? 'top' : 'none',
    },
  ),
)
writeFileSync(
  'docs/quadratic.svg',
  figure(charts, 4, 330, 230, 'SGD vs sign descent (SSD) at their optimal local step sizes: median loss over 5 seeds'),
)
console.log(`\nwrote docs/quadratic.svg (${((performance.now() - started) / 1000).toFixed(0)} s)`)
