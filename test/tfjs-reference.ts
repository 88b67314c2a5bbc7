// The TF.js flavours' reference: what tf.train's optimizers compute (TF.js 4.22, read from
// tfjs-core/src/optimizers/*), element by element, every operation rounded to float32 as TF.js's
// float32 tensors round it, in TF.js's order. The flavour kernels (assembly/tfjs/) must match it
// bit for bit; test/tfjs-adapter.test.ts checks that tf.train itself does too.
import type { State, Vec } from './reference.js'

const f = Math.fround
// biome-ignore lint/suspicious/noExplicitAny: options of any flavour, read by name
type Options = Record<string, any>

/** TF.js's β^t: a float32 variable that starts at β and is multiplied by β after each step. */
export function tfPower(beta: number, t: number): number {
  let acc = f(beta)
  for (let k = 1; k < t; k++) acc = f(acc * f(beta))
  return acc
}

/** Each flavour: its buffers, their starting value, and one step of element i at step count t. */
export const TF_RULES: Record<
  string,
  {
    state(o: Options): string[]
    initial?: (o: Options) => number
    step(o: Options, t: number): (p: Vec, g: Vec, s: State, i: number) => void
  }
> = {
  TFSGD: {
    state: () => [],
    step: (o) => {
      const c = f(-o.lr)
      return (p, g, _s, i) => {
        p[i] = f(f(c * g[i]) + p[i])
      }
    },
  },
  TFMomentum: {
    state: () => ['acc'],
    step: (o) => {
      const c = f(-o.lr),
        mu = f(o.momentum)
      return (p, g, s, i) => {
        const a = f(f(mu * s.acc[i]) + g[i])
        s.acc[i] = a
        p[i] = f(f(c * (o.nesterov ? f(g[i] + f(a * mu)) : a)) + p[i])
      }
    },
  },
  TFRMSProp: {
    state: (o) => (o.centered ? ['ms', 'mom', 'mg'] : ['ms', 'mom']),
    step: (o) => {
      const rho = f(o.decay),
        omr = f(1 - o.decay),
        lr = f(o.lr),
        mu = f(o.momentum),
        eps = f(o.eps)
      return (p, g, s, i) => {
        const gi = g[i]
        const ms = f(f(s.ms[i] * rho) + f(f(gi * gi) * omr))
        s.ms[i] = ms
        let d: number
        if (o.centered) {
          const mg = f(f(s.mg[i] * rho) + f(gi * omr))
          s.mg[i] = mg
          d = f(Math.sqrt(f(ms - f(f(mg * mg) + eps))))
        } else {
          d = f(Math.sqrt(f(ms + eps)))
        }
        const mom = f(f(s.mom[i] * mu) + f(f(gi * lr) / d))
        s.mom[i] = mom
        p[i] = f(p[i] - mom)
      }
    },
  },
  TFAdagrad: {
    state: () => ['acc'],
    initial: (o) => o.initialAccumulatorValue,
    step: (o) => {
      const eps = f(o.eps),
        c = f(-o.lr)
      return (p, g, s, i) => {
        const a = f(s.acc[i] + f(g[i] * g[i]))
        s.acc[i] = a
        p[i] = f(f(f(g[i] / f(Math.sqrt(f(a + eps)))) * c) + p[i])
      }
    },
  },
  TFAdadelta: {
    state: () => ['ag', 'au'],
    step: (o) => {
      const rho = f(o.rho),
        omr = f(1 - o.rho),
        eps = f(o.eps),
        c = f(-o.lr)
      return (p, g, s, i) => {
        const gi = g[i],
          ag = s.ag[i],
          au = s.au[i]
        const u = f(f(f(Math.sqrt(f(au + eps))) / f(Math.sqrt(f(ag + eps)))) * gi)
        s.ag[i] = f(f(ag * rho) + f(f(gi * gi) * omr))
        s.au[i] = f(f(au * rho) + f(f(u * u) * omr))
        p[i] = f(f(u * c) + p[i])
      }
    },
  },
  TFAdam: {
    state: () => ['m', 'v'],
    step: (o, t) => {
      const b1 = f(o.beta1),
        omb1 = f(1 - o.beta1),
        b2 = f(o.beta2),
        omb2 = f(1 - o.beta2),
        eps = f(o.eps),
        c = f(-o.lr)
      const c1 = f(1 - tfPower(o.beta1, t)),
        c2 = f(1 - tfPower(o.beta2, t))
      return (p, g, s, i) => {
        const gi = g[i]
        const m = f(f(s.m[i] * b1) + f(gi * omb1))
        const v = f(f(s.v[i] * b2) + f(f(gi * gi) * omb2))
        s.m[i] = m
        s.v[i] = v
        p[i] = f(f(f(f(m / c1) / f(f(Math.sqrt(f(v / c2))) + eps)) * c) + p[i])
      }
    },
  },
  TFAdamax: {
    state: () => ['m', 'u'],
    step: (o, t) => {
      const b1 = f(o.beta1),
        omb1 = f(1 - o.beta1),
        b2 = f(o.beta2),
        eps = f(o.eps)
      const lr = f(f(-o.lr) / f(f((t - 1) * f(o.decay)) + 1))
      const lrc = f(lr / f(1 - tfPower(o.beta1, t)))
      return (p, g, s, i) => {
        const gi = g[i]
        const m = f(f(s.m[i] * b1) + f(gi * omb1))
        const u = Math.max(f(s.u[i] * b2), Math.abs(gi))
        s.m[i] = m
        s.u[i] = u
        p[i] = f(f(lrc * f(m / f(u + eps))) + p[i])
      }
    },
  },
}
