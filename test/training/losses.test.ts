import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { computeClassWeights, focalLoss, softmaxCrossEntropy, softTargetCrossEntropy } from '../../main/training/losses';

// Expected values computed by hand (numpy, float64) from F.cross_entropy's definition.
const LOGITS = [
  [2, 1, 0],
  [0.5, 0.5, 2],
  [0, 3, -1],
];
const LABELS = [0, 2, 1];
const WEIGHTS = [1, 2, 0.5];

function withInputs<T>(fn: (logits: tf.Tensor2D, labels: tf.Tensor1D) => T): T {
  const logits = tf.tensor2d(LOGITS);
  const labels = tf.tensor1d(LABELS, 'int32');
  try {
    return fn(logits, labels);
  } finally {
    logits.dispose();
    labels.dispose();
  }
}

function value(loss: tf.Scalar): number {
  const v = loss.dataSync()[0]!;
  loss.dispose();
  return v;
}

describe('softmaxCrossEntropy', () => {
  it('is the batch mean of −log p_y without weights', () => {
    withInputs((logits, labels) => {
      expect(value(softmaxCrossEntropy(logits, labels))).toBeCloseTo(0.28082366786770824, 5);
    });
  });

  it('uses PyTorch weighted mean Σ w_y·loss / Σ w_y', () => {
    withInputs((logits, labels) => {
      const weighted = value(softmaxCrossEntropy(logits, labels, { classWeights: WEIGHTS }));
      expect(weighted).toBeCloseTo(0.20681838275997036, 5);
      // Up-weighting the worst-predicted class (0) raises the loss; up-weighting the best lowers it.
      const up0 = value(softmaxCrossEntropy(logits, labels, { classWeights: [5, 1, 1] }));
      const up1 = value(softmaxCrossEntropy(logits, labels, { classWeights: [1, 5, 1] }));
      expect(up0).toBeGreaterThan(0.28082366786770824);
      expect(up1).toBeLessThan(0.28082366786770824);
      // Uniform weights of any scale change nothing.
      expect(value(softmaxCrossEntropy(logits, labels, { classWeights: [3, 3, 3] }))).toBeCloseTo(0.28082366786770824, 5);
    });
  });

  it('applies label smoothing as PyTorch does, with and without weights', () => {
    withInputs((logits, labels) => {
      expect(value(softmaxCrossEntropy(logits, labels, { labelSmoothing: 0.1 }))).toBeCloseTo(0.42526811231215267, 5);
      expect(value(softmaxCrossEntropy(logits, labels, { labelSmoothing: 0.1, classWeights: WEIGHTS }))).toBeCloseTo(0.3332665303183632, 5);
    });
  });

  it('has the softmax − onehot gradient and leaks nothing', () => {
    withInputs((logits, labels) => {
      const before = tf.memory().numTensors;
      const grad = tf.grad((x: tf.Tensor) => softmaxCrossEntropy(x as tf.Tensor2D, labels))(logits);
      const error = tf.tidy(() => tf.sub(tf.softmax(logits), tf.oneHot(labels, 3).toFloat()).div(3).sub(grad).abs().max());
      expect(error.dataSync()[0]).toBeLessThan(1e-6);
      tf.dispose([grad, error]);
      const loss = softmaxCrossEntropy(logits, labels, { classWeights: WEIGHTS, labelSmoothing: 0.1 });
      loss.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  });
});

describe('softTargetCrossEntropy', () => {
  it('is mean_i −Σ_c w_c·t_ic·log p_ic and equals the hard loss for one-hot targets', () => {
    withInputs((logits, labels) => {
      const soft = tf.tensor2d([
        [0.7, 0.3, 0],
        [0, 0, 1],
        [0.2, 0.8, 0],
      ]);
      expect(value(softTargetCrossEntropy(logits, soft))).toBeCloseTo(0.5808236678677082, 5);
      expect(value(softTargetCrossEntropy(logits, soft, { classWeights: WEIGHTS }))).toBeCloseTo(0.6776564494139081, 5);
      const hard = tf.oneHot(labels, 3).toFloat() as tf.Tensor2D;
      expect(value(softTargetCrossEntropy(logits, hard, { labelSmoothing: 0.1 }))).toBeCloseTo(0.42526811231215267, 5);
      tf.dispose([soft, hard]);
    });
  });
});

describe('focalLoss', () => {
  it('matches −(1−p)^γ·log p, weighted like the cross entropy', () => {
    withInputs((logits, labels) => {
      expect(value(focalLoss(logits, labels))).toBeCloseTo(0.027025473647735405, 5);
      expect(value(focalLoss(logits, labels, { classWeights: WEIGHTS }))).toBeCloseTo(0.01822253601991709, 5);
      expect(value(focalLoss(logits, labels, { gamma: 0, classWeights: WEIGHTS }))).toBeCloseTo(0.20681838275997036, 5);
    });
  });

  it('has finite gradients even for a saturated prediction', () => {
    const logits = tf.tensor2d([[100, 0, 0]]);
    const labels = tf.tensor1d([0], 'int32');
    for (const gamma of [0, 2]) {
      const grad = tf.grad((x: tf.Tensor) => focalLoss(x as tf.Tensor2D, labels, { gamma }))(logits);
      expect(grad.dataSync().every(Number.isFinite)).toBe(true);
      grad.dispose();
    }
    tf.dispose([logits, labels]);
  });
});

describe('computeClassWeights', () => {
  it("gives sklearn's balanced weights n / (C·count) and reports absent classes with weight 0", () => {
    const labels = [0, 0, 0, 1, 2, 2];
    expect(computeClassWeights(labels, 3, 'balanced')).toEqual({ weights: [6 / 9, 6 / 3, 6 / 6], absentClasses: [] });
    expect(computeClassWeights(labels, 4, 'balanced')).toEqual({
      weights: [6 / 12, 6 / 4, 6 / 8, 0],
      absentClasses: [3],
    });
    expect(computeClassWeights(labels, 4, 'none')).toEqual({ weights: [1, 1, 1, 1], absentClasses: [3] });
    expect(() => computeClassWeights([0, 3], 3, 'balanced')).toThrow(/outside/);
  });
});
