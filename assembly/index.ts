// The kernels, one file per optimizer family. Every kernel takes pointers, then the element
// count n, then scalars computed once per step by the TypeScript side; none allocates. The build
// (scripts/build-wasm.mjs) reads these signatures and constants from the compiler and writes
// src/kernels.ts: the TypeScript side never spells an argument list out by hand.
export { sgd } from './sgd'
export { msgd, mssd } from './msgd'
export { ssd } from './ssd'
export { svag, msvag } from './svag'
export { adam } from './adam'
export { lion } from './lion'
export { rmsprop } from './rmsprop'
export { adagrad } from './adagrad'
export { adamax } from './adamax'
export { adadelta } from './adadelta'
export { nadam } from './nadam'
export { radam } from './radam'
export { sfadamw, lerp } from './schedulefree'
export { sumsq, scale, clamp, nonfinite } from './grad'
export { flush } from './state'
export { pack, packT, matmul, matmulTA, matmulSym, mirror, transpose, muonMomentum, lincomb, muonUpdate } from './muon'
export {
  stats, SLOT_G2, SLOT_P2, SLOT_SIGNS, SLOT_AGREE, SLOT_SAMPLED, SLOT_U2, SLOT_VALID, SLOT_GAMMA, SLOT_PSIGN,
  SLOT_GAMMA_HIST, SLOT_ETA_HIST, SLOTS, MODE_NORMS, MODE_MSGD, MODE_MSSD, MODE_SVAG, MODE_MSVAG, MODE_ADAM,
} from './stats'

/** First byte the TypeScript allocator may hand out: everything below belongs to the module. */
export const HEAP_BASE = __heap_base
