// The kernels, one file per optimizer family. Every kernel takes pointers, then the element
// count, then scalars computed once per step by the TypeScript side; none allocates.
export { sgd } from './sgd'
export { msgd } from './msgd'
export { ssd, mssd } from './ssd'
export { svag, msvag } from './svag'
export { adam } from './adam'
export { lion } from './lion'
export { rmsprop } from './rmsprop'
export { adagrad } from './adagrad'
export { sumsq, scale, clamp, nonfinite } from './grad'
export { stats } from './stats'

/** First byte the TypeScript allocator may hand out: everything below belongs to the module. */
export const HEAP_BASE = __heap_base
