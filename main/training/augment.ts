/**
 * CPU-side training augmentation on a batch of standardised feature matrices, stored row-major as
 * one Float32Array [batch][rows][frames]. Each clip independently gets, with the Python
 * prototype's probabilities and in this order:
 *
 * - circular time shift (p .3): np.roll along time by a non-zero shift of up to ±20 % of the frames
 *   (non-zero so that p is the real chance a clip moves);
 * - gaussian noise (p .3): + N(0, 0.05²). The features are standardised per coefficient, so 0.05 is
 *   5 % of each coefficient's training-set spread: a small jitter that keeps the clip recognisable;
 * - frequency mask (p .2): SpecAugment — one band of 1..8 consecutive rows set to 0;
 * - time mask (p .2): one run of 1..10 consecutive frames set to 0.
 *   0 is the training mean after standardisation, i.e. "no information".
 *
 * Optional mixup (Zhang et al. 2018, as in their reference code): one λ ~ Beta(α, α) per batch,
 * x_i ← λ·x_i + (1−λ)·x_π(i) for a random permutation π, soft targets λ·onehot(y_i) +
 * (1−λ)·onehot(y_π(i)). α = 0.2 is the usual value; 0 turns it off.
 *
 * Every random draw comes from the given Rng, so a seed reproduces the batch exactly. Do not call
 * this at evaluation time (NO_AUGMENT leaves the batch unchanged).
 *
 * For a masked model the batch carries each clip's real frame count (validFrames), and the
 * padding stays padding: the time shift rolls only the real frames (by up to ±20 % of them) and
 * the time mask falls inside them, so the frame mask needs no change; a mixup clip is real where
 * either of its two clips is. Without validFrames (seed-cnn, the prototype) the whole matrix is
 * rolled and masked, as the prototype did.
 */
import type { Rng } from '../util/random';

export interface AugmentConfig {
  /** Probability per clip of each transform. */
  noise: number;
  timeShift: number;
  freqMask: number;
  timeMask: number;
  /** Beta(α, α) parameter for mixup; 0 = off. */
  mixupAlpha: number;
  /**
   * Speed perturbation happens before this module, at feature extraction: the training job adds
   * the training clips at 0.9 and 1.1 speed as examples of their own (pipeline/speedPerturb.ts).
   */
  speedPerturb: boolean;
}

export const PROTOTYPE_AUGMENT: AugmentConfig = {
  noise: 0.3,
  timeShift: 0.3,
  freqMask: 0.2,
  timeMask: 0.2,
  mixupAlpha: 0,
  speedPerturb: false,
};
export const NO_AUGMENT: AugmentConfig = { noise: 0, timeShift: 0, freqMask: 0, timeMask: 0, mixupAlpha: 0, speedPerturb: false };

export const NOISE_STD = 0.05;
export const MAX_SHIFT_FRACTION = 0.2;
export const MAX_FREQ_MASK_ROWS = 8;
export const MAX_TIME_MASK_FRAMES = 10;

export interface FeatureBatch {
  /** [batch][rows][frames], row-major. Augmented IN PLACE. */
  features: Float32Array;
  labels: ArrayLike<number>;
  batch: number;
  rows: number;
  frames: number;
  numClasses: number;
  /** Real frames of each clip (the rest is padding); absent: the whole matrix is treated as signal. */
  validFrames?: Int32Array;
}

export interface AugmentedBatch {
  /** `input.features` itself, or a new array when mixup ran. */
  features: Float32Array;
  /** `input.validFrames` itself, or a new array when mixup ran (absent when the input had none). */
  validFrames?: Int32Array;
  /** [batch][numClasses] soft targets when mixup ran, otherwise null (use the hard labels). */
  targets: Float32Array | null;
}

/**
 * Augments the batch in place (no per-batch 1 MB allocation: the caller's batch buffer is already
 * a fresh copy of the cached features). Mixup, when on, returns a new feature array.
 */
export function augmentBatch(input: FeatureBatch, config: AugmentConfig, rng: Rng): AugmentedBatch {
  const { batch, rows, frames } = input;
  const clipSize = rows * frames;
  if (input.features.length !== batch * clipSize) {
    throw new Error(`Feature batch has ${input.features.length} values, expected ${batch}×${rows}×${frames}`);
  }
  const data = input.features;
  const rowScratch = new Float32Array(frames);
  for (let clip = 0; clip < batch; clip++) {
    const offset = clip * clipSize;
    // The four decisions are drawn up front, independently, before any transform's own draws.
    const doShift = rng.next() < config.timeShift;
    const doNoise = rng.next() < config.noise;
    const doFreqMask = rng.next() < config.freqMask;
    const doTimeMask = rng.next() < config.timeMask;
    // The frames the time transforms work in: the real ones of a masked model's clip, else all.
    const length = input.validFrames ? Math.min(frames, input.validFrames[clip]!) : frames;
    if (doShift) timeShift(data, offset, rows, frames, length, rowScratch, rng);
    if (doNoise) addNoise(data, offset, clipSize, rng);
    if (doFreqMask) freqMask(data, offset, rows, frames, rng);
    if (doTimeMask) timeMask(data, offset, rows, frames, length, rng);
  }
  if (config.mixupAlpha > 0) return mixup(input, config.mixupAlpha, rng);
  return { features: data, targets: null, ...(input.validFrames ? { validFrames: input.validFrames } : {}) };
}

/**
 * Rolls the first `length` frames of every row of one clip along time (np.roll semantics within
 * them: out[(t + s) mod length] = in[t]); the frames after them stay where they are.
 */
function timeShift(
  data: Float32Array,
  offset: number,
  rows: number,
  frames: number,
  length: number,
  scratch: Float32Array,
  rng: Rng,
): void {
  const maxShift = Math.floor(length * MAX_SHIFT_FRACTION);
  if (maxShift === 0) return;
  const magnitude = 1 + rng.int(maxShift);
  const shift = rng.next() < 0.5 ? magnitude : length - magnitude;
  for (let r = 0; r < rows; r++) {
    const base = offset + r * frames;
    for (let t = 0; t < length; t++) scratch[t] = data[base + t]!;
    for (let t = 0; t < length - shift; t++) data[base + t + shift] = scratch[t]!;
    for (let t = length - shift; t < length; t++) data[base + t + shift - length] = scratch[t]!;
  }
}

/**
 * Adds N(0, NOISE_STD²) with Marsaglia's polar method straight from uniforms: noise is the hot
 * path (a quarter of a million values per batch) and this is about twice as fast as rng.normal().
 */
function addNoise(data: Float32Array, offset: number, length: number, rng: Rng): void {
  const end = offset + length;
  let i = offset;
  while (i < end) {
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * rng.next() - 1;
      v = 2 * rng.next() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const scale = NOISE_STD * Math.sqrt((-2 * Math.log(s)) / s);
    data[i] = data[i]! + u * scale;
    i++;
    if (i < end) {
      data[i] = data[i]! + v * scale;
      i++;
    }
  }
}

function freqMask(data: Float32Array, offset: number, rows: number, frames: number, rng: Rng): void {
  const width = 1 + rng.int(Math.min(MAX_FREQ_MASK_ROWS, rows));
  const first = rng.int(rows - width + 1);
  data.fill(0, offset + first * frames, offset + (first + width) * frames);
}

/** Masks a run of frames within the first `length`. */
function timeMask(data: Float32Array, offset: number, rows: number, frames: number, length: number, rng: Rng): void {
  if (length === 0) return;
  const width = 1 + rng.int(Math.min(MAX_TIME_MASK_FRAMES, length));
  const first = rng.int(length - width + 1);
  for (let r = 0; r < rows; r++) {
    const base = offset + r * frames + first;
    data.fill(0, base, base + width);
  }
}

function mixup(input: FeatureBatch, alpha: number, rng: Rng): AugmentedBatch {
  const { features, batch, numClasses } = input;
  const clipSize = input.rows * input.frames;
  const lambda = sampleBeta(rng, alpha, alpha);
  const partner = rng.shuffle(Array.from({ length: batch }, (_, i) => i));
  const mixed = new Float32Array(features.length);
  const targets = new Float32Array(batch * numClasses);
  const valid = input.validFrames;
  const mixedValid = valid ? Int32Array.from({ length: batch }, (_, i) => Math.max(valid[i]!, valid[partner[i]!]!)) : undefined;
  for (let i = 0; i < batch; i++) {
    const a = i * clipSize;
    const b = partner[i]! * clipSize;
    for (let k = 0; k < clipSize; k++) mixed[a + k] = lambda * features[a + k]! + (1 - lambda) * features[b + k]!;
    const own = i * numClasses + input.labels[i]!;
    const other = i * numClasses + input.labels[partner[i]!]!;
    targets[own] = targets[own]! + lambda;
    targets[other] = targets[other]! + (1 - lambda);
  }
  return { features: mixed, targets, ...(mixedValid ? { validFrames: mixedValid } : {}) };
}

/** Beta(a, b) as X/(X+Y) with X ~ Gamma(a), Y ~ Gamma(b). */
export function sampleBeta(rng: Rng, a: number, b: number): number {
  const x = sampleGamma(rng, a);
  const y = sampleGamma(rng, b);
  return x / (x + y);
}

/** Marsaglia–Tsang (2000); shape < 1 via Gamma(shape+1)·U^(1/shape). */
function sampleGamma(rng: Rng, shape: number): number {
  if (shape < 1) {
    let u = 0;
    while (u === 0) u = rng.next();
    return sampleGamma(rng, shape + 1) * Math.pow(u, 1 / shape);
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = rng.normal();
    const v0 = 1 + c * x;
    if (v0 <= 0) continue;
    const v = v0 * v0 * v0;
    const u = rng.next();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}
