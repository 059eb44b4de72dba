/**
 * Training-mode batch norm, max pooling and the pooling gradients through oneDNN where it is
 * active (dnnl.ts): they run on the backend's threads, where the loops they replace run on one,
 * and these passes over whole activations are memory-bound. Each wraps the kernel registered
 * before it (the loops of batch-norm.ts and pool-grads.ts, the stock MaxPool), which still runs
 * without oneDNN and for what oneDNN is not given here: batch norm of other than 4-D NHWC
 * float32 data (the masked kernels stay with the loops), and average pooling's forward pass
 * (tfjs divides a padded window by its real pixels there, not the whole window).
 * Also the filter + bias gradient of conv-train.ts: one oneDNN pass over dy, or without oneDNN
 * the filter-gradient kernel and then a sum.
 */
import * as tf from '@tensorflow/tfjs';
import { BATCH_NORM_GRAD, BATCH_NORM_TRAIN } from './batch-norm';
import { activeDnnl, blasGeometry, type ConvAttrs } from './blas-kernels';
import { CONV2D_FILTER_BIAS_GRAD } from './conv-train';
import { poolGeometry, poolInfo, type PoolAttrs } from './pool-grads';
import { KernelRunner, previousKernel, type FastBackendName } from './runner';

function isNhwcFloat(x: tf.TensorInfo): boolean {
  return x.shape.length === 4 && x.dtype === 'float32';
}

function makeBatchNormTrain(backendName: FastBackendName): tf.KernelFunc {
  const previous = previousKernel(BATCH_NORM_TRAIN, backendName);
  return (args) => {
    const { x, gamma, beta } = args.inputs as Record<string, tf.TensorInfo>;
    const dnnl = activeDnnl();
    if (dnnl == null || !isNhwcFloat(x!)) return previous(args);
    const { epsilon } = args.attrs as unknown as { epsilon: number };
    const channels = x!.shape[3]!;
    const runner = new KernelRunner(args.backend as tf.KernelBackend, backendName);
    return runner.createAll([x!.shape, [channels], [channels]], ([y, mean, variance], read) =>
      dnnl.batchNormForward(
        { x: read(x!), gamma: read(gamma!), beta: read(beta!), y: y!, mean: mean!, variance: variance! },
        x!.shape,
        epsilon,
      ),
    );
  };
}

function makeBatchNormGrad(backendName: FastBackendName): tf.KernelFunc {
  const previous = previousKernel(BATCH_NORM_GRAD, backendName);
  return (args) => {
    const { x, dy, gamma, mean, variance } = args.inputs as Record<string, tf.TensorInfo>;
    const dnnl = activeDnnl();
    if (dnnl == null || !isNhwcFloat(x!) || dy!.dtype !== 'float32') return previous(args);
    const { epsilon } = args.attrs as unknown as { epsilon: number };
    const channels = x!.shape[3]!;
    const runner = new KernelRunner(args.backend as tf.KernelBackend, backendName);
    return runner.createAll([x!.shape, [channels], [channels]], ([dx, dgamma, dbeta], read) =>
      dnnl.batchNormBackward(
        {
          x: read(x!),
          dy: read(dy!),
          gamma: read(gamma!),
          mean: read(mean!),
          variance: read(variance!),
          dx: dx!,
          dgamma: dgamma!,
          dbeta: dbeta!,
        },
        x!.shape,
        epsilon,
      ),
    );
  };
}

function makeMaxPool(backendName: FastBackendName): tf.KernelFunc {
  const previous = previousKernel('MaxPool', backendName);
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const dnnl = activeDnnl();
    if (dnnl == null || !isNhwcFloat(x)) return previous(args);
    const p = poolGeometry(poolInfo(x.shape, args.attrs as unknown as PoolAttrs));
    const runner = new KernelRunner(args.backend as tf.KernelBackend, backendName);
    return runner.create([p.batch, p.outH, p.outW, p.channels], (y, read) => dnnl.pool('max', read(x), y, p));
  };
}

function makePoolGrad(kind: 'max' | 'avg', backendName: FastBackendName): tf.KernelFunc {
  const previous = previousKernel(kind === 'max' ? 'MaxPoolGrad' : 'AvgPoolGrad', backendName);
  return (args) => {
    const { dy, input } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
    const dnnl = activeDnnl();
    if (dnnl == null || !isNhwcFloat(input) || dy.dtype !== 'float32') return previous(args);
    const p = poolGeometry(poolInfo(input.shape, args.attrs as unknown as PoolAttrs));
    const runner = new KernelRunner(args.backend as tf.KernelBackend, backendName);
    return runner.create(input.shape, (dx, read) => dnnl.poolBackward(kind, kind === 'max' ? read(input) : null, read(dy), dx, p));
  };
}

function makeFilterBiasGrad(backendName: FastBackendName): tf.KernelFunc {
  return (args) => {
    const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const attrs = args.attrs as unknown as ConvAttrs & { filterShape: [number, number, number, number] };
    const dnnl = activeDnnl();
    const g = dnnl != null ? blasGeometry(x.shape, attrs.filterShape, attrs) : null;
    if (dnnl == null || g == null || dy.dtype !== 'float32') {
      const dw = previousKernel('Conv2DBackpropFilter', backendName)(args) as tf.TensorInfo;
      const dbias = previousKernel('Sum', backendName)({ ...args, inputs: { x: dy }, attrs: { axis: [0, 1, 2], keepDims: false } });
      return [dw, dbias as tf.TensorInfo];
    }
    const runner = new KernelRunner(args.backend as tf.KernelBackend, backendName);
    return runner.createAll([attrs.filterShape, [g.outC]], ([dw, dbias], read) => dnnl.backwardWeights(read(x), read(dy), dw!, g, dbias));
  };
}

/** Builds the kernels; each captures the kernel registered now as its fallback, so call after the others. */
export function dnnlKernels(backendName: FastBackendName): tf.KernelConfig[] {
  return [
    { kernelName: BATCH_NORM_TRAIN, backendName, kernelFunc: makeBatchNormTrain(backendName) },
    { kernelName: BATCH_NORM_GRAD, backendName, kernelFunc: makeBatchNormGrad(backendName) },
    { kernelName: 'MaxPool', backendName, kernelFunc: makeMaxPool(backendName) },
    { kernelName: 'MaxPoolGrad', backendName, kernelFunc: makePoolGrad('max', backendName) },
    { kernelName: 'AvgPoolGrad', backendName, kernelFunc: makePoolGrad('avg', backendName) },
    { kernelName: CONV2D_FILTER_BIAS_GRAD, backendName, kernelFunc: makeFilterBiasGrad(backendName) },
  ];
}
