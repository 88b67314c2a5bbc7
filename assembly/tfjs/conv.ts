// The memory-bound halves of wasm-optim/tfjs's convolution kernels (src/tfjs/conv.ts), NHWC,
// float32: im2col (unfold), its adjoint col2im (fold), max pooling's gradient and the depthwise
// convolution's two gradients. Each walks the
// output positions in order, so its sums have a fixed order: the SIMD and the scalar build give
// the same bits (lanes are separate elements; nothing is reassociated).
//
// A convolution's geometry is passed as one list of i32 at `g` (GEOMETRY slots): the batch, the
// input's height, width and channels, the output's height and width, the window's height and
// width, the strides, and the padding before the first row and column.

/** i32 slots of a geometry: batch, inH, inW, ch, outH, outW, fh, fw, sh, sw, top, left. */
export const GEOMETRY: i32 = 12

// @ts-ignore: decorator
@inline function at(g: usize, i: i32): i32 {
  return load<i32>(g + (<usize>i << 2))
}

/** Copies `bytes` (a multiple of 4): a short run float by float, a long one with memory.copy. */
// @ts-ignore: decorator
@inline function copyRun(dst: usize, src: usize, bytes: usize): void {
  if (bytes >= 64) memory.copy(dst, src, bytes)
  else for (let i: usize = 0; i < bytes; i += 4) store<u32>(dst + i, load<u32>(src + i))
}

/** Zeroes `bytes` (a multiple of 4). */
// @ts-ignore: decorator
@inline function zeroRun(dst: usize, bytes: usize): void {
  if (bytes >= 64) memory.fill(dst, 0, bytes)
  else for (let i: usize = 0; i < bytes; i += 4) store<u32>(dst + i, 0)
}

/** dst[0..n) += src[0..n), n floats. */
// @ts-ignore: decorator
@inline function addRun(dst: usize, src: usize, n: i32): void {
  let i = 0
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2
      v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(src + o)))
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2
    store<f32>(dst + o, load<f32>(dst + o) + load<f32>(src + o))
  }
}

/**
 * Both directions of the walk over the receptive fields, row by row of the patch matrix P (a row
 * per output position, batch-major; fh·fw·ch columns): forward writes P from x (zeros where a
 * field leaves the image); backward adds P's rows back into x, which the caller zeroed.
 */
function walk(x: usize, p: usize, g: usize, forward: bool): void {
  const inH = at(g, 1), inW = at(g, 2), ch = at(g, 3), outH = at(g, 4), outW = at(g, 5)
  const fh = at(g, 6), fw = at(g, 7), sh = at(g, 8), sw = at(g, 9), top = at(g, 10), left = at(g, 11)
  const row = <usize>(fw * ch) << 2
  const rows = at(g, 0) * outH * outW
  let o = p
  for (let r = 0; r < rows; r++) {
    const ox = r % outW
    const oy = (r / outW) % outH
    const b = r / (outW * outH)
    // The field's columns inside the image, [lo, hi) of 0 … fw: one contiguous run of x per row.
    const ix0 = ox * sw - left
    const lo = max(0, -ix0)
    const hi = min(fw, inW - ix0)
    for (let fy = 0; fy < fh; fy++, o += row) {
      const iy = oy * sh - top + fy
      if (iy < 0 || iy >= inH || lo >= hi) {
        if (forward) zeroRun(o, row)
        continue
      }
      const from = o + ((<usize>(lo * ch)) << 2)
      const src = x + ((<usize>((b * inH + iy) * inW + ix0 + lo) * ch) << 2)
      const n = (hi - lo) * ch
      if (forward) {
        zeroRun(o, from - o)
        copyRun(from, src, <usize>n << 2)
        zeroRun(from + (<usize>n << 2), o + row - from - (<usize>n << 2))
      } else addRun(src, from, n)
    }
  }
}

/** im2col: P (batch·outH·outW rows of fh·fw·ch) at p from the image x, geometry at g. */
export function unfold(x: usize, p: usize, g: usize): void {
  walk(x, p, g, true)
}

/** col2im: x (batch·inH·inW·ch) ← 0, then each row of P at p added back where unfold read it. */
export function fold(p: usize, x: usize, g: usize): void {
  memory.fill(x, 0, (<usize>at(g, 0) * at(g, 1) * at(g, 2) * at(g, 3)) << 2)
  walk(x, p, g, false)
}

/**
 * Max pooling's gradient, geometry at g (ch the channels, the window fh × fw): dx ← 0, then each
 * output's gradient dy added to the first largest input of its window, scanned row by row (an
 * input that is never larger than −∞, NaN, takes nothing), outputs in order. Four channels at a
 * time: the running maximum and its position kept by compare and select.
 */
export function maxPoolGrad(x: usize, dy: usize, dx: usize, g: usize): void {
  const batch = at(g, 0), inH = at(g, 1), inW = at(g, 2), ch = at(g, 3), outH = at(g, 4), outW = at(g, 5)
  const fh = at(g, 6), fw = at(g, 7), sh = at(g, 8), sw = at(g, 9), top = at(g, 10), left = at(g, 11)
  memory.fill(dx, 0, (<usize>batch * inH * inW * ch) << 2)
  const full = ASC_FEATURE_SIMD ? ch & ~3 : 0
  let o: usize = 0
  for (let b = 0; b < batch; b++) {
    for (let oy = 0; oy < outH; oy++) {
      const y0 = oy * sh - top
      const ya = max(0, y0), y1 = min(inH, y0 + fh)
      for (let ox = 0; ox < outW; ox++, o += <usize>ch) {
        const x0 = ox * sw - left
        const xa = max(0, x0), x1 = min(inW, x0 + fw)
        if (ASC_FEATURE_SIMD) {
          for (let d = 0; d < full; d += 4) {
            let best = f32x4.splat(-Infinity)
            let pos = i32x4.splat(-1)
            for (let y = ya; y < y1; y++) {
              for (let xx = xa; xx < x1; xx++) {
                const i = ((b * inH + y) * inW + xx) * ch + d
                const v = v128.load(x + (<usize>i << 2))
                const gt = f32x4.gt(v, best)
                best = v128.bitselect(v, best, gt)
                pos = v128.bitselect(i32x4.add(i32x4.splat(i), i32x4(0, 1, 2, 3)), pos, gt)
              }
            }
            const q = dy + ((o + <usize>d) << 2)
            addAt(dx, i32x4.extract_lane(pos, 0), load<f32>(q))
            addAt(dx, i32x4.extract_lane(pos, 1), load<f32>(q, 4))
            addAt(dx, i32x4.extract_lane(pos, 2), load<f32>(q, 8))
            addAt(dx, i32x4.extract_lane(pos, 3), load<f32>(q, 12))
          }
        }
        for (let d = full; d < ch; d++) {
          let best: f32 = -Infinity
          let pos = -1
          for (let y = ya; y < y1; y++) {
            for (let xx = xa; xx < x1; xx++) {
              const i = ((b * inH + y) * inW + xx) * ch + d
              const v = load<f32>(x + (<usize>i << 2))
              if (v > best) {
                best = v
                pos = i
              }
            }
          }
          addAt(dx, pos, load<f32>(dy + ((o + <usize>d) << 2)))
        }
      }
    }
  }
}

/** dx[i] += v, where i ≥ 0. */
// @ts-ignore: decorator
@inline function addAt(dx: usize, i: i32, v: f32): void {
  if (i >= 0) store<f32>(dx + (<usize>i << 2), load<f32>(dx + (<usize>i << 2)) + v)
}

/**
 * The depthwise convolution's two gradients (TF.js's wasm backend has neither), geometry at g, ch
 * the input channels, each with `mult` filters (the output's channel c·mult + q): filter ← the sum
 * over output positions of x · dy (dw, fh·fw·ch·mult), or input ← the sum of w · dy (dx), added
 * position by position in order. Four channels at a time where mult is 1.
 */
function depthwise(x: usize, w: usize, dy: usize, g: usize, mult: i32, filter: bool): void {
  const batch = at(g, 0), inH = at(g, 1), inW = at(g, 2), ch = at(g, 3), outH = at(g, 4), outW = at(g, 5)
  const fh = at(g, 6), fw = at(g, 7), sh = at(g, 8), sw = at(g, 9), top = at(g, 10), left = at(g, 11)
  memory.fill(filter ? w : x, 0, (filter ? <usize>fh * fw * ch * mult : <usize>batch * inH * inW * ch) << 2)
  const outC = ch * mult
  const full = ASC_FEATURE_SIMD && mult == 1 ? ch & ~3 : 0
  for (let b = 0; b < batch; b++) {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        const yRow = dy + ((<usize>((b * outH + oy) * outW + ox) * outC) << 2)
        for (let fy = 0; fy < fh; fy++) {
          const iy = oy * sh - top + fy
          if (iy < 0 || iy >= inH) continue
          for (let fx = 0; fx < fw; fx++) {
            const ix = ox * sw - left + fx
            if (ix < 0 || ix >= inW) continue
            const xRow = x + ((<usize>((b * inH + iy) * inW + ix) * ch) << 2)
            const wRow = w + ((<usize>(fy * fw + fx) * outC) << 2)
            if (ASC_FEATURE_SIMD) {
              for (let c = 0; c < full; c += 4) {
                const o = <usize>c << 2
                if (filter) v128.store(wRow + o, f32x4.add(v128.load(wRow + o), f32x4.mul(v128.load(xRow + o), v128.load(yRow + o))))
                else v128.store(xRow + o, f32x4.add(v128.load(xRow + o), f32x4.mul(v128.load(wRow + o), v128.load(yRow + o))))
              }
            }
            for (let c = full; c < ch; c++) {
              for (let q = 0; q < mult; q++) {
                const xo = xRow + (<usize>c << 2), k = <usize>(c * mult + q) << 2
                const d = load<f32>(yRow + k)
                if (filter) store<f32>(wRow + k, load<f32>(wRow + k) + load<f32>(xo) * d)
                else store<f32>(xo, load<f32>(xo) + load<f32>(wRow + k) * d)
              }
            }
          }
        }
      }
    }
  }
}

/** DepthwiseConv2dNativeBackpropFilter: dw (fh·fw·ch·mult) from the input x and the output's gradient dy. */
export function depthwiseFilter(x: usize, dy: usize, dw: usize, g: usize, mult: i32): void {
  depthwise(x, dw, dy, g, mult, true)
}

/** DepthwiseConv2dNativeBackpropInput: dx (the input's shape) from the filter w and the output's gradient dy. */
export function depthwiseInput(dy: usize, w: usize, dx: usize, g: usize, mult: i32): void {
  depthwise(dx, w, dy, g, mult, false)
}
