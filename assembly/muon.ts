import { KEY_B, keys, offsetOf, packAll, slot, STATE_BLOCK, STATE_F32, unpackAll } from './codec'
import { add, mul, simdBytes, splat, sub } from './lanes'

// Muon (docs/algorithms.md §3): its element-wise steps and the matrix products of its
// Newton–Schulz iteration. Every matrix is row-major f32. A product's element is
//   c = ((0 + a₀b₀) + a₁b₁) + … + a_{k−1}b_{k−1}
// in float32, k in order, no fused multiply-add, in the SIMD build (register tiles of 4 rows by 8
// columns; k in blocks of KC and rows in blocks of MC so that a panel of B stays in L1 and a
// block of A in L2; the partial sums go through C between blocks of k, which changes no bit) as
// in the scalar build (plain loops): the same bits. B is read packed (`pack`, `packT`): each
// 8-column panel contiguous, k rows of 8, then the last n mod 8 columns as one narrower panel.
// Unpacked, a panel's rows lie n floats apart, and at n = 1024 (4 KiB apart) they fought over
// the same cache sets: 20 GFLOP/s against 28 at 512.

/** k per block: a tile's panel of B (KC × 8 floats, 8 KiB) stays in L1 while the tile is summed. */
// @ts-ignore: decorator
@inline const KC: i32 = 256
/** Rows per block: a block of A (MC × KC floats, 64 KiB) stays in L2 across the panels of B. */
// @ts-ignore: decorator
@inline const MC: i32 = 64

/** Where B[t][j] (k × n) lies in its packed form, in floats. */
// @ts-ignore: decorator
@inline function packed(t: i32, j: i32, k: i32, n: i32): usize {
  const full = n & ~7
  return j < full ? <usize>(j & ~7) * k + <usize>t * 8 + (j & 7) : <usize>full * k + <usize>t * (n - full) + (j - full)
}

/** dst ← B (k × n) packed for matmul and matmulSym. Copies bits: no arithmetic. */
export function pack(b: usize, dst: usize, k: i32, n: i32): void {
  const full = n & ~7
  if (ASC_FEATURE_SIMD) {
    // Row by row of B (read in order), 8 columns at a time into each panel's row t.
    for (let t = 0; t < k; t++) {
      const row = b + ((<usize>t * n) << 2)
      for (let j = 0; j < full; j += 8) {
        const to = dst + ((<usize>j * k + <usize>t * 8) << 2)
        v128.store(to, v128.load(row + (<usize>j << 2)))
        v128.store(to, v128.load(row + (<usize>j << 2), 16), 16)
      }
    }
  }
  for (let t = 0; t < k; t++) {
    for (let j = ASC_FEATURE_SIMD ? full : 0; j < n; j++) store<u32>(dst + (packed(t, j, k, n) << 2), load<u32>(b + ((<usize>t * n + j) << 2)))
  }
}

/** dst ← Xᵀ (k × m) packed, for X (m × k): the B of X·Xᵀ, without writing Xᵀ out first. Copies bits. */
export function packT(x: usize, dst: usize, m: i32, k: i32): void {
  const full = m & ~7
  let t0 = 0
  if (ASC_FEATURE_SIMD) {
    // A panel's 8 rows of X, 4 columns at a time: two 4 × 4 blocks transposed into rows t..t+4 of the panel.
    t0 = k & ~3
    for (let i = 0; i < full; i += 8) {
      const rowX = <usize>k << 2
      const x0 = x + ((<usize>i * k) << 2)
      const to = dst + ((<usize>i * k) << 2)
      for (let t = 0; t < t0; t += 4) {
        const p = x0 + (<usize>t << 2)
        const q = to + ((<usize>t * 8) << 2)
        transpose4(q, v128.load(p), v128.load(p + rowX), v128.load(p + 2 * rowX), v128.load(p + 3 * rowX))
        const p4 = p + 4 * rowX
        transpose4(q + 16, v128.load(p4), v128.load(p4 + rowX), v128.load(p4 + 2 * rowX), v128.load(p4 + 3 * rowX))
      }
    }
  }
  for (let i = 0; i < m; i++) {
    for (let t = ASC_FEATURE_SIMD && i < full ? t0 : 0; t < k; t++) store<u32>(dst + (packed(t, i, k, m) << 2), load<u32>(x + ((<usize>i * k + t) << 2)))
  }
}

/** The 4 × 4 block of rows r0..r3 transposed: its column c stored at q + 32·c (a panel row is 8 floats). */
// @ts-ignore: decorator
@inline function transpose4(q: usize, r0: v128, r1: v128, r2: v128, r3: v128): void {
  const t0 = v128.shuffle<i32>(r0, r1, 0, 4, 1, 5), t1 = v128.shuffle<i32>(r0, r1, 2, 6, 3, 7)
  const t2 = v128.shuffle<i32>(r2, r3, 0, 4, 1, 5), t3 = v128.shuffle<i32>(r2, r3, 2, 6, 3, 7)
  v128.store(q, v128.shuffle<i64>(t0, t2, 0, 2))
  v128.store(q, v128.shuffle<i64>(t0, t2, 1, 3), 32)
  v128.store(q, v128.shuffle<i64>(t1, t3, 0, 2), 64)
  v128.store(q, v128.shuffle<i64>(t1, t3, 1, 3), 96)
}

/**
 * C (m × n) = A (m × k) · B (k × n), B packed. Rows of C depend on the same rows of A alone: a
 * helper thread computes a band of rows by passing a, c and m for the band.
 */
export function matmul(a: usize, b: usize, c: usize, m: i32, k: i32, n: i32): void {
  product(a, b, c, m, k, n, 0, m, false, k, 1)
}

/**
 * C (m × n) = Aᵀ · B, A stored k × m with rows `lda` floats apart (lda = m, or more for a band of
 * columns), B packed: the weight gradient Xᵀ·dY without writing Xᵀ out. The same sums in the same
 * order as matmul on Aᵀ: the same bits.
 */
export function matmulTA(a: usize, b: usize, c: usize, m: i32, k: i32, n: i32, lda: i32): void {
  product(a, b, c, m, k, n, 0, m, false, 1, lda)
}

/**
 * The upper triangle of C (m × m) = A (m × k) · B (k × m), B packed, for a product known to be
 * symmetric (X·Xᵀ, or A·A for a symmetric A): rows i0 to i1 (a multiple of 4, or m), tile by
 * tile where j ≥ i (a tile across the diagonal computes some j < i as well). `mirror` then fills
 * the rest.
 */
export function matmulSym(a: usize, b: usize, c: usize, m: i32, k: i32, i0: i32, i1: i32): void {
  product(a, b, c, m, k, m, i0, i1, true, k, 1)
}

/**
 * C[i][j] ← C[j][i] for j < i, rows i0 to i1 of an m × m matrix whose upper triangle is
 * computed: it writes only its own rows, so bands of rows can run on different threads (after
 * every band's matmulSym). A copied element has the bits of the computed one: its products are
 * the same pairs, commuted, in the same order.
 */
export function mirror(c: usize, m: i32, i0: i32, i1: i32): void {
  for (let i = i0; i < i1; i++) {
    for (let j = 0; j < i; j++) store<u32>(c + ((<usize>i * m + j) << 2), load<u32>(c + ((<usize>j * m + i) << 2)))
  }
}

/**
 * Every product's loops, one copy in the module: A[i][t] lies at a + 4·(i·rs + t·ts) (rs = k,
 * ts = 1 for A as stored; rs = 1, ts = lda for A stored transposed).
 */
function product(a: usize, b: usize, c: usize, m: i32, k: i32, n: i32, i0: i32, i1: i32, upper: bool, rs: i32, ts: i32): void {
  if (!ASC_FEATURE_SIMD) {
    for (let i = i0; i < i1; i++) {
      for (let j = upper ? i : 0; j < n; j++) {
        let s: f32 = 0
        for (let t = 0; t < k; t++) s += load<f32>(a + ((<usize>i * rs + <usize>t * ts) << 2)) * load<f32>(b + (packed(t, j, k, n) << 2))
        store<f32>(c + ((<usize>i * n + j) << 2), s)
      }
    }
    return
  }
  const full = n & ~7
  // The first block of k starts every sum at 0; later blocks go on from the partial sums in C.
  for (let k0 = 0; k0 < k; k0 += KC) {
    const kc = min(KC, k - k0)
    const first = k0 == 0
    const ak = a + ((<usize>k0 * ts) << 2)
    for (let ib = i0; ib < i1; ib += MC) {
      const ie = min(ib + MC, i1)
      for (let j = 0; j < full; j += 8) {
        const pb = b + ((<usize>j * k + <usize>k0 * 8) << 2)
        let i = ib
        for (; i + 4 <= ie && (!upper || i < j + 8); i += 4) tile4x8(ak, pb, c, i, j, rs, ts, n, kc, first)
        for (; i < ie && (!upper || i < j + 8); i++) tile1x8(ak, pb, c, i, j, rs, ts, n, kc, first)
      }
      for (let j = full; j < n; j++) {
        for (let i = ib; i < ie && (!upper || i <= j); i++) {
          let s: f32 = first ? 0 : load<f32>(c + ((<usize>i * n + j) << 2))
          for (let t = k0; t < k0 + kc; t++) s += load<f32>(a + ((<usize>i * rs + <usize>t * ts) << 2)) * load<f32>(b + (packed(t, j, k, n) << 2))
          store<f32>(c + ((<usize>i * n + j) << 2), s)
        }
      }
    }
  }
}

/** C[i..i+4][j..j+8] += A[i..i+4][0..kc] · panel[0..kc]: eight accumulators, two loads of B and four of A per step of k. */
// @ts-ignore: decorator
@inline function tile4x8(a: usize, pb: usize, c: usize, i: i32, j: i32, rs: i32, ts: i32, n: i32, kc: i32, first: bool): void {
  const rowC = <usize>n << 2
  const c0 = c + ((<usize>i * n + j) << 2)
  const zero = f32x4.splat(0)
  let s00 = first ? zero : v128.load(c0), s01 = first ? zero : v128.load(c0, 16)
  let s10 = first ? zero : v128.load(c0 + rowC), s11 = first ? zero : v128.load(c0 + rowC, 16)
  let s20 = first ? zero : v128.load(c0 + 2 * rowC), s21 = first ? zero : v128.load(c0 + 2 * rowC, 16)
  let s30 = first ? zero : v128.load(c0 + 3 * rowC), s31 = first ? zero : v128.load(c0 + 3 * rowC, 16)
  const rowA = <usize>rs << 2
  const step = <usize>ts << 2
  let pa = a + ((<usize>i * rs) << 2)
  for (let t = 0; t < kc; t++) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16)
    const a0 = v128.load32_splat(pa), a1 = v128.load32_splat(pa + rowA)
    const a2 = v128.load32_splat(pa + 2 * rowA), a3 = v128.load32_splat(pa + 3 * rowA)
    s00 = f32x4.add(s00, f32x4.mul(a0, b0))
    s01 = f32x4.add(s01, f32x4.mul(a0, b1))
    s10 = f32x4.add(s10, f32x4.mul(a1, b0))
    s11 = f32x4.add(s11, f32x4.mul(a1, b1))
    s20 = f32x4.add(s20, f32x4.mul(a2, b0))
    s21 = f32x4.add(s21, f32x4.mul(a2, b1))
    s30 = f32x4.add(s30, f32x4.mul(a3, b0))
    s31 = f32x4.add(s31, f32x4.mul(a3, b1))
    pa += step
    pb += 32
  }
  v128.store(c0, s00)
  v128.store(c0, s01, 16)
  v128.store(c0 + rowC, s10)
  v128.store(c0 + rowC, s11, 16)
  v128.store(c0 + 2 * rowC, s20)
  v128.store(c0 + 2 * rowC, s21, 16)
  v128.store(c0 + 3 * rowC, s30)
  v128.store(c0 + 3 * rowC, s31, 16)
}

/** One row of a tile: C[i][j..j+8] += A[i][0..kc] · panel[0..kc]. */
// @ts-ignore: decorator
@inline function tile1x8(a: usize, pb: usize, c: usize, i: i32, j: i32, rs: i32, ts: i32, n: i32, kc: i32, first: bool): void {
  const c0 = c + ((<usize>i * n + j) << 2)
  const zero = f32x4.splat(0)
  let s0 = first ? zero : v128.load(c0), s1 = first ? zero : v128.load(c0, 16)
  const step = <usize>ts << 2
  let pa = a + ((<usize>i * rs) << 2)
  for (let t = 0; t < kc; t++) {
    const x = v128.load32_splat(pa)
    s0 = f32x4.add(s0, f32x4.mul(x, v128.load(pb)))
    s1 = f32x4.add(s1, f32x4.mul(x, v128.load(pb, 16)))
    pa += step
    pb += 32
  }
  v128.store(c0, s0)
  v128.store(c0, s1, 16)
}

/** dst (cols × rows) = srcᵀ (src rows × cols), in 8 × 8 blocks. Copies bits: no arithmetic. */
export function transpose(src: usize, dst: usize, rows: i32, cols: i32): void {
  for (let r0 = 0; r0 < rows; r0 += 8) {
    for (let c0 = 0; c0 < cols; c0 += 8) {
      const r1 = min(r0 + 8, rows), c1 = min(c0 + 8, cols)
      for (let r = r0; r < r1; r++) {
        for (let q = c0; q < c1; q++) store<u32>(dst + ((<usize>q * rows + r) << 2), load<u32>(src + ((<usize>r * cols + q) << 2)))
      }
    }
  }
}

/**
 * Muon's momentum: b ← μ·b + g, and the direction u = g + μ·b (Nesterov, with the new b) or
 * u = b. u may be written where another buffer's data is not needed. b in format fmt (codec.ts):
 * decoded a block at a time, stepped, encoded (the direction from the float32 b).
 */
export function muonMomentum(g: usize, b: usize, u: usize, n: i32, mu: f32, nesterov: bool, flush: bool, fmt: i32,
  salt: u32): void {
  if (fmt != STATE_F32) {
    for (let e = 0; e < n; e += STATE_BLOCK) {
      const len = min(STATE_BLOCK, n - e), o = offsetOf(fmt, e)
      unpackAll(fmt, b, 0, 0, o, len, keys(KEY_B))
      momentum32(g + (<usize>e << 2), slot(0, b), u + (<usize>e << 2), len, mu, nesterov)
      packAll(fmt, b, 0, 0, o, len, keys(KEY_B), flush, salt, e)
    }
    return
  }
  momentum32(g, b, u, n, mu, nesterov)
}

/** The float32 path, also each compact block's. */
function momentum32(g: usize, b: usize, u: usize, n: i32, mu: f32, nesterov: bool): void {
  const mid = simdBytes(n)
  if (ASC_FEATURE_SIMD) momentumRange<v128>(g, b, u, 0, mid, mu, nesterov)
  momentumRange<f32>(g, b, u, mid, <usize>n << 2, mu, nesterov)
}

// @ts-ignore: decorator
@inline function momentumRange<T>(g: usize, b: usize, u: usize, from: usize, to: usize, mu: f32, nesterov: bool): void {
  const MU = splat<T>(mu)
  for (let i = from; i < to; i += sizeof<T>()) {
    const gi = load<T>(g + i)
    const bi = add<T>(mul<T>(MU, load<T>(b + i)), gi)
    store<T>(b + i, bi)
    store<T>(u + i, nesterov ? add<T>(gi, mul<T>(MU, bi)) : bi)
  }
}

/** out ← α·x + β·y, element by element (out may be x or y). */
export function lincomb(x: usize, y: usize, out: usize, n: i32, alpha: f32, beta: f32): void {
  const mid = simdBytes(n)
  if (ASC_FEATURE_SIMD) lincombRange<v128>(x, y, out, 0, mid, alpha, beta)
  lincombRange<f32>(x, y, out, mid, <usize>n << 2, alpha, beta)
}

// @ts-ignore: decorator
@inline function lincombRange<T>(x: usize, y: usize, out: usize, from: usize, to: usize, alpha: f32, beta: f32): void {
  const A = splat<T>(alpha), B = splat<T>(beta)
  for (let i = from; i < to; i += sizeof<T>()) {
    store<T>(out + i, add<T>(mul<T>(A, load<T>(x + i)), mul<T>(B, load<T>(y + i))))
  }
}

/** Muon's update: θ ← decay·θ if decay ≠ 1 (decoupled weight decay, decay = 1 − lr·wd); θ ← θ − lr'·O. */
export function muonUpdate(p: usize, o: usize, n: i32, decay: f32, lr: f32): void {
  const mid = simdBytes(n)
  if (ASC_FEATURE_SIMD) updateRange<v128>(p, o, 0, mid, decay, lr)
  updateRange<f32>(p, o, mid, <usize>n << 2, decay, lr)
}

// @ts-ignore: decorator
@inline function updateRange<T>(p: usize, o: usize, from: usize, to: usize, decay: f32, lr: f32): void {
  const DECAY = splat<T>(decay), LR = splat<T>(lr)
  for (let i = from; i < to; i += sizeof<T>()) {
    let pi = load<T>(p + i)
    if (decay != 1) pi = mul<T>(DECAY, pi)
    store<T>(p + i, sub<T>(pi, mul<T>(LR, load<T>(o + i))))
  }
}
