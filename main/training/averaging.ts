/**
 * Weight averaging of several epochs' checkpoints (SWA-style, Izmailov et al. 2018), used to make
 * the shipped `best` checkpoint less dependent on which single epoch happened to score well on a
 * small validation set.
 *
 * - `SnapshotKeeper` keeps in memory the weight snapshots of the epochs to average: the last K
 *   epochs (`last`) or the K epochs with the best selection metric (`top`). A snapshot is a copy of
 *   every weight of the model (trainable and not), in `model.weights` order.
 * - `averageSnapshots` is the element-wise mean. Batch-norm moving statistics are averaged too,
 *   which is only an approximation: the statistics of an averaged network are not the average of
 *   the statistics; `recomputeBatchNormStatistics` replaces them with the exact population mean and
 *   (unbiased) variance of each batch-norm input over the given examples, as torch's
 *   `swa_utils.update_bn` does (the cumulative mean of the per-batch statistics, no augmentation).
 */
import * as tf from '@tensorflow/tfjs';
import { BatchNorm } from '../models/layers';
import { modelInputs } from '../models/mask';
import type { Examples } from '../models/predict';

import type { WeightAveraging } from '../schema/names';

/** A copy of every weight of a model, in `model.weights` order. */
export type WeightSnapshot = Float32Array[];

export async function snapshotWeights(model: tf.LayersModel): Promise<WeightSnapshot> {
  return Promise.all(model.weights.map(async (w) => ((await w.read().data()) as Float32Array).slice()));
}

export function loadSnapshot(model: tf.LayersModel, snapshot: WeightSnapshot): void {
  const weights = model.weights;
  if (snapshot.length !== weights.length) throw new Error(`snapshot has ${snapshot.length} weights, the model ${weights.length}`);
  weights.forEach((w, i) => {
    const values = snapshot[i]!;
    if (values.length !== tf.util.sizeFromShape(w.shape as number[]))
      throw new Error(`snapshot weight ${w.name} has ${values.length} values, expected shape [${w.shape.join(', ')}]`);
    const tensor = tf.tensor(values, w.shape as number[], 'float32');
    w.write(tensor);
    tensor.dispose();
  });
}

/** The element-wise mean of snapshots of one model (at least one). */
export function averageSnapshots(snapshots: readonly WeightSnapshot[]): WeightSnapshot {
  if (snapshots.length === 0) throw new Error('nothing to average: no snapshots');
  const first = snapshots[0]!;
  return first.map((values, j) => {
    const sum = new Float64Array(values.length);
    for (const snapshot of snapshots) {
      const other = snapshot[j]!;
      if (other.length !== values.length) throw new Error(`snapshots disagree on the size of weight ${j}`);
      for (let k = 0; k < sum.length; k++) sum[k]! += other[k]!;
    }
    const mean = new Float32Array(values.length);
    for (let k = 0; k < sum.length; k++) mean[k] = sum[k]! / snapshots.length;
    return mean;
  });
}

export interface KeptSnapshot {
  epoch: number;
  value: number;
  weights: WeightSnapshot;
}

export interface SnapshotKeeperOptions {
  mode: Exclude<WeightAveraging, 'none'>;
  count: number;
  /** Direction of the selection metric (`top` mode): larger or smaller is better. */
  metricMode: 'max' | 'min';
}

/**
 * Keeps the snapshots to average. `offer` takes the snapshot lazily, so epochs that would not be
 * kept are never copied. In `top` mode ties favour the later epoch (more training, same score).
 */
export class SnapshotKeeper {
  private kept: KeptSnapshot[] = [];

  constructor(private readonly options: SnapshotKeeperOptions) {
    if (!(Number.isInteger(options.count) && options.count >= 1))
      throw new Error(`averaging count must be a positive integer, got ${options.count}`);
  }

  /** Offers an epoch; returns whether it was kept. */
  offer(epoch: number, value: number, take: () => WeightSnapshot): boolean {
    const { mode, count, metricMode } = this.options;
    if (mode === 'last') {
      this.kept.push({ epoch, value, weights: take() });
      if (this.kept.length > count) this.kept.shift();
      return true;
    }
    if (!Number.isFinite(value)) return false;
    const better = (a: number, b: number) => (metricMode === 'max' ? a >= b : a <= b);
    if (this.kept.length >= count) {
      // The worst kept one (earliest among equals) makes way if this epoch is at least as good.
      let worst = 0;
      for (let i = 1; i < this.kept.length; i++) {
        const a = this.kept[i]!;
        const w = this.kept[worst]!;
        if (a.value === w.value ? a.epoch < w.epoch : better(w.value, a.value)) worst = i;
      }
      if (!better(value, this.kept[worst]!.value)) return false;
      this.kept.splice(worst, 1);
    }
    this.kept.push({ epoch, value, weights: take() });
    this.kept.sort((a, b) => a.epoch - b.epoch);
    return true;
  }

  get snapshots(): readonly KeptSnapshot[] {
    return this.kept;
  }

  get epochs(): number[] {
    return this.kept.map((k) => k.epoch);
  }

  average(): WeightSnapshot {
    return averageSnapshots(this.kept.map((k) => k.weights));
  }
}

/**
 * Sets every batch-norm layer's moving mean and variance to the statistics of its input over the
 * examples (count × rows × frames, row-major; a masked model counts each clip's real frames
 * only), in batches of `batchSize`, in training mode without augmentation: per batch the layer's
 * own update runs with momentum i/(i+1), which makes the moving value the cumulative mean of the
 * per-batch statistics. Returns the number of batch-norm layers updated (0: nothing to do, no
 * forward pass is made). Dropout layers run in training mode during these passes; none of our
 * models has dropout before a batch norm, so the statistics are unaffected.
 */
export function recomputeBatchNormStatistics(
  model: tf.LayersModel,
  examples: Examples,
  shape: { rows: number; frames: number },
  batchSize = 64,
): number {
  const { x, count, validFrames } = examples;
  const layers = model.layers.filter((l): l is BatchNorm => l instanceof BatchNorm);
  if (layers.length === 0 || count === 0) return 0;
  const slot = shape.rows * shape.frames;
  // BatchNorm reads its momentum at each call; it is declared readonly for users, not for us.
  const mutable = layers as unknown as { momentum: number }[];
  const saved = mutable.map((l) => l.momentum);
  try {
    for (let start = 0, i = 0; start < count; start += batchSize, i++) {
      const n = Math.min(batchSize, count - start);
      for (const layer of mutable) layer.momentum = i / (i + 1);
      tf.tidy(() => {
        const xs = tf.tensor4d(x.subarray(start * slot, (start + n) * slot), [n, shape.rows, shape.frames, 1]);
        model.apply(modelInputs(model, xs, validFrames, start), { training: true });
      });
    }
  } finally {
    mutable.forEach((l, i) => (l.momentum = saved[i]!));
  }
  return layers.length;
}
