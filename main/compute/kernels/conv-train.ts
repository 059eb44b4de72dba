/**
 * A conv with bias as training runs it. tfjs's fused conv op (what a Conv2D layer calls) computes
 * its bias gradient by summing dy once more after the filter gradient has read it, and always
 * computes the gradient of its input. Here the filter and bias gradients come from one kernel
 * (oneDNN sums dy per channel in the filter gradient's own pass; see dnnl-kernels.ts), and the
 * input gradient only where it is asked for (a model input needs none). Same math and weights.
 */
import * as tf from '@tensorflow/tfjs';
import { hasKernel } from './runner';

/** Inputs x and dy; attrs as Conv2DBackpropFilter's; outputs [dW, dbias]. */
export const CONV2D_FILTER_BIAS_GRAD = 'SerConv2DFilterBiasGrad';

export interface ConvTrainSpec {
  strides: number;
  /** False for a conv on the model input, whose gradient nobody uses. */
  inputGradient: boolean;
}

/** A 'same'-padded NHWC conv2d(x, filter) + bias whose gradients are computed as above. */
export function conv2dWithBias(x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor1D, spec: ConvTrainSpec): tf.Tensor4D {
  const attrs = { strides: spec.strides, pad: 'same', dataFormat: 'NHWC' };
  const forward = () => tf.fused.conv2d({ x, filter, bias, strides: spec.strides, pad: 'same' });
  const weightGradients = (input: tf.Tensor, dy: tf.Tensor): tf.Tensor[] => {
    const engine = tf.engine();
    if (hasKernel(CONV2D_FILTER_BIAS_GRAD)) {
      return engine.runKernel(CONV2D_FILTER_BIAS_GRAD, { x: input, dy }, { ...attrs, filterShape: filter.shape }) as tf.Tensor[];
    }
    const dw = engine.runKernel('Conv2DBackpropFilter', { x: input, dy }, { ...attrs, filterShape: filter.shape }) as tf.Tensor;
    return [dw, tf.sum(dy, [0, 1, 2])];
  };
  // x is saved (the model may dispose it before the backward pass); filter is a variable.
  if (!spec.inputGradient) {
    const op = tf.customGrad((_filter, _bias, save) => {
      (save as tf.GradSaveFunc)([x]);
      return { value: forward(), gradFunc: (dy, [input]) => weightGradients(input!, dy as tf.Tensor) };
    });
    return op(filter, bias) as tf.Tensor4D;
  }
  const op = tf.customGrad((_x, _filter, _bias, save) => {
    (save as tf.GradSaveFunc)([x]);
    return {
      value: forward(),
      gradFunc: (dy, [input]) => {
        const dyTensor = dy as tf.Tensor;
        const dx = tf.engine().runKernel('Conv2DBackpropInput', { dy: dyTensor, filter }, { ...attrs, inputShape: x.shape }) as tf.Tensor;
        return [dx, ...weightGradients(input!, dyTensor)];
      },
    };
  });
  return op(x, filter, bias) as tf.Tensor4D;
}
