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

/** One step at step count t over θ = a.p, g = a.g and the state arrays in `a`. */
const STEPS: Record<OptimizerName, (a: Arrays, t: number) => void> = {
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
}

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
const STATE: Record<OptimizerName, string[]> = {
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
}

/** Every optimizer's baseline, by name. */
export const PLAIN: Partial<Record<string, Plain>> = Object.fromEntries(
  Object.entries(STEPS).map(([name, step]) => [name, { step, state: STATE[name as OptimizerName] }]),
)
