// Plain-TypeScript references for every optimizer, element by element, in the same operation
// order as the kernels. With r = Math.fround every operation rounds to float32, exactly as wasm
// f32 arithmetic does, so the kernels must match it bit for bit; with r = identity it is a
// float64 reference, for comparisons within a tolerance. Written from SPEC.md, not from src/.

export type Round = (x: number) => number
export const f32: Round = Math.fround
export const f64: Round = (x) => x

export type Vec = Float32Array | Float64Array
export type State = Record<string, Vec>
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Options = Record<string, any>

const sign = (x: number) => (Math.abs(x) > 0 ? (x > 0 ? 1 : -1) : x)
const clamp01 = (x: number) => {
  const y = x > 0 ? x : 0
  return y < 1 ? y : 1
}

/** The state buffers each optimizer keeps for the given options. */
export function stateNames(name: string, o: Options): string[] {
  switch (name) {
    case 'SGD':
      return o.momentum > 0 ? ['b'] : []
    case 'SSD':
      return []
    case 'MSGD':
    case 'MSSD':
      return o.trackVariance ? ['m', 'v'] : ['m']
    case 'Lion':
      return ['m']
    case 'SVAG':
    case 'MSVAG':
      return ['m', 'v']
    case 'Adam':
    case 'AdamW':
      return o.amsgrad ? ['m', 'v', 'vmax'] : ['m', 'v']
    case 'RMSprop':
      return ['v', ...(o.centered ? ['a'] : []), ...(o.momentum > 0 ? ['b'] : [])]
    case 'Adagrad':
      return ['s']
  }
  throw new Error(`no reference for ${name}`)
}

/** Fresh state for n elements, zero except Adagrad's accumulator. */
export function initState(name: string, o: Options, n: number, make: (n: number) => Vec): State {
  const s: State = {}
  for (const k of stateNames(name, o)) s[k] = make(n).fill(name === 'Adagrad' ? o.initialAccumulatorValue : 0)
  return s
}

/** One step of optimizer `name` with full options `o` at step count t (first step t = 1). */
export function referenceStep(name: string, o: Options, p: Vec, g: Vec, s: State, t: number, r: Round): void {
  const n = p.length
  const lr = r(o.lr)
  const decayOf = () => r(1 - o.lr * o.weightDecay)
  switch (name) {
    case 'SGD': {
      const wd = r(o.weightDecay),
        mu = r(o.momentum),
        d1 = r(1 - o.dampening)
      for (let i = 0; i < n; i++) {
        let gi = g[i]
        if (o.maximize) gi = -gi
        if (wd !== 0) gi = r(gi + r(wd * p[i]))
        if (mu !== 0) {
          const b = t === 1 ? gi : r(r(mu * s.b[i]) + r(d1 * gi))
          s.b[i] = b
          gi = o.nesterov ? r(gi + r(mu * b)) : b
        }
        p[i] = r(p[i] - r(lr * gi))
      }
      return
    }
    case 'MSGD':
    case 'MSSD': {
      const beta = r(o.beta),
        omb = r(1 - o.beta),
        decay = decayOf()
      const step = name === 'MSGD' ? r(o.lr / (1 - o.beta ** t)) : lr
      for (let i = 0; i < n; i++) {
        const pi = decay !== 1 ? r(decay * p[i]) : p[i]
        const m = r(r(beta * s.m[i]) + r(omb * g[i]))
        s.m[i] = m
        if (o.trackVariance) s.v[i] = r(r(beta * s.v[i]) + r(omb * r(g[i] * g[i])))
        p[i] = r(pi - r(step * (name === 'MSGD' ? m : sign(m))))
      }
      return
    }
    case 'SSD': {
      const decay = decayOf()
      for (let i = 0; i < n; i++) {
        const pi = decay !== 1 ? r(decay * p[i]) : p[i]
        p[i] = r(pi - r(lr * sign(g[i])))
      }
      return
    }
    case 'SVAG':
    case 'MSVAG': {
      const beta = r(o.beta),
        omb = r(1 - o.beta),
        decay = decayOf()
      const bt = o.beta ** t
      const rho = Math.min(((1 - o.beta) * (1 + bt)) / ((1 + o.beta) * (1 - bt)), 0.9999)
      const ic = r(1 / (1 - bt))
      const kappa = r(name === 'SVAG' ? 1 / (1 - rho) : rho / (1 - rho))
      for (let i = 0; i < n; i++) {
        const pi = decay !== 1 ? r(decay * p[i]) : p[i]
        const gi = g[i]
        const m = r(r(beta * s.m[i]) + r(omb * gi))
        const v = r(r(beta * s.v[i]) + r(omb * r(gi * gi)))
        s.m[i] = m
        s.v[i] = v
        const mh = r(m * ic)
        const mh2 = r(mh * mh)
        const gamma = clamp01(r(mh2 / r(mh2 + r(kappa * r(r(v * ic) - mh2)))))
        p[i] = r(pi - r(lr * r(gamma * (name === 'MSVAG' ? mh : gi))))
      }
      return
    }
    case 'Adam':
    case 'AdamW': {
      const [b1, b2] = o.betas
      const decoupled = name === 'AdamW'
      const wd = decoupled ? 0 : r(o.weightDecay)
      const decay = decoupled ? decayOf() : 1
      const B1 = r(b1),
        OMB1 = r(1 - b1),
        B2 = r(b2),
        OMB2 = r(1 - b2)
      const lrc1 = r(o.lr / (1 - b1 ** t)),
        rc2 = r(1 / Math.sqrt(1 - b2 ** t)),
        eps = r(o.eps)
      for (let i = 0; i < n; i++) {
        let pi = p[i]
        let gi = g[i]
        if (o.maximize) gi = -gi
        if (wd !== 0) gi = r(gi + r(wd * pi))
        if (decay !== 1) pi = r(decay * pi)
        const m = r(r(B1 * s.m[i]) + r(OMB1 * gi))
        let v = r(r(B2 * s.v[i]) + r(OMB2 * r(gi * gi)))
        s.m[i] = m
        s.v[i] = v
        if (o.amsgrad) {
          v = Math.max(s.vmax[i], v)
          s.vmax[i] = v
        }
        p[i] = r(pi - r(lrc1 * r(m / r(r(r(Math.sqrt(v)) * rc2) + eps))))
      }
      return
    }
    case 'Lion': {
      const [b1, b2] = o.betas
      const B1 = r(b1),
        OMB1 = r(1 - b1),
        B2 = r(b2),
        OMB2 = r(1 - b2),
        decay = decayOf()
      for (let i = 0; i < n; i++) {
        const pi = decay !== 1 ? r(decay * p[i]) : p[i]
        const gi = g[i],
          m = s.m[i]
        p[i] = r(pi - r(lr * sign(r(r(B1 * m) + r(OMB1 * gi)))))
        s.m[i] = r(r(B2 * m) + r(OMB2 * gi))
      }
      return
    }
    case 'RMSprop': {
      const alpha = r(o.alpha),
        oma = r(1 - o.alpha),
        eps = r(o.eps),
        mu = r(o.momentum),
        wd = r(o.weightDecay)
      for (let i = 0; i < n; i++) {
        const pi = p[i]
        let gi = g[i]
        if (wd !== 0) gi = r(gi + r(wd * pi))
        const v = r(r(alpha * s.v[i]) + r(oma * r(gi * gi)))
        s.v[i] = v
        let d: number
        if (o.centered) {
          const a = r(r(alpha * s.a[i]) + r(oma * gi))
          s.a[i] = a
          d = r(r(Math.sqrt(r(v - r(a * a)))) + eps)
        } else {
          d = r(r(Math.sqrt(v)) + eps)
        }
        let u = r(gi / d)
        if (mu !== 0) {
          u = r(r(mu * s.b[i]) + u)
          s.b[i] = u
        }
        p[i] = r(pi - r(lr * u))
      }
      return
    }
    case 'Adagrad': {
      const clr = r(o.lr / (1 + (t - 1) * o.lrDecay)),
        eps = r(o.eps),
        wd = r(o.weightDecay)
      for (let i = 0; i < n; i++) {
        const pi = p[i]
        let gi = g[i]
        if (wd !== 0) gi = r(gi + r(wd * pi))
        const sum = r(s.s[i] + r(gi * gi))
        s.s[i] = sum
        p[i] = r(pi - r(clr * r(gi / r(r(Math.sqrt(sum)) + eps))))
      }
      return
    }
  }
  throw new Error(`no reference for ${name}`)
}
