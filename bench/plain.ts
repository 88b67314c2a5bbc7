// The baseline: each optimizer as a user would write it in plain TypeScript, one loop over
// Float32Arrays with JavaScript (float64) arithmetic. Same rules and defaults as the library.

type Arrays = Record<string, Float32Array>
const sign = (x: number) => (x > 0 ? 1 : x < 0 ? -1 : x)

/** One step at step count t over θ = a.p, g = a.g and the state arrays in `a`. */
export const PLAIN: Record<string, (a: Arrays, t: number) => void> = {
  SGD({ p, g }) {
    const lr = 1e-3
    for (let i = 0; i < p.length; i++) p[i] -= lr * g[i]
  },
  MSGD({ p, g, m }, t) {
    const beta = 0.9, lrc = 0.1 / (1 - beta ** t)
    for (let i = 0; i < p.length; i++) {
      m[i] = beta * m[i] + (1 - beta) * g[i]
      p[i] -= lrc * m[i]
    }
  },
  SSD({ p, g }) {
    const lr = 1e-3
    for (let i = 0; i < p.length; i++) p[i] -= lr * sign(g[i])
  },
  MSSD({ p, g, m }) {
    const beta = 0.9, lr = 3e-4
    for (let i = 0; i < p.length; i++) {
      m[i] = beta * m[i] + (1 - beta) * g[i]
      p[i] -= lr * sign(m[i])
    }
  },
  SVAG: (a, t) => variance(a, t, false),
  MSVAG: (a, t) => variance(a, t, true),
  Adam: (a, t) => adam(a, t, 0),
  AdamW: (a, t) => adam(a, t, 1e-2),
  Lion({ p, g, m }) {
    const b1 = 0.9, b2 = 0.99, lr = 1e-4
    for (let i = 0; i < p.length; i++) {
      p[i] -= lr * sign(b1 * m[i] + (1 - b1) * g[i])
      m[i] = b2 * m[i] + (1 - b2) * g[i]
    }
  },
  RMSprop({ p, g, v }) {
    const alpha = 0.99, eps = 1e-8, lr = 1e-2
    for (let i = 0; i < p.length; i++) {
      v[i] = alpha * v[i] + (1 - alpha) * g[i] * g[i]
      p[i] -= (lr * g[i]) / (Math.sqrt(v[i]) + eps)
    }
  },
  Adagrad({ p, g, s }) {
    const lr = 1e-2, eps = 1e-10
    for (let i = 0; i < p.length; i++) {
      s[i] += g[i] * g[i]
      p[i] -= (lr * g[i]) / (Math.sqrt(s[i]) + eps)
    }
  },
}

function variance({ p, g, m, v }: Arrays, t: number, momentum: boolean): void {
  const beta = 0.9, lr = 0.1, bt = beta ** t, ic = 1 / (1 - bt)
  const rho = Math.min(((1 - beta) * (1 + bt)) / ((1 + beta) * (1 - bt)), 0.9999)
  const kappa = momentum ? rho / (1 - rho) : 1 / (1 - rho)
  for (let i = 0; i < p.length; i++) {
    const gi = g[i]
    m[i] = beta * m[i] + (1 - beta) * gi
    v[i] = beta * v[i] + (1 - beta) * gi * gi
    const mh = m[i] * ic
    const mh2 = mh * mh
    let gamma = mh2 / (mh2 + kappa * (v[i] * ic - mh2))
    gamma = gamma > 0 ? (gamma < 1 ? gamma : 1) : 0
    p[i] -= lr * gamma * (momentum ? mh : gi)
  }
}

function adam({ p, g, m, v }: Arrays, t: number, wd: number): void {
  const b1 = 0.9, b2 = 0.999, lr = 1e-3, eps = 1e-8
  const lrc1 = lr / (1 - b1 ** t), rc2 = 1 / Math.sqrt(1 - b2 ** t), decay = 1 - lr * wd
  for (let i = 0; i < p.length; i++) {
    const gi = g[i]
    m[i] = b1 * m[i] + (1 - b1) * gi
    v[i] = b2 * v[i] + (1 - b2) * gi * gi
    p[i] = p[i] * decay - (lrc1 * m[i]) / (Math.sqrt(v[i]) * rc2 + eps)
  }
}

/** State arrays each plain loop uses. */
export const PLAIN_STATE: Record<string, string[]> = {
  SGD: [], MSGD: ['m'], SSD: [], MSSD: ['m'], SVAG: ['m', 'v'], MSVAG: ['m', 'v'],
  Adam: ['m', 'v'], AdamW: ['m', 'v'], Lion: ['m'], RMSprop: ['v'], Adagrad: ['s'],
}
