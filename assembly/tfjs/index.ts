// The TensorFlow.js flavours of the classic optimizers, for wasm-optim/tfjs: each computes what
// tf.train's optimizer of the same name computes, in TF.js's own order of float32 operations, so
// that the results are the same bits (docs/tfjs.md). A module of its own, instantiated on the
// library's memory by wasm-optim/tfjs only: the main entry does not carry these bytes.
export { tfsgd } from './sgd'
export { tfrmsprop } from './rmsprop'
export { tfadagrad, tfadadelta } from './adagrad'
export { tfadam, tfadamax } from './adam'
export { accumulate } from './accumulate'
export { depthwiseFilter, depthwiseInput, fold, GEOMETRY, maxPoolGrad, unfold } from './conv'
