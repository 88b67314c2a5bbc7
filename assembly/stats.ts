// The read-only diagnostics pass (Balles & Hennig's lens on a live run): it reads θ, g, m and v
// and adds to f64 accumulators at `out`. It runs only when opt.stats() is called.
//
//   m̂ = m·ic1, v̂ = v·ic2, d = v̂ − m̂², ŝ = k1·d      estimated gradient variance
//   η̂² = ŝ / m̂²                                     estimated relative variance
//   γ  = m̂² / (m̂² + κ·d), clipped to [0, 1]         SVAG (κ = k1), M-SVAG, M-SGD, M-SSD (κ = ρ·k1)
//   γ  = |m̂| / (√v̂ + ε), clipped to [0, 1]          Adam: the factor its step applies to sign(m̂)
//   P  = ½ (1 + erf(1/√(2 η̂²)))                     probability that sign(g) is right
//   u  = the update the method takes from this state (without weight decay)
//
// Two loops. The first, over every element, sums g² and θ². The second visits a sample, every
// `every`-th group of four elements (the caller's choice, a power of two: src/stats.ts), and
// there counts where sign(g) = sign(m) and computes u, and γ, η̂² and P where v is given
// (address ≠ 0): the divisions, square roots and histogram compares cost about twenty times the
// first loop per element, so they are sampled. Both builds visit the same elements and compute
// each element's values with the same f32 operations, so counts agree exactly and sums up to
// their order. Sums run in f32 lanes within a call (the caller passes at most 8192 elements),
// then go to the f64 accumulators; counts are exact. erf is Abramowitz & Stegun 7.1.27,
// |error| < 5e-4, written with x² = 1/(2η̂²) = r/(2·k1), r = m̂²/d, so that no division is spent
// on η̂² itself.

// The accumulators at `out`, f64 slots; src/stats.ts reads them by these names (the build
// copies every exported constant into src/kernels.ts). Histogram edges: γ at .2 .4 .6 .8;
// η̂² at 1e-2, 1e-1, 1, 10, 100.
export const SLOT_G2: i32 = 0 // Σ g², all elements
export const SLOT_P2: i32 = 1 // Σ θ², all elements
export const SLOT_SIGNS: i32 = 2 // sampled elements with g ≠ 0 and m ≠ 0
export const SLOT_AGREE: i32 = 3 // … of which sign(g) = sign(m)
export const SLOT_SAMPLED: i32 = 4 // elements in the sample
export const SLOT_U2: i32 = 5 // Σ u², sample
export const SLOT_VALID: i32 = 6 // sampled elements with m̂² > 0
export const SLOT_GAMMA: i32 = 7 // Σ γ over those
export const SLOT_PSIGN: i32 = 8 // Σ P over those
export const SLOT_GAMMA_HIST: i32 = 9 // 5 bins
export const SLOT_ETA_HIST: i32 = 14 // 6 bins
export const SLOTS: i32 = 20

// What the pass can measure, by the state the method keeps (`mode`).
export const MODE_NORMS: i32 = 0 // no moving average: norms only
export const MODE_MSGD: i32 = 1
export const MODE_MSSD: i32 = 2
export const MODE_SVAG: i32 = 3
export const MODE_MSVAG: i32 = 4
export const MODE_ADAM: i32 = 5

// @ts-ignore: decorator
@inline function add(out: usize, slot: i32, x: f64): void {
  store<f64>(out + (<usize>slot << 3), load<f64>(out + (<usize>slot << 3)) + x)
}

// @ts-ignore: decorator
@inline function hsum(x: v128): f64 {
  return <f64>f32x4.extract_lane(x, 0) + <f64>f32x4.extract_lane(x, 1) + <f64>f32x4.extract_lane(x, 2) + <f64>f32x4.extract_lane(x, 3)
}

/** Total of i32 lane counts (each true mask, −1, was subtracted). */
// @ts-ignore: decorator
@inline function icount(x: v128): f64 {
  return <f64>(i32x4.extract_lane(x, 0) + i32x4.extract_lane(x, 1) + i32x4.extract_lane(x, 2) + i32x4.extract_lane(x, 3))
}

export function stats(p: usize, g: usize, m: usize, v: usize, n: i32, mode: i32, every: i32, ic1: f32, ic2: f32,
  k1: f32, kappa: f32, lr: f32, rc2: f32, eps: f32, out: usize): void {
  const end = <usize>n << 2
  const body: usize = ASC_FEATURE_SIMD ? end & ~15 : 0
  const stride = <usize>every << 4
  if (ASC_FEATURE_SIMD) {
    normsSimd(p, g, body, out)
    if (mode != MODE_NORMS) sampleSimd(g, m, v, body, stride, mode, ic1, ic2, k1, kappa, lr, rc2, eps, out)
  }
  let g2: f32 = 0, p2: f32 = 0
  for (let i = body; i < end; i += 4) {
    const gi = load<f32>(g + i), pi = load<f32>(p + i)
    g2 += gi * gi
    p2 += pi * pi
  }
  add(out, SLOT_G2, g2)
  add(out, SLOT_P2, p2)
  if (mode == MODE_NORMS) return
  // The sampled groups the SIMD loop did not cover: all of them in the scalar build, else the
  // partial group at the end if it is one.
  for (let i = (body + stride - 1) / stride * stride; i < end; i += stride) {
    for (let j = i; j < i + 16 && j < end; j += 4) {
      sampleOne(load<f32>(g + j), load<f32>(m + j), v != 0, v != 0 ? load<f32>(v + j) : 0, mode, ic1, ic2, k1, kappa,
        lr, rc2, eps, out)
    }
  }
}

/** The sampled quantities of one element, in scalar f32, added to the accumulators. */
function sampleOne(gi: f32, mi: f32, hasV: bool, vi: f32, mode: i32, ic1: f32, ic2: f32, k1: f32, kappa: f32, lr: f32,
  rc2: f32, eps: f32, out: usize): void {
  add(out, SLOT_SAMPLED, 1)
  if (gi != 0 && mi != 0) {
    add(out, SLOT_SIGNS, 1)
    if ((reinterpret<i32>(gi) ^ reinterpret<i32>(mi)) >= 0) add(out, SLOT_AGREE, 1)
  }
  const mh = mi * ic1
  let gamma: f32 = 0
  let ratio: f32 = 0 // Adam: |m̂|/(√v̂ + ε), unclipped
  if (hasV) {
    const vh = vi * ic2
    const mh2 = mh * mh
    const d = vh - mh2
    if (mode == MODE_ADAM) {
      ratio = Mathf.abs(mh) / (Mathf.sqrt(vi) * rc2 + eps)
      gamma = ratio
    } else {
      gamma = mh2 / (mh2 + kappa * d)
    }
    gamma = gamma > 0 ? (gamma < 1 ? gamma : <f32>1) : 0
    if (mh2 > 0) {
      // r = m̂²/d = k1/η̂²; d ≤ 0 means η̂² ≤ 0: P = 1, lowest η̂² bin.
      const r: f32 = d > 0 ? mh2 / d : Infinity
      let x = Mathf.sqrt(r * (0.5 / k1))
      x = x < 10 ? x : 10 // as the SIMD loop
      let q: f32 = 1 + x * (0.278393 + x * (0.230389 + x * (0.000972 + x * 0.078108)))
      q = q * q
      const prob: f32 = 0.5 * (2 - 1 / (q * q))
      add(out, SLOT_VALID, 1)
      add(out, SLOT_GAMMA, gamma)
      add(out, SLOT_PSIGN, prob)
      add(out, SLOT_GAMMA_HIST + (gamma >= 0.8 ? 4 : gamma >= 0.6 ? 3 : gamma >= 0.4 ? 2 : gamma >= 0.2 ? 1 : 0), 1)
      // η̂² ≥ e ⇔ r ≤ k1/e.
      const bin = r <= k1 / 100 ? 5 : r <= k1 / 10 ? 4 : r <= k1 ? 3 : r <= k1 * 10 ? 2 : r <= k1 * 100 ? 1 : 0
      add(out, SLOT_ETA_HIST + bin, 1)
    } else {
      gamma = 0
    }
  }
  let u: f32
  if (mode == MODE_MSGD) u = lr * mh
  else if (mode == MODE_MSSD) u = mi != 0 ? lr : 0
  else if (mode == MODE_ADAM) u = lr * ratio
  else u = lr * (gamma * (mode == MODE_SVAG ? gi : mh))
  add(out, SLOT_U2, <f64>(u * u))
}

function normsSimd(p: usize, g: usize, body: usize, out: usize): void {
  let g2 = f32x4.splat(0), p2 = f32x4.splat(0)
  for (let i: usize = 0; i < body; i += 16) {
    const gi = v128.load(g + i), pi = v128.load(p + i)
    g2 = f32x4.add(g2, f32x4.mul(gi, gi))
    p2 = f32x4.add(p2, f32x4.mul(pi, pi))
  }
  add(out, SLOT_G2, hsum(g2))
  add(out, SLOT_P2, hsum(p2))
}

function sampleSimd(g: usize, m: usize, v: usize, body: usize, stride: usize, mode: i32, ic1: f32, ic2: f32,
  k1: f32, kappa: f32, lr: f32, rc2: f32, eps: f32, out: usize): void {
  const ZERO = f32x4.splat(0), ONE = f32x4.splat(1)
  const IC1 = f32x4.splat(ic1), IC2 = f32x4.splat(ic2), KAPPA = f32x4.splat(kappa), LR = f32x4.splat(lr)
  const X2 = f32x4.splat(0.5 / k1), INF = f32x4.splat(Infinity), RC2 = f32x4.splat(rc2), EPS = f32x4.splat(eps)
  const G2E = f32x4.splat(0.2), G4E = f32x4.splat(0.4), G6E = f32x4.splat(0.6), G8E = f32x4.splat(0.8)
  const R2 = f32x4.splat(k1 * 100), R1 = f32x4.splat(k1 * 10), R0 = f32x4.splat(k1), S1 = f32x4.splat(k1 / 10), S2 = f32x4.splat(k1 / 100)
  const A1 = f32x4.splat(0.278393), A2 = f32x4.splat(0.230389), A3 = f32x4.splat(0.000972), A4 = f32x4.splat(0.078108)
  const HALF = f32x4.splat(0.5), TWO = f32x4.splat(2), XMAX = f32x4.splat(10)
  let u2 = ZERO, gs = ZERO, ps = ZERO, valid = ZERO, signs = ZERO, agree = ZERO
  let c2 = ZERO, c4 = ZERO, c6 = ZERO, c8 = ZERO // γ ≥ .2, .4, .6, .8
  let e2 = ZERO, e1 = ZERO, e0 = ZERO, f1 = ZERO, f2 = ZERO // η̂² ≥ 1e-2, 1e-1, 1, 10, 100
  let count: f64 = 0
  for (let i: usize = 0; i < body; i += stride) {
    count += 4
    const gi = v128.load(g + i), mi = v128.load(m + i)
    const both = v128.and(f32x4.ne(gi, ZERO), f32x4.ne(mi, ZERO))
    signs = i32x4.sub(signs, both)
    agree = i32x4.sub(agree, v128.andnot(both, i32x4.shr_s(v128.xor(gi, mi), 31)))
    const mh = f32x4.mul(mi, IC1)
    let gamma = ZERO, ratio = ZERO
    if (v != 0) {
      const vi = v128.load(v + i)
      const vh = f32x4.mul(vi, IC2)
      const mh2 = f32x4.mul(mh, mh)
      const d = f32x4.sub(vh, mh2)
      const ok = f32x4.gt(mh2, ZERO)
      if (mode == MODE_ADAM) {
        ratio = f32x4.div(f32x4.abs(mh), f32x4.add(f32x4.mul(f32x4.sqrt(vi), RC2), EPS))
        gamma = ratio
      } else {
        gamma = f32x4.div(mh2, f32x4.add(mh2, f32x4.mul(KAPPA, d)))
      }
      gamma = v128.and(f32x4.pmin(ONE, f32x4.pmax(ZERO, gamma)), ok)
      // r = m̂²/d = k1/η̂²; where d ≤ 0 (η̂² ≤ 0) or m̂² = 0 it is set to +∞: P = 1, lowest η̂² bin.
      const r = v128.bitselect(f32x4.div(mh2, d), INF, v128.and(ok, f32x4.gt(d, ZERO)))
      // x is capped at 10 (erf(10) = 1 in f32): beyond about 9.6, 1/q⁴ below would be subnormal,
      // a division x86 finishes in microcode (how much that cost here was not measured).
      const x = f32x4.pmin(XMAX, f32x4.sqrt(f32x4.mul(r, X2)))
      let q = f32x4.add(ONE, f32x4.mul(x, f32x4.add(A1, f32x4.mul(x, f32x4.add(A2, f32x4.mul(x, f32x4.add(A3, f32x4.mul(x, A4))))))))
      q = f32x4.mul(q, q)
      const prob = f32x4.mul(HALF, f32x4.sub(TWO, f32x4.div(ONE, f32x4.mul(q, q))))
      gs = f32x4.add(gs, gamma)
      ps = f32x4.add(ps, v128.and(prob, ok))
      valid = i32x4.sub(valid, ok)
      c2 = i32x4.sub(c2, f32x4.ge(gamma, G2E))
      c4 = i32x4.sub(c4, f32x4.ge(gamma, G4E))
      c6 = i32x4.sub(c6, f32x4.ge(gamma, G6E))
      c8 = i32x4.sub(c8, f32x4.ge(gamma, G8E))
      e2 = i32x4.sub(e2, f32x4.le(r, R2))
      e1 = i32x4.sub(e1, f32x4.le(r, R1))
      e0 = i32x4.sub(e0, f32x4.le(r, R0))
      f1 = i32x4.sub(f1, f32x4.le(r, S1))
      f2 = i32x4.sub(f2, f32x4.le(r, S2))
    }
    let u: v128
    if (mode == MODE_MSGD) u = f32x4.mul(LR, mh)
    else if (mode == MODE_MSSD) u = v128.and(LR, f32x4.ne(mi, ZERO))
    else if (mode == MODE_ADAM) u = f32x4.mul(LR, ratio)
    else u = f32x4.mul(LR, f32x4.mul(gamma, mode == MODE_SVAG ? gi : mh))
    u2 = f32x4.add(u2, f32x4.mul(u, u))
  }
  add(out, SLOT_SAMPLED, count)
  add(out, SLOT_SIGNS, icount(signs))
  add(out, SLOT_AGREE, icount(agree))
  add(out, SLOT_U2, hsum(u2))
  if (v == 0) return
  const nv = icount(valid)
  add(out, SLOT_VALID, nv)
  add(out, SLOT_GAMMA, hsum(gs))
  add(out, SLOT_PSIGN, hsum(ps))
  const n2 = icount(c2), n4 = icount(c4), n6 = icount(c6), n8 = icount(c8)
  add(out, SLOT_GAMMA_HIST, nv - n2)
  add(out, SLOT_GAMMA_HIST + 1, n2 - n4)
  add(out, SLOT_GAMMA_HIST + 2, n4 - n6)
  add(out, SLOT_GAMMA_HIST + 3, n6 - n8)
  add(out, SLOT_GAMMA_HIST + 4, n8)
  const m2 = icount(e2), m1 = icount(e1), m0 = icount(e0), q1 = icount(f1), q2 = icount(f2)
  add(out, SLOT_ETA_HIST, nv - m2)
  add(out, SLOT_ETA_HIST + 1, m2 - m1)
  add(out, SLOT_ETA_HIST + 2, m1 - m0)
  add(out, SLOT_ETA_HIST + 3, m0 - q1)
  add(out, SLOT_ETA_HIST + 4, q1 - q2)
  add(out, SLOT_ETA_HIST + 5, q2)
}
