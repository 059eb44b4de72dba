/**
 * Speed perturbation for a training job (Ko et al. 2015, the Kaldi recipe's 0.9 / 1.0 / 1.1):
 * the training clips' features at the other speeds, as extra training examples. Validation and
 * test clips are never perturbed, and the standardiser keeps the statistics of the unperturbed
 * training clips. Each speed has a feature cache of its own (features/extract.ts).
 */
import type { ScanResult } from '../dataset';
import type { FeatureConfig } from '../features/config';
import { extractFeatures, type ExtractOptions, type FeatureSet } from '../features/extract';
import type { PreparedPart } from '../features/prepare';

/** The speeds added beside the clips as recorded. */
export const SPEED_FACTORS = [0.9, 1.1] as const;

/** Features of the training clips (and no others) at each of SPEED_FACTORS. */
export async function speedPerturbedSets(
  scan: ScanResult,
  trainIds: ReadonlySet<string>,
  config: FeatureConfig,
  options: Omit<ExtractOptions, 'speed'>,
): Promise<FeatureSet[]> {
  const trainScan: ScanResult = { ...scan, clips: scan.clips.filter((clip) => trainIds.has(clip.id)) };
  const sets: FeatureSet[] = [];
  for (const speed of SPEED_FACTORS) {
    const set = await extractFeatures(trainScan, config, { ...options, speed });
    if (set.cancelled) throw new Error('cancelled during feature extraction');
    sets.push(set);
  }
  return sets;
}

/** The parts' examples one after the other (all of one example shape). */
export function concatParts(parts: readonly PreparedPart[]): PreparedPart {
  const count = parts.reduce((sum, part) => sum + part.set.count, 0);
  const x = new Float32Array(parts.reduce((sum, part) => sum + part.set.x.length, 0));
  const y = new Int32Array(count);
  // A part without validFrames is all real frames: its slot width, x.length / count.
  const validFrames = new Int32Array(count);
  let at = 0;
  let row = 0;
  for (const part of parts) {
    x.set(part.set.x, at);
    y.set(part.set.y, row);
    if (part.set.validFrames) validFrames.set(part.set.validFrames, row);
    else if (part.set.count > 0) validFrames.fill(part.set.x.length / part.set.count, row, row + part.set.count);
    at += part.set.x.length;
    row += part.set.count;
  }
  return {
    clips: parts.flatMap((part) => part.clips),
    set: { x, y, count, validFrames },
    ownStatistics: parts.flatMap((part) => part.ownStatistics),
    globalStatistics: parts.flatMap((part) => part.globalStatistics),
  };
}
