/**
 * Late fusion: the class probabilities of several members that predicted the same clips, averaged
 * clip by clip, become one derived member whose prediction is the most probable class. Two uses:
 * the seeds of one grid cell (a seed ensemble) and several cells of a study (e.g. a CRNN on MFCC
 * with an SVM on functionals), fold by fold.
 */
import type { MemberPredictions } from './pooled';
import type { ClipPrediction } from './types';

/** The seed a seed ensemble's derived members carry: their probabilities average every seed. */
export const ENSEMBLE_SEED = -1;

/** A named set of members to fuse (a cell, or a cell's seed ensemble). */
export interface FusionSource {
  name: string;
  members: readonly MemberPredictions[];
}

/** The index of the largest value (the first of equal ones). */
function argmax(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

/**
 * Averages the probabilities of prediction sets that cover the same clips (each a member's test
 * predictions, named for the errors). Refuses sets whose clips or true labels differ.
 */
export function averagePredictions(
  sets: readonly { name: string; predictions: readonly ClipPrediction[] }[],
  labels: readonly string[],
): ClipPrediction[] {
  if (sets.length === 0) throw new Error('fusion needs at least one member');
  const [first, ...rest] = sets;
  const others = rest.map((set) => {
    const byClip = new Map(set.predictions.map((p) => [p.clipId, p]));
    if (byClip.size !== set.predictions.length) throw new Error(`${set.name} predicts a clip twice`);
    if (set.predictions.length !== first!.predictions.length) {
      throw new Error(
        `${first!.name} predicts ${first!.predictions.length} clips and ${set.name} ${set.predictions.length}: fusion needs the same clips`,
      );
    }
    return { name: set.name, byClip };
  });
  return first!.predictions.map((p) => {
    if (p.probabilities.length !== labels.length)
      throw new Error(`${first!.name}: clip ${p.clipId} has ${p.probabilities.length} probabilities for ${labels.length} labels`);
    const sum = [...p.probabilities];
    for (const other of others) {
      const q = other.byClip.get(p.clipId);
      if (!q) throw new Error(`${first!.name} predicts clip ${p.clipId} and ${other.name} does not: fusion needs the same clips`);
      if (q.trueLabel !== p.trueLabel)
        throw new Error(`clip ${p.clipId} is '${p.trueLabel}' for ${first!.name} and '${q.trueLabel}' for ${other.name}`);
      if (q.probabilities.length !== labels.length)
        throw new Error(`${other.name}: clip ${q.clipId} has ${q.probabilities.length} probabilities for ${labels.length} labels`);
      for (let k = 0; k < sum.length; k++) sum[k]! += q.probabilities[k]!;
    }
    const probabilities = sum.map((s) => s / sets.length);
    const best = argmax(probabilities);
    return {
      clipId: p.clipId,
      path: p.path,
      speaker: p.speaker,
      trueLabel: p.trueLabel,
      predictedLabel: labels[best]!,
      confidence: probabilities[best]!,
      probabilities,
    };
  });
}

/** One derived member per fold: the average over the fold's seeds (seed ENSEMBLE_SEED). */
export function ensembleSeeds(source: FusionSource, labels: readonly string[]): MemberPredictions[] {
  const byFold = new Map<number, MemberPredictions[]>();
  for (const m of source.members) byFold.set(m.fold, [...(byFold.get(m.fold) ?? []), m]);
  return [...byFold.keys()]
    .sort((a, b) => a - b)
    .map((fold) => ({
      fold,
      seed: ENSEMBLE_SEED,
      predictions: averagePredictions(
        byFold.get(fold)!.map((m) => ({ name: `${source.name} seed ${m.seed} fold ${fold + 1}`, predictions: m.predictions })),
        labels,
      ),
    }));
}

const seedText = (seed: number) => (seed === ENSEMBLE_SEED ? 'all seeds' : `seed ${seed}`);

/**
 * Fuses sources member by member: for every (fold, seed) that all of them finished, the average of
 * their predictions. Refuses sources that share no (fold, seed), e.g. cells with different seeds
 * (their seed ensembles share every fold).
 */
export function fuseSources(sources: readonly FusionSource[], labels: readonly string[]): MemberPredictions[] {
  if (sources.length < 2) throw new Error('fusion needs at least two members');
  const key = (m: MemberPredictions) => `${m.fold}\t${m.seed}`;
  const maps = sources.map((s) => new Map(s.members.map((m) => [key(m), m])));
  const shared = [...maps[0]!.values()].filter((m) => maps.every((map) => map.has(key(m))));
  if (shared.length === 0) {
    const seeds = sources.map((s) => `${s.name}: ${[...new Set(s.members.map((m) => seedText(m.seed)))].join(', ') || 'nothing finished'}`);
    throw new Error(
      `${sources.map((s) => s.name).join(' and ')} share no finished fold and seed (${seeds.join('; ')}): fuse their seed ensembles instead`,
    );
  }
  return shared
    .sort((a, b) => a.seed - b.seed || a.fold - b.fold)
    .map((m) => ({
      fold: m.fold,
      seed: m.seed,
      predictions: averagePredictions(
        sources.map((s, i) => ({
          name: `${s.name} (fold ${m.fold + 1}, ${seedText(m.seed)})`,
          predictions: maps[i]!.get(key(m))!.predictions,
        })),
        labels,
      ),
    }));
}

/**
 * Members ready to pair with `other`'s on McNemar's per-clip keys (seed and clip): a side with one
 * seed the other lacks (a seed ensemble, or a cell trained with one seed) is compared with each of
 * the other's seeds in turn.
 */
export function pairableMembers(members: readonly MemberPredictions[], other: readonly MemberPredictions[]): MemberPredictions[] {
  const seeds = new Set(members.map((m) => m.seed));
  const otherSeeds = [...new Set(other.map((m) => m.seed))];
  if (seeds.size !== 1 || otherSeeds.some((s) => seeds.has(s))) return [...members];
  return otherSeeds.flatMap((seed) => members.map((m) => ({ ...m, seed })));
}
