// The baseline: each optimizer as a careful user would write it in plain TypeScript: one loop
// over Float32Arrays, float64 arithmetic, new values kept in locals (no read-back of what was
// just stored), Math.sign, and a branch-free clamp. Same rules and defaults as the library.
// Every optimizer of the registry needs one (test/registry.test.ts checks).
import type { OptimizerName } from '../src/index.js'

type Arrays = Record<string, Float32Array>

/** A baseline: the state arrays it uses, and one step at step count t over θ = a.p, g = a.g and those arrays. */
export interface Plain {
  state: string[]
  step: (a: Arrays, t: number) => void
}

/** The element-wise optimizers: Muon steps matrices, and its baseline is a plain matrix multiply (bench/run.ts). */
type Elementwise = Exclude<OptimizerName, 'Muon'>

/** One step at step count t over θ = a.p, g = a.g and the state arrays in `a`. */
const STEPS: Record<Elementwise, (a: Arrays, t: number) => void> = {
  SGD({ p, g }) {
    const lr = 1e-3
    for (let i = 0; i < p.length; i++) p[i] -= lr * g[i]
  },
  MSGD({ p, g, m }, t) {
    const beta = 0.9,
      lrc = 0.1 / (1 - beta ** t)
    for (let i = 0; i < p.length; i++) {
      const mi = beta * m[i] + (1 - beta) * g[i]
      m[i] = mi
      p[i] -= lrc * mi
    }
  },
  SSD({ p, g }) {
    const lr = 1e-3
    for (let i = 0; i < p.length; i++) p[i] -= lr * Math.sign(g[i])
  },
  MSSD({ p, g, m }) {
    const beta = 0.9,
      lr = 3e-4
    for (let i = 0; i < p.length; i++) {
      const mi = beta * m[i] + (1 - beta) * g[i]
      m[i] = mi
      p[i] -= lr * Math.sign(mi)
    }
  },
  SVAG(a, t) {
    variance(a, t, false)
  },
  MSVAG(a, t) {
    variance(a, t, true)
  },
  Adam(a, t) {
    adam(a, t, 0)
  },
  AdamW(a, t) {
    adam(a, t, 1e-2)
  },
  Lion({ p, g, m }) {
    const b1 = 0.9,
      b2 = 0.99,
      lr = 1e-4
    for (let i = 0; i < p.length; i++) {
      const gi = g[i],
        mi = m[i]
      p[i] -= lr * Math.sign(b1 * mi + (1 - b1) * gi)
      m[i] = b2 * mi + (1 - b2) * gi
    }
  },
  RMSprop({ p, g, v }) {
    const alpha = 0.99,
      eps = 1e-8,
      lr = 1e-2
    for (let i = 0; i < p.length; i++) {
      const gi = g[i]
      const vi = alpha * v[i] + (1 - alpha) * gi * gi
      v[i] = vi
      p[i] -= (lr * gi) / (Math.sqrt(vi) + eps)
    }
  },
  Adagrad({ p, g, s }) {
    const lr = 1e-2,
      eps = 1e-10
    for (let i = 0; i < p.length; i++) {
      const gi = g[i]
      const si = s[i] + gi * gi
      s[i] = si
      p[i] -= (lr * gi) / (Math.sqrt(si) + eps)
    }
  },
  Adamax({ p, g, m, u }, t) {
    const b1 = 0.9
    const b2 = 0.999
    const eps = 1e-8
    const clr = 2e-3 / (1 - b1 ** t)
    for (let i = 0; i < p.length; i++) {
      const gi = g[i]
      const mi = b1 * m[i] + (1 - b1) * gi
      const ui = Math.max(b2 * u[i], Math.abs(gi) + eps)
      m[i] = mi
      u[i] = ui
      p[i] -= (clr * mi) / ui
    }
  },
  Adadelta({ p, g, v, u }) {
    const rho = 0.9
    const eps = 1e-6
    const lr = 1
    for (let i = 0; i < p.length; i++) {
      const gi = g[i]
      const vi = rho * v[i] + (1 - rho) * gi * gi
      const delta = (Math.sqrt(u[i] + eps) / Math.sqrt(vi + eps)) * gi
      v[i] = vi
      u[i] = rho * u[i] + (1 - rho) * delta * delta
      p[i] -= lr * delta
    }
  },
  NAdam({ p, g, m, v }, t) {
    const b1 = 0.9
    const b2 = 0.999
    const eps = 1e-8
    const lr = 2e-3
    const mu = (k: number) => b1 * (1 - 0.5 * 0.96 ** (k * 4e-3))
    nadamProduct = t === 1 ? mu(1) : nadamProduct * mu(t)
    const cg = (lr * (1 - mu(t))) / (1 - nadamProduct)
    const cm = (lr * mu(t + 1)) / (1 - nadamProduct * mu(t + 1))
    const rc2 = 1 / Math.sqrt(1 - b2 ** t)
    for (let i = 0; i < p.length; i++) {
      const gi = g[i]
      const mi = b1 * m[i] + (1 - b1) * gi
      const vi = b2 * v[i] + (1 - b2) * gi * gi
      m[i] = mi
      v[i] = vi
      const d = Math.sqrt(vi) * rc2 + eps
      p[i] -= (cg * gi + cm * mi) / d
    }
  },
  RAdam({ p, g, m, v }, t) {
    const b1 = 0.9
    const b2 = 0.999
    const eps = 1e-8
    const lr = 1e-3
    const bc1 = 1 - b1 ** t
    const bc2 = 1 - b2 ** t
    const rhoInf = 2 / (1 - b2) - 1
    const rhoT = rhoInf - (2 * t * b2 ** t) / bc2
    const rect = Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT))
    const adaptive = rhoT > 5
    const step = adaptive ? (lr * rect * Math.sqrt(bc2)) / bc1 : lr / bc1
    for (let i = 0; i < p.length; i++) {
      const gi = g[i]
      const mi = b1 * m[i] + (1 - b1) * gi
      const vi = b2 * v[i] + (1 - b2) * gi * gi
      m[i] = mi
      v[i] = vi
      p[i] -= adaptive ? (step * mi) / (Math.sqrt(vi) + eps) : step * mi
    }
  },
  ScheduleFreeAdamW({ p, g, z, v }, t) {
    const b1 = 0.9
    const b2 = 0.999
    const eps = 1e-8
    const lr = 2.5e-3 * Math.sqrt(1 - b2 ** t)
    if (t === 1) sf = { lrMax: -1, weightSum: 0 }
    sf.lrMax = Math.max(lr, sf.lrMax)
    const weight = sf.lrMax ** 2
    sf.weightSum += weight
    const c = weight / sf.weightSum
    const cy = lr * (b1 * (1 - c) - 1)
    for (let i = 0; i < p.length; i++) {
      const gi = g[i]
      const yi = p[i]
      const zi = t === 1 ? yi : z[i]
      const vi = b2 * v[i] + (1 - b2) * gi * gi
      v[i] = vi
      const u = gi / (Math.sqrt(vi) + eps)
      p[i] = yi + c * (zi - yi) + cy * u
      z[i] = zi - lr * u
    }
  },
}

/** NAdam's running product of μ and Schedule-Free's running maximum and weight sum (a user keeps them somewhere too). */
let nadamProduct = 1
let sf = { lrMax: -1, weightSum: 0 }

function variance({ p, g, m, v }: Arrays, t: number, momentum: boolean): void {
  const beta = 0.9,
    lr = 0.1,
    bt = beta ** t,
    ic = 1 / (1 - bt)
  const rho = Math.min(((1 - beta) * (1 + bt)) / ((1 + beta) * (1 - bt)), 0.9999)
  const kappa = momentum ? rho / (1 - rho) : 1 / (1 - rho)
  for (let i = 0; i < p.length; i++) {
    const gi = g[i]
    const mi = beta * m[i] + (1 - beta) * gi
    const vi = beta * v[i] + (1 - beta) * gi * gi
    m[i] = mi
    v[i] = vi
    const mh = mi * ic
    const mh2 = mh * mh
    // min/max clamp to [0, 1]; `|| 0` maps the NaN of m = v = 0 to 0.
    const gamma = Math.min(1, Math.max(0, mh2 / (mh2 + kappa * (vi * ic - mh2)))) || 0
    p[i] -= lr * gamma * (momentum ? mh : gi)
  }
}

function adam({ p, g, m, v }: Arrays, t: number, wd: number): void {
  const b1 = 0.9,
    b2 = 0.999,
    lr = 1e-3,
    eps = 1e-8
  const lrc1 = lr / (1 - b1 ** t),
    rc2 = 1 / Math.sqrt(1 - b2 ** t),
    decay = 1 - lr * wd
  for (let i = 0; i < p.length; i++) {
    const gi = g[i]
    const mi = b1 * m[i] + (1 - b1) * gi
    const vi = b2 * v[i] + (1 - b2) * gi * gi
    m[i] = mi
    v[i] = vi
    p[i] = p[i] * decay - (lrc1 * mi) / (Math.sqrt(vi) * rc2 + eps)
  }
}

/** State arrays each plain loop uses. */
const STATE: Record<Elementwise, string[]> = {
  SGD: [],
  MSGD: ['m'],
  SSD: [],
  MSSD: ['m'],
  SVAG: ['m', 'v'],
  MSVAG: ['m', 'v'],
  Adam: ['m', 'v'],
  AdamW: ['m', 'v'],
  Lion: ['m'],
  RMSprop: ['v'],
  Adagrad: ['s'],
  Adamax: ['m', 'u'],
  Adadelta: ['v', 'u'],
  NAdam: ['m', 'v'],
  RAdam: ['m', 'v'],
  ScheduleFreeAdamW: ['z', 'v'],
}

/** Every optimizer's baseline, by name. */
export const PLAIN: Partial<Record<string, Plain>> = Object.fromEntries(
  Object.entries(STEPS).map(([name, step]) => [name, { step, state: STATE[name as Elementwise] }]),
)
