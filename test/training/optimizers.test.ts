import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it } from 'vitest';
import { createOptimizer, type OptimizerConfig } from '../../main/training/optimizers';

// Expected values: PyTorch's update formulas evaluated by hand in float64 (see the header of
// optimizers.ts), for a scalar parameter starting at 1.0 with gradients 0.5, −0.3, 0.2 and lr 0.1.
const GRADS = [0.5, -0.3, 0.2];

const created: tf.Variable[] = [];
function scalarVariable(value: number, shape: number[] = []): tf.Variable {
  const v = tf.tidy(() => tf.variable(tf.fill(shape, value)));
  created.push(v);
  return v;
}
afterEach(() => {
  for (const v of created.splice(0)) v.dispose();
});

function trajectory(config: OptimizerConfig, start = 1, grads = GRADS): number[] {
  const optimizer = createOptimizer(config);
  const p = scalarVariable(start);
  const values: number[] = [];
  for (const g of grads) {
    const grad = tf.scalar(g);
    optimizer.applyGradients({ [p.name]: grad }, [p]);
    grad.dispose();
    values.push(p.dataSync()[0]!);
  }
  optimizer.dispose();
  return values;
}

function expectClose(actual: number[], expected: number[], tolerance = 1e-6): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((a, i) => expect(Math.abs(a - expected[i]!)).toBeLessThan(tolerance));
}

describe('createOptimizer', () => {
  it('AdamW matches torch.optim.AdamW (decoupled decay, bias correction)', () => {
    // Step 1 by hand: p = 1·(1 − 0.1·0.01) = 0.999; m̂ = 0.5, √v̂ = 0.5 → p = 0.999 − 0.1 = 0.899.
    expectClose(trajectory({ name: 'adamw', learningRate: 0.1, weightDecay: 0.01 }), [0.899000002, 0.878951198939775, 0.8433294795899421]);
    expectClose(
      trajectory({ name: 'adamw', learningRate: 0.1, weightDecay: 0.01 }, -2, [-1, 0.25, 0]),
      [-1.898000001, -1.8491551845224583, -1.8110160042471342],
    );
  });

  it('Adam matches torch.optim.Adam, with weight decay as coupled L2', () => {
    expectClose(trajectory({ name: 'adam', learningRate: 0.1, weightDecay: 0 }), [0.900000002, 0.8808501989417751, 0.8461074307908819]);
    expectClose(
      trajectory({ name: 'adam', learningRate: 0.1, weightDecay: 0.01 }),
      [0.9000000019607842, 0.8787012438702136, 0.8417716298330954],
    );
  });

  it('SGD matches torch.optim.SGD with and without momentum', () => {
    expectClose(trajectory({ name: 'sgd', learningRate: 0.1, weightDecay: 0.01, momentum: 0.9 }), [0.949, 0.932151, 0.896054749]);
    expectClose(trajectory({ name: 'sgd', learningRate: 0.1, weightDecay: 0 }), [0.95, 0.98, 0.96]);
  });

  it("decays every variable by default and skips rank ≤ 1 ones with 'skip-bias-norm'", () => {
    for (const decayScope of ['all', 'skip-bias-norm'] as const) {
      const optimizer = createOptimizer({ name: 'adamw', learningRate: 0.1, weightDecay: 0.01, decayScope });
      const kernel = scalarVariable(1, [1, 1]);
      const bias = scalarVariable(1, [1]);
      const grads = { [kernel.name]: tf.fill([1, 1], 0.5), [bias.name]: tf.fill([1], 0.5) };
      optimizer.applyGradients(grads, [kernel, bias]);
      tf.dispose(Object.values(grads));
      expect(kernel.dataSync()[0]).toBeCloseTo(0.899, 6);
      expect(bias.dataSync()[0]).toBeCloseTo(decayScope === 'all' ? 0.899 : 0.9, 6);
      optimizer.dispose();
    }
  });

  it('a learning-rate change takes effect on the next step and keeps the moments', () => {
    const optimizer = createOptimizer({ name: 'adamw', learningRate: 0.1, weightDecay: 0 });
    const p = scalarVariable(1);
    const step = (g: number): void => {
      const grad = tf.scalar(g);
      optimizer.applyGradients({ [p.name]: grad }, [p]);
      grad.dispose();
    };
    step(0.5);
    optimizer.learningRate = 0.01;
    step(-0.3);
    // Step 2 from p = 0.9 with moments kept: m = 0.015, v = 0.00034975 (bias-corrected by t = 2).
    const m = 0.9 * 0.05 + 0.1 * -0.3;
    const v = 0.999 * 0.00025 + 0.001 * 0.09;
    const expected = 0.9 - (0.01 / (1 - 0.81)) * (m / (Math.sqrt(v) / Math.sqrt(1 - 0.999 ** 2) + 1e-8));
    expect(p.dataSync()[0]).toBeCloseTo(expected, 6);
    optimizer.dispose();
  });

  it('skips variables without a gradient', () => {
    const optimizer = createOptimizer({ name: 'sgd', learningRate: 0.1, weightDecay: 0.5 });
    const a = scalarVariable(1);
    const b = scalarVariable(1);
    const grad = tf.scalar(1);
    optimizer.applyGradients({ [a.name]: grad }, [a, b]);
    grad.dispose();
    expect(a.dataSync()[0]).toBeCloseTo(0.85, 6);
    expect(b.dataSync()[0]).toBe(1);
    optimizer.dispose();
  });

  it('getState/setState resumes exactly where it left off', () => {
    const config: OptimizerConfig = { name: 'adamw', learningRate: 0.1, weightDecay: 0.01 };
    const first = createOptimizer(config);
    const p = scalarVariable(1, [2]);
    const apply = (opt: ReturnType<typeof createOptimizer>, g: number): void => {
      const grad = tf.fill([2], g);
      opt.applyGradients({ [p.name]: grad }, [p]);
      grad.dispose();
    };
    apply(first, 0.5);
    const state = JSON.parse(JSON.stringify(first.getState()));
    first.dispose();
    const resumed = createOptimizer(config);
    resumed.setState(state);
    apply(resumed, -0.3);
    apply(resumed, 0.2);
    expect(p.dataSync()[0]).toBeCloseTo(0.8433294795899421, 6);
    expect(() => createOptimizer({ ...config, name: 'sgd' }).setState(state)).toThrow(/adamw/);
    resumed.dispose();
  });

  it('leaks no tensors across steps and frees its state on dispose', () => {
    for (const name of ['adamw', 'adam', 'sgd'] as const) {
      const before = tf.memory().numTensors;
      const optimizer = createOptimizer({ name, learningRate: 0.01, weightDecay: 0.01, momentum: 0.9 });
      const w = scalarVariable(0.5, [3, 4]);
      const grads = { [w.name]: tf.ones([3, 4]) };
      optimizer.applyGradients(grads, [w]);
      const afterFirst = tf.memory().numTensors;
      for (let i = 0; i < 5; i++) optimizer.applyGradients(grads, [w]);
      expect(tf.memory().numTensors).toBe(afterFirst);
      tf.dispose(Object.values(grads));
      optimizer.dispose();
      w.dispose();
      expect(tf.memory().numTensors).toBe(before);
    }
  });
});
