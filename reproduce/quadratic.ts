// The paper's stochastic quadratic study (Balles & Hennig 2018, Fig. 2): SGD against
// SSD (sign descent), each at its optimal local step size every step, on 4 problem types
// (well- or ill-conditioned spectrum, axis-aligned or randomly rotated) × 3 noise levels.
//
//   L(θ) = ½ (θ − x*)ᵀ Q (θ − x*),  d = 100,  Q = R Λ Rᵀ (R = I when axis-aligned)
//   stochastic gradient g = Q(θ − x*) + ν·Q·ξ,  ξ ~ N(0, I)   (so g ~ N(∇L, ν² QQ))
//   step size α* = ∇Lᵀ E[z] / E[zᵀ Q z] for the update direction z (g for SGD, sign(g) for SSD)
//
// For SGD both expectations are exact: ∇Lᵀ∇L and ∇LᵀQ∇L + ν² tr(Q³). For SSD on axis-aligned
// problems they are exact too (E[zᵢ] = erf(μᵢ/(√2 σᵢ)), coordinates independent); on rotated ones
// with noise the coordinates of g are correlated and E[zᵀQz] has no closed form, so both are
// Monte-Carlo estimates from `samples` draws. θ₀ = 0 and x* ~ U[−10, 10]^d (the paper gives
// neither). The steps themselves are wasm-optim's SGD and SSD with lr set to α* each step.

import { rng } from '../examples/rng.js'
import { init, parameter, SGD, SSD } from '../src/index.js'

export interface Panel {
  spectrum: 'well' | 'ill'
  rotated: boolean
  noise: number
}

export const PANELS: Panel[] = [0, 0.1, 4].flatMap((noise) =>
  (['well', 'ill'] as const).flatMap((spectrum) => [false, true].map((rotated) => ({ spectrum, rotated, noise }))),
)

export const panelName = (p: Panel) =>
  `${p.spectrum}-conditioned, ${p.rotated ? 'rotated' : 'axis-aligned'}, ν = ${p.noise}`

const D = 100

function gaussian(u: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u())
}

/** erf, Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7). */
function erf(x: number): number {
  const s = Math.sign(x)
  const a = Math.abs(x)
  const t = 1 / (1 + 0.3275911 * a)
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a)
  return s * y
}

/** A uniformly random rotation: Gram–Schmidt on a Gaussian matrix (rows are the basis). */
function rotation(z: () => number): Float64Array[] {
  const rows: Float64Array[] = []
  while (rows.length < D) {
    const v = Float64Array.from({ length: D }, z)
    for (const r of rows) {
      const dot = r.reduce((s, x, i) => s + x * v[i], 0)
      for (let i = 0; i < D; i++) v[i] -= dot * r[i]
    }
    const norm = Math.hypot(...v)
    if (norm > 1e-8) rows.push(v.map((x) => x / norm))
  }
  return rows
}

/** Q as a dense matrix, row-major. */
function makeQ(p: Panel, u: () => number, z: () => number): Float64Array {
  const lambda = Float64Array.from({ length: D }, (_, i) =>
    p.spectrum === 'well' ? 0.1 + u() : i < D / 10 ? 30 + 30 * u() : u(),
  )
  const Q = new Float64Array(D * D)
  if (!p.rotated) {
    for (let i = 0; i < D; i++) Q[i * D + i] = lambda[i]
    return Q
  }
  const R = rotation(z)
  for (let i = 0; i < D; i++) {
    for (let j = 0; j < D; j++) {
      let s = 0
      for (let k = 0; k < D; k++) s += R[k][i] * lambda[k] * R[k][j]
      Q[i * D + j] = s
    }
  }
  return Q
}

function matvec(Q: Float64Array, x: ArrayLike<number>, out: Float64Array): Float64Array {
  for (let i = 0; i < D; i++) {
    let s = 0
    for (let j = 0; j < D; j++) s += Q[i * D + j] * x[j]
    out[i] = s
  }
  return out
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0
  for (let i = 0; i < a.length; i++) s += a[i] * b[i]
  return s
}

/** Loss curves (100 steps, the initial loss first) of SGD and SSD on one panel and seed. */
export async function runPanel(
  p: Panel,
  seed: number,
  steps = 100,
  samples = 400,
): Promise<{ sgd: number[]; ssd: number[] }> {
  await init()
  const u = rng(seed)
  const z = gaussian(u)
  const Q = makeQ(p, u, z)
  const xstar = Float64Array.from({ length: D }, () => 20 * u() - 10)
  const trQ3 = (() => {
    const Q2 = new Float64Array(D * D)
    for (let i = 0; i < D; i++)
      for (let j = 0; j < D; j++)
        Q2[i * D + j] = dot(
          Q.subarray(i * D, i * D + D),
          Array.from({ length: D }, (_, k) => Q[k * D + j]),
        )
    let t = 0
    for (let i = 0; i < D; i++)
      t += dot(
        Q2.subarray(i * D, i * D + D),
        Array.from({ length: D }, (_, k) => Q[k * D + i]),
      )
    return t
  })()
  const result: { sgd: number[]; ssd: number[] } = { sgd: [], ssd: [] }
  for (const method of ['sgd', 'ssd'] as const) {
    const noise = gaussian(rng(seed * 7919 + (method === 'sgd' ? 1 : 2)))
    const w = parameter(D)
    const opt = method === 'sgd' ? new SGD([w]) : new SSD([w])
    const diff = new Float64Array(D)
    const grad = new Float64Array(D)
    const xi = new Float64Array(D)
    const qxi = new Float64Array(D)
    const sample = (out: Float64Array) => {
      for (let i = 0; i < D; i++) xi[i] = noise()
      matvec(Q, xi, qxi)
      for (let i = 0; i < D; i++) out[i] = grad[i] + p.noise * qxi[i]
      return out
    }
    const loss = () => {
      for (let i = 0; i < D; i++) diff[i] = w.param[i] - xstar[i]
      return 0.5 * dot(diff, matvec(Q, diff, new Float64Array(D)))
    }
    const curve = [loss()]
    const g = new Float64Array(D)
    const zq = new Float64Array(D)
    for (let t = 0; t < steps; t++) {
      for (let i = 0; i < D; i++) diff[i] = w.param[i] - xstar[i]
      matvec(Q, diff, grad) // ∇L
      let alpha: number
      if (method === 'sgd') {
        alpha = dot(grad, grad) / (dot(grad, matvec(Q, grad, zq)) + p.noise ** 2 * trQ3)
      } else if (!p.rotated || p.noise === 0) {
        // Independent coordinates (or no noise): E[zᵢ] = erf(μᵢ/(√2 σᵢ)), E[zᵢ²] = 1 where zᵢ ≠ 0.
        const ez = Float64Array.from(grad, (mu, i) =>
          p.noise === 0 ? Math.sign(mu) : erf(mu / (Math.SQRT2 * p.noise * Q[i * D + i])),
        )
        const ezz =
          p.noise === 0
            ? dot(ez, matvec(Q, ez, zq))
            : dot(ez, matvec(Q, ez, zq)) - ez.reduce((s, e, i) => s + Q[i * D + i] * (e * e - 1), 0)
        alpha = dot(grad, ez) / ezz
      } else {
        const ez = new Float64Array(D)
        let ezz = 0
        for (let k = 0; k < samples; k++) {
          const s = sample(g).map(Math.sign)
          for (let i = 0; i < D; i++) ez[i] += s[i] / samples
          ezz += dot(s, matvec(Q, s, zq)) / samples
        }
        alpha = dot(grad, ez) / ezz
      }
      w.grad.set(sample(g))
      opt.paramGroups[0].lr = Math.max(alpha, 0)
      opt.step()
      curve.push(loss())
    }
    opt.dispose()
    w.dispose()
    result[method] = curve
  }
  return result
}

/**
 * Steps until the loss first falls to `fraction` of its initial value (Infinity if it never
 * does): a second measure of the edge besides the final loss, which on the noisiest problems only
 * compares the noise floors the two methods stall at.
 */
export function stepsTo(curve: number[], fraction = 0.01): number {
  const t = curve.findIndex((x) => x <= fraction * curve[0])
  return t < 0 ? Infinity : t
}

/** Median of each step's loss over seeds. */
export function medianCurve(curves: number[][]): number[] {
  return curves[0].map((_, t) => {
    const v = curves.map((c) => c[t]).sort((a, b) => a - b)
    return v.length % 2 ? v[v.length >> 1] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2
  })
}

/** Final median loss of each method on every panel, over `seeds`. */
export async function study(seeds: number[], samples = 400): Promise<{ panel: Panel; sgd: number[]; ssd: number[] }[]> {
  const out = []
  for (const panel of PANELS) {
    const runs = []
    for (const seed of seeds) runs.push(await runPanel(panel, seed, 100, samples))
    out.push({ panel, sgd: medianCurve(runs.map((r) => r.sgd)), ssd: medianCurve(runs.map((r) => r.ssd)) })
  }
  return out
}
