/**
 * The inner cross-validation that chooses a classifier's hyper-parameters: folds grouped by
 * speaker (a speaker's clips are all in one fold, so every candidate is scored on speakers it was
 * not fitted on), each candidate scored by the UAR of its pooled out-of-fold predictions; the
 * best wins, the earlier (simpler) candidate on a tie. It sees only the examples it is given: the
 * training job gives it the non-test part, so test speakers never choose a hyper-parameter.
 */
import { createRng } from '../../util/random';
import type { HyperParameters, Learner, TrainingData } from './learner';
import { argmaxRows, unweightedAverageRecall } from './vectors';

export interface SpeakerFolds {
  /** The fold of each example. */
  fold: Int32Array;
  /** The speakers of each fold (a clip without a speaker id is a group of its own: `clip <index>`). */
  speakers: string[][];
}

/**
 * Assigns whole speakers to `folds` folds (fewer when there are fewer speakers): the speakers in
 * a seeded random order, dealt round-robin.
 */
export function speakerFolds(speakers: readonly string[], folds: number, seed: number): SpeakerFolds {
  const groupOf = (i: number): string => speakers[i] || `clip ${i}`;
  const groups = [...new Set(speakers.map((_, i) => groupOf(i)))].sort();
  if (groups.length < 2)
    throw new Error(`the inner cross-validation needs at least 2 speakers in the training part, found ${groups.length}`);
  const count = Math.min(folds, groups.length);
  createRng(seed).shuffle(groups);
  const foldOf = new Map(groups.map((group, i) => [group, i % count]));
  const fold = Int32Array.from(speakers, (_, i) => foldOf.get(groupOf(i))!);
  const members: string[][] = Array.from({ length: count }, () => []);
  for (const group of groups) members[foldOf.get(group)!]!.push(group);
  return { fold, speakers: members.map((m) => m.sort()) };
}

export interface CandidateScore {
  hyperParameters: HyperParameters;
  /** UAR of the pooled out-of-fold predictions. */
  uar: number;
}

export interface SearchResult {
  candidates: CandidateScore[];
  chosen: HyperParameters;
  /** The chosen candidate's out-of-fold scores (n × numClasses). */
  outOfFold: Float64Array;
}

/** Scores every candidate on the folds and picks the best. */
export function searchHyperParameters<P>(
  learner: Learner<P>,
  data: TrainingData,
  folds: SpeakerFolds,
  candidates: readonly HyperParameters[],
  cache: Map<string, unknown>,
  onCandidate?: (score: CandidateScore) => void,
): SearchResult {
  const { n } = data.vectors;
  const K = data.numClasses;
  const foldCount = folds.speakers.length;
  const parts = Array.from({ length: foldCount }, (_, f) => ({
    train: Int32Array.from({ length: n }, (_, i) => i).filter((i) => folds.fold[i] !== f),
    held: Int32Array.from({ length: n }, (_, i) => i).filter((i) => folds.fold[i] === f),
  }));
  let best: { index: number; uar: number; outOfFold: Float64Array } | null = null;
  const scores: CandidateScore[] = [];
  candidates.forEach((h, index) => {
    const outOfFold = new Float64Array(n * K);
    for (const { train, held } of parts) {
      const heldScores = learner.crossScores(data, train, held, h, cache);
      held.forEach((i, r) => outOfFold.set(heldScores.subarray(r * K, (r + 1) * K), i * K));
    }
    const uar = unweightedAverageRecall(data.y, argmaxRows(outOfFold, K), K);
    const score = { hyperParameters: h, uar };
    scores.push(score);
    onCandidate?.(score);
    if (!best || uar > best.uar) best = { index, uar, outOfFold };
  });
  const chosen = best as { index: number; uar: number; outOfFold: Float64Array } | null;
  if (!chosen) throw new Error('the hyper-parameter grid is empty');
  return { candidates: scores, chosen: candidates[chosen.index]!, outOfFold: chosen.outOfFold };
}
