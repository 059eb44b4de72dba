/**
 * Normalisation fitted and applied to a feature set's split parts: the statistics come from the
 * clips a part may learn from (never from another part or another speaker), and each part comes
 * out as the standardised examples a model trains or is evaluated on.
 */
import type { Clip } from '../dataset';
import { representationInputKind } from '../schema/names';
import type { NormalizationMode } from '../schema/trainingFields';
import type { FeatureSet } from './extract';
import { fitStandardizer, normalizeClips, type ClipMatrix, type Normalizer } from './standardize';

/**
 * Standardised examples: `x` is count × rows × frames, row-major; `y` the class indices;
 * `validFrames` the real (not padding) frames of each, which a masked model's frame mask is made
 * from (absent: every frame is real).
 */
export interface LabelledSet {
  x: Float32Array;
  y: Int32Array;
  count: number;
  validFrames?: Int32Array;
}

/** Standardised examples of one split part, plus the clips they came from. */
export interface PreparedPart {
  clips: Clip[];
  set: LabelledSet;
  /** Clips that `speaker` normalisation standardised with their own statistics (no speaker id). */
  ownStatistics: Clip[];
  /** Clips of no speaker id that `speaker` normalisation of vectors standardised with the training clips' statistics. */
  globalStatistics: Clip[];
}

/** The raw matrices of the clips of `ids` that have features, with their positions in the feature set. */
function clipMatrices(features: FeatureSet, ids: readonly string[]): { positions: number[]; matrices: ClipMatrix[] } {
  const position = new Map(features.clips.map((clip, i) => [clip.id, i]));
  const slot = features.rows * features.frames;
  const positions = ids.map((id) => position.get(id)).filter((i): i is number => i !== undefined);
  const matrices = positions.map((i) => ({
    data: features.data.subarray(i * slot, (i + 1) * slot),
    validFrames: features.validFrames[i]!,
    speaker: features.clips[i]!.speaker,
  }));
  return { positions, matrices };
}

/**
 * The normaliser of a training run: `global` fits the statistics on the valid frames of the
 * training clips; `speaker` and `clip` fit theirs where they are applied (preparePart). `speaker`
 * of feature vectors also keeps the training clips' statistics, for a vector of unknown speaker.
 */
export function fitNormalizer(mode: NormalizationMode, features: FeatureSet, trainIds: readonly string[]): Normalizer {
  if (mode === 'clip') return { mode };
  if (mode === 'speaker' && representationInputKind(features.config.representation, features.config.encoderPooling) === 'matrix') {
    return { mode };
  }
  const { matrices } = clipMatrices(features, trainIds);
  const stats = fitStandardizer(
    matrices.map((m) => m.data),
    features.rows,
    features.frames,
    matrices.map((m) => m.validFrames),
  );
  return mode === 'speaker' ? { mode, globalStats: stats } : { mode, stats, maskPadding: true };
}

/**
 * Gathers the clips of `ids` from the feature set, standardised by `normalizer`. In `speaker` mode
 * each speaker's statistics come from that speaker's clips among `poolIds` (default: `ids`, the
 * part itself), so a part never borrows statistics from another part or another speaker.
 */
export function preparePart(
  features: FeatureSet,
  ids: readonly string[],
  labels: readonly string[],
  normalizer: Normalizer,
  poolIds: readonly string[] = ids,
): PreparedPart {
  const labelIndex = new Map(labels.map((label, i) => [label, i]));
  const slot = features.rows * features.frames;
  const { positions, matrices } = clipMatrices(features, ids);
  const pool = poolIds === ids ? matrices : clipMatrices(features, poolIds).matrices;
  const normalized = normalizeClips(matrices, normalizer, features.rows, features.frames, pool);
  const x = new Float32Array(positions.length * slot);
  const y = new Int32Array(positions.length);
  const validFrames = new Int32Array(positions.length);
  positions.forEach((i, row) => {
    x.set(normalized.matrices[row]!, row * slot);
    y[row] = labelIndex.get(features.clips[i]!.label) ?? -1;
    validFrames[row] = features.validFrames[i]!;
  });
  const clips = positions.map((i) => features.clips[i]!);
  return {
    clips,
    set: { x, y, count: positions.length, validFrames },
    ownStatistics: normalized.ownStatistics.map((row) => clips[row]!),
    globalStatistics: normalized.globalStatistics.map((row) => clips[row]!),
  };
}
