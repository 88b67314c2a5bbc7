import { bandsOf, PARALLEL_PRODUCT, product } from '../gemm.js'
import { ownKernel } from '../kernel-call.js'
import type { KernelScalars, Kernels } from '../kernels.js'
import { Optimizer, type OptimizerOptions, type Params, WHOLE } from '../optimizer.js'
import {
  betas,
  choice,
  defaultsOf,
  flag,
  lr,
  nonNegative,
  number,
  numbers,
  type OptionsOf,
  STATE_DTYPE,
  unit,
} from '../options.js'
import { addCall, Pass } from '../parallel.js'
import { MIN_PARALLEL_ASLEEP, poolFor, runtime, view } from '../runtime.js'
import { CHUNK, type Slot } from '../walk.js'

/** The options of {@link Muon}, per parameter group: one table (src/options.ts). */
export const MUON_OPTIONS = {
  /** Learning rate. */
  lr: lr(1e-3),
  /** Decoupled weight decay: θ ← θ·(1 − lr·wd). */
  weightDecay: nonNegative(0.1),
  /** Momentum μ. */
  momentum: unit(0.95),
  /** Nesterov momentum: orthogonalise g + μ·B instead of B. */
  nesterov: flag(true),
  /** ε in X = B̃/(‖B̃‖_F + ε). */
  eps: number(1e-7, 0, { test: [1e-9, 0.1] }),
  /** Newton–Schulz iterations. */
  nsSteps: number(5, 1, { hi: 1000, closed: true, integer: true, test: [1, 6] }),
  /** (a, b, c) of the quintic Newton–Schulz step X ← aX + (bA + cA²)X. */
  nsCoefficients: numbers<[number, number, number]>([3.4445, -4.775, 2.0315]),
  /**
   * How lr is scaled to the matrix's shape (rows × cols): 'original' lr·√max(1, rows/cols) (Keller Jordan's,
   * PyTorch's default); 'matchRmsAdamw' 0.2·lr·√max(rows, cols) (Moonshot's), so that the update's RMS matches AdamW's.
   */
  adjustLr: choice(['original', 'matchRmsAdamw'], 'original'),
  /**
   * 'adamw': the group's parameters (biases, gains, embeddings, the output layer; any shape) step
   * with AdamW instead, betas adamwBetas, ε adamwEps, this group's lr and weightDecay, as Keras's Muon does.
   */
  mode: choice(['muon', 'adamw'], 'muon'),
  /** AdamW's [β1, β2], for a group in mode 'adamw'. */
  adamwBetas: betas([0.9, 0.999]),
  /** AdamW's ε, for a group in mode 'adamw'. */
  adamwEps: nonNegative(1e-8),
  ...STATE_DTYPE,
}

/** Options of {@link Muon}. */
export type MuonOptions = OptionsOf<typeof MUON_OPTIONS>

/** This step's numbers for a group, before the shape's learning-rate adjustment; AdamW's kernel scalars for a group in mode 'adamw'. */
interface MuonScalars {
  mu: number
  nesterov: boolean
  decay: number
  adamw: KernelScalars['adam'] | undefined
}

const adamw = ownKernel('adam')

/** Rows and columns of a parameter's matrix view: [shape[0], product of the rest]. */
const matrixOf = (shape: readonly number[]) => [shape[0], shape.slice(1).reduce((a, b) => a * b, 1)] as const

/**
 * Muon, momentum orthogonalised by Newton–Schulz (Jordan et al. 2024, "Muon: An optimizer for
 * hidden layers in neural networks"; PyTorch's `torch.optim.Muon`), for 2-D weight matrices:
 *
 *     B ← μ·B + g;   B̃ = g + μ·B (Nesterov) or B
 *     X = B̃/(‖B̃‖_F + ε), transposed if rows > cols
 *     k times:  A = X·Xᵀ;  X ← a·X + (b·A + c·A²)·X          (a, b, c) = (3.4445, −4.775, 2.0315)
 *     O = X, transposed back;   θ ← θ·(1 − lr·wd);   θ ← θ − lr'·O
 *
 * with lr' = lr·√max(1, rows/cols) ('original') or 0.2·lr·√max(rows, cols) ('matchRmsAdamw').
 * The quintic's coefficients maximise its slope at zero (Bernstein & Newhouse 2024 on
 * Newton–Schulz; Jordan et al.): O approximates the orthogonal factor U·Vᵀ of B̃, with singular
 * values between about 0.7 and 1.2 rather than exactly 1. Every parameter needs a shape
 * (`{ param, grad, shape }` or `parameter(n, { shape })`) of two dimensions or more (more are read
 * as [shape[0], product of the rest], as PyTorch does for filters); biases, gains, embeddings
 * and the output layer belong to another optimizer (AdamW). The matrix products run in wasm SIMD
 * (register-tiled, B packed) and split over the helper threads; scratch for them is allocated
 * once, here, for the largest matrix. Options: docs/options.md.
 *
 * @example
 * const w = parameter(784 * 64, { shape: [64, 784] })
 * const opt = new Muon([w], { lr: 0.02 })
 */
export class Muon extends Optimizer<MuonOptions, never, MuonScalars> {
  /** Muon steps weight matrices whole: each parameter needs a shape. */
  static override readonly matrices: boolean = true
  /** Its options table. */
  static readonly options = MUON_OPTIONS
  /** The options a group gets where it does not set them. */
  static readonly defaults: MuonOptions = defaultsOf(MUON_OPTIONS)

  /** Scratch: X, a transposed or packed copy, a product (each rows·cols floats); A, its packed copy, A² (each min² floats). */
  #scratch: { block: number; x: number; t: number; p: number; a: number; ap: number; a2: number } | undefined

  /**
   * @param params the parameters, each with a shape of two dimensions or more, or groups of them with their own options
   * @param options the options of every group that does not set its own, the non-finite policy and the subnormal mode
   */
  constructor(params: Params<MuonOptions>, options?: Partial<MuonOptions & OptimizerOptions>) {
    super('Muon', WHOLE, params, Muon.options, options)
    let big = 0
    let small = 0
    try {
      this.slots.forEach((group, i) => {
        group.forEach((s, j) => {
          big = Math.max(big, s.n)
          if (this.paramGroups[i].mode === 'adamw') return
          const where = `Muon: paramGroups[${i}].params[${j}]${s.name ? ` ('${s.name}')` : ''}`
          const advice =
            'Muon updates weight matrices only: give 1-D parameters (biases, gains), embeddings and the ' +
            "output layer to AdamW, in a group with mode: 'adamw' or in a second optimizer"
          if (!s.shape)
            throw new TypeError(
              `${where} has no shape: give { param, grad, shape } or parameter(n, { shape }). ${advice}`,
            )
          if (s.shape.length < 2) throw new RangeError(`${where} has shape [${s.shape.join(', ')}]. ${advice}`)
          const [rows, cols] = matrixOf(s.shape)
          big = Math.max(big, rows * cols)
          small = Math.max(small, Math.min(rows, cols) ** 2)
        })
      })
    } catch (e) {
      this.dispose()
      throw e
    }
    const arena = runtime().arena
    const bytes = (n: number) => Math.ceil(n / 4) * 16
    let block: number
    try {
      block = arena.alloc(3 * bytes(big) + 3 * bytes(small))
    } catch (e) {
      this.dispose() // the scratch does not fit: the state this constructor allocated goes back too
      throw e
    }
    this.#scratch = {
      block,
      x: block,
      t: block + bytes(big),
      p: block + 2 * bytes(big),
      a: block + 3 * bytes(big),
      ap: block + 3 * bytes(big) + bytes(small),
      a2: block + 3 * bytes(big) + 2 * bytes(small),
    }
  }

  protected override buffers(o: MuonOptions) {
    return o.mode === 'adamw' ? (['m', 'v'] as const) : (['b'] as const)
  }

  protected override scalars(o: MuonOptions, t: number): MuonScalars {
    const decay = 1 - o.lr * o.weightDecay
    if (o.mode === 'muon') return { mu: o.momentum, nesterov: o.nesterov, decay, adamw: undefined }
    const [b1, b2] = o.adamwBetas
    const lrc1 = o.lr / (1 - b1 ** t)
    const rc2 = 1 / Math.sqrt(1 - b2 ** t)
    const c = { b1, omb1: 1 - b1, b2, omb2: 1 - b2, lrc1, rc2, eps: o.adamwEps, wd: 0, decay, maximize: false }
    return { mu: 0, nesterov: false, decay, adamw: { ...c, amsgrad: false } }
  }

  /** Frees the scratch with the state. */
  override dispose(): void {
    if (this.#scratch) runtime().arena.free(this.#scratch.block)
    this.#scratch = undefined
    super.dispose()
  }

  protected override stepWhole(s: Slot, c: MuonScalars, index: number): void {
    if (c.adamw) {
      this.#adamw(s, c.adamw)
      return
    }
    const o = this.paramGroups[index]
    const k = runtime().kernels
    const sc = this.#scratch!
    const [rows, cols] = matrixOf(s.shape!)
    const n = rows * cols
    const wide = rows <= cols
    const m = wide ? rows : cols // X is m × w, m ≤ w
    const w = wide ? cols : rows
    // The gradient, copied in where it is a plain array.
    let g = s.g
    if (s.grad.user) {
      view(sc.t, n).set(s.grad.user)
      g = sc.t
    }
    const flush = this.subnormals === 'flush'
    if (wide) k.muonMomentum(g, s.state.b, sc.x, n, c.mu, c.nesterov, flush, s.z.fmt, s.z.salt)
    else {
      k.muonMomentum(g, s.state.b, sc.p, n, c.mu, c.nesterov, flush, s.z.fmt, s.z.salt)
      k.transpose(sc.p, sc.x, rows, cols)
    }
    let sum = 0
    for (let off = 0; off < n; off += CHUNK) sum += k.sumsq(sc.x + 4 * off, Math.min(CHUNK, n - off))
    k.scale(sc.x, n, 1 / (Math.sqrt(sum) + o.eps))
    const [a, b, cc] = o.nsCoefficients
    for (let step = 0; step < o.nsSteps; step++) {
      k.packT(sc.x, sc.t, m, w)
      this.#symmetric(k, sc.x, sc.t, sc.a, m, w)
      k.pack(sc.a, sc.ap, m, m)
      this.#symmetric(k, sc.a, sc.ap, sc.a2, m, m)
      k.lincomb(sc.a, sc.a2, sc.a, m * m, b, cc)
      k.pack(sc.x, sc.t, m, w)
      product(sc.a, sc.t, sc.p, m, m, w)
      k.lincomb(sc.x, sc.p, sc.x, n, a, 1)
    }
    let out = sc.x
    if (!wide) {
      k.transpose(sc.x, sc.p, m, w)
      out = sc.p
    }
    const lr =
      o.adjustLr === 'original'
        ? o.lr * Math.sqrt(Math.max(1, rows / cols))
        : 0.2 * o.lr * Math.sqrt(Math.max(rows, cols))
    if (s.param.user) {
      const theta = view(sc.t, n)
      theta.set(s.param.user)
      k.muonUpdate(sc.t, out, n, c.decay, lr)
      s.param.user.set(view(sc.t, n))
    } else {
      k.muonUpdate(s.p, out, n, c.decay, lr)
    }
  }

  /** A step of AdamW's kernel (mode 'adamw'), plain arrays staged through the scratch: the same bits as AdamW's. */
  #adamw(s: Slot, c: KernelScalars['adam']): void {
    const sc = this.#scratch!
    if (s.param.user) view(sc.p, s.n).set(s.param.user)
    if (s.grad.user) view(sc.t, s.n).set(s.grad.user)
    adamw(s.param.user ? sc.p : s.p, s.grad.user ? sc.t : s.g, s.state, s.n, 0, c, this.subnormals === 'flush', s.z)
    s.param.user?.set(view(sc.p, s.n))
  }

  /** C (m × m) = A (m × k) · B, symmetric, B packed: the upper triangle in bands (by work) over the helpers, then the mirror. */
  #symmetric(k: Kernels, a: number, bp: number, out: number, m: number, kk: number): void {
    const pool = runtime().pool && (m * m * kk) / 2 >= PARALLEL_PRODUCT ? poolFor(MIN_PARALLEL_ASLEEP) : undefined
    if (!pool) {
      k.matmulSym(a, bp, out, m, kk, 0, m)
      k.mirror(out, m, 0, m)
      return
    }
    // Row i of the upper triangle costs m − i: bands of equal work.
    const bands = bandsOf(m, 2 * pool.threads, (i) => i * m - (i * (i - 1)) / 2)
    const pass = new Pass(pool, 0, bands.length, 0)
    for (const [i0, i1] of bands) addCall(pass, 'matmulSym', [a, bp, out, m, kk, i0, i1])
    pass.run()
    const mirror = new Pass(pool, 0, bands.length, 0)
    for (const [i0, i1] of bandsOf(m, 2 * pool.threads, (i) => (i * i) / 2)) addCall(mirror, 'mirror', [out, m, i0, i1])
    mirror.run()
  }
}
