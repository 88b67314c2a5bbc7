// The four panels of the training figures (MNIST, P1): training loss, test accuracy, and the
// paper's lens from opt.stats(), mean γ and the estimated probability that the sign is right.
import { chart, type Series } from '../examples/plot.js'

/** What each panel reads from a point of a run. */
export interface LensPoint {
  trainLoss: number
  testAccuracy: number
  gamma: number | null
  signProbability: number | null
}

/** The four charts; `series(f)` gives one curve per method of f along its run(s). */
export function lensCharts<P extends LensPoint>(
  series: (f: (p: P) => number | null) => Series[],
  accuracy: { title?: string; range?: [number, number] } = {},
): string[] {
  const accuracyTitle = accuracy.title ?? 'test accuracy'
  return [
    chart(
      series((p) => p.trainLoss),
      { xLabel: 'step', yLabel: 'training loss (EMA)', title: 'training loss', logY: true },
    ),
    chart(
      series((p) => p.testAccuracy),
      { xLabel: 'step', yLabel: 'test accuracy', title: accuracyTitle, yRange: accuracy.range, legend: 'bottom' },
    ),
    chart(
      series((p) => p.gamma),
      {
        xLabel: 'step',
        yLabel: 'mean γ',
        title: "mean γ (Adam: |m̂|/(√v̂+ε); others: M-SVAG's)",
        yRange: [0, 1],
      },
    ),
    chart(
      series((p) => p.signProbability),
      {
        xLabel: 'step',
        yLabel: 'mean P(sign right)',
        title: 'estimated P(sign of g right)',
        yRange: [0.5, 1],
      },
    ),
  ]
}
