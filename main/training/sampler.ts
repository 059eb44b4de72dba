/**
 * Per-epoch sample order. Plain mode mirrors a DataLoader with shuffle=True: a permutation of all
 * indices. Balanced mode mirrors WeightedRandomSampler with weights 1/count(class) and
 * replacement=True: each draw picks a class uniformly (among classes present), then a sample of
 * that class uniformly, for the same number of draws as there are samples.
 * The order depends only on (seed, epoch), so a resumed run replays the same batches.
 */
import { createRng } from '../util/random';

export interface EpochOrderOptions {
  seed: number;
  epoch: number;
  balanced: boolean;
}

export function epochOrder(labels: number[], options: EpochOrderOptions): number[] {
  const rng = createRng(mixSeed(options.seed, options.epoch));
  if (!options.balanced) return rng.shuffle(labels.map((_, i) => i));

  const members = new Map<number, number[]>();
  labels.forEach((label, i) => {
    const list = members.get(label);
    if (list === undefined) members.set(label, [i]);
    else list.push(i);
  });
  const classes = [...members.keys()].sort((a, b) => a - b);
  const order: number[] = [];
  for (let i = 0; i < labels.length; i++) {
    const list = members.get(classes[rng.int(classes.length)]!)!;
    order.push(list[rng.int(list.length)]!);
  }
  return order;
}

/**
 * Splits an epoch's order into batches of `batchSize`. `dropLast` drops a short last batch;
 * `foldShortLast` folds a last batch of fewer than half a batch into the one before it (so that
 * batch has up to 1.5 × batchSize samples). Training folds: a run alone, a tiny last batch gives one
 * or two samples' statistics a full 10 % of the batch-norm moving averages and AdamW a full-size
 * step on their gradient, right before every validation (EmoDB with three held-out speakers:
 * 385 = 6 · 64 + 1 clips) — the validation scores jumped from epoch to epoch because of it.
 */
export function batches(order: number[], batchSize: number, options: { dropLast?: boolean; foldShortLast?: boolean } = {}): number[][] {
  if (!(batchSize >= 1)) throw new Error(`Batch size must be at least 1, got ${batchSize}`);
  const result: number[][] = [];
  for (let start = 0; start < order.length; start += batchSize) {
    const batch = order.slice(start, start + batchSize);
    if (batch.length < batchSize && options.dropLast) break;
    if (batch.length < batchSize / 2 && options.foldShortLast && result.length > 0) {
      result[result.length - 1]!.push(...batch);
      break;
    }
    result.push(batch);
  }
  return result;
}

/** How many batches `batches(…, { foldShortLast: true })` makes of `count` samples. */
export function foldedBatchCount(count: number, batchSize: number): number {
  const full = Math.floor(count / batchSize);
  const rest = count - full * batchSize;
  return rest === 0 ? full : rest < batchSize / 2 && full > 0 ? full : full + 1;
}

/**
 * Combines seed and epoch into one well-mixed 32-bit seed (murmur3 finaliser). mulberry32 seeds
 * that differ by its increment would give shifted copies of one stream, so seed + epoch won't do.
 */
function mixSeed(seed: number, epoch: number): number {
  let h = (seed ^ Math.imul(epoch + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
