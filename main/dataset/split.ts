import type { SplitConfig } from '../schema/trainingFields';
import { createRng, type Rng } from '../util/random';
import { DatasetError } from './errors';
import { sortEmotions } from './labels';
import { compareIds, compareNatural } from './sort';
import type { Clip } from './types';

/** What a split needs from a clip. */
export type SplitClip = Pick<Clip, 'id' | 'label' | 'speaker'>;

export type SplitPart = 'train' | 'val' | 'test';
const PARTS: readonly SplitPart[] = ['train', 'val', 'test'];

export interface Split {
  kind: 'speaker' | 'random' | 'kfold';
  /** True when some speaker has clips in more than one part (test accuracy then overstates new-speaker accuracy). */
  leaksSpeakers: boolean;
  seed: number;
  /** Clip ids, sorted. */
  train: string[];
  val: string[];
  test: string[];
  /** Speakers present in each part, sorted. */
  speakers: { train: string[]; val: string[]; test: string[] };
  description: string;
  fold?: { index: number; count: number };
}

export interface SpeakerSplitOptions {
  /** Speakers for the test part; the rest is assigned by ratio. */
  testSpeakers?: string[];
  /** Speakers for the validation part ([] for none). */
  valSpeakers?: string[];
  /** Share of clips for test (default 0.2), used when testSpeakers is not given. */
  testRatio?: number;
  /** Share of clips for validation (default 0.1), used when valSpeakers is not given. */
  valRatio?: number;
  seed: number;
}

export interface GroupKFoldOptions {
  seed: number;
  /** Share of all clips taken from each fold's training speakers for validation (default 0.1; 0 for none). */
  valRatio?: number;
}

export interface RandomSplitOptions {
  testRatio?: number;
  valRatio?: number;
  seed: number;
}

/** Candidate assignments tried per search; cheap (speakers x classes each) and plenty for corpora of a few hundred speakers. */
const CANDIDATES = 300;

// ---------------------------------------------------------------------------------------------
// Speaker statistics and the cost that the assignment search minimises

interface SpeakerStats {
  speaker: string;
  total: number;
  /** Clips per class, indexed like the corpus's label list. */
  counts: number[];
}

interface Corpus {
  speakers: SpeakerStats[];
  total: number;
  /** Share of each class in the whole corpus. */
  classShare: number[];
}

function describeCorpus(clips: readonly SplitClip[]): Corpus {
  const labels = sortEmotions(clips.map((c) => c.label));
  const labelIndex = new Map(labels.map((label, i) => [label, i]));
  const bySpeaker = new Map<string, SpeakerStats>();
  const classCounts = new Array<number>(labels.length).fill(0);
  for (const clip of clips) {
    let stats = bySpeaker.get(clip.speaker);
    if (!stats) {
      stats = { speaker: clip.speaker, total: 0, counts: new Array<number>(labels.length).fill(0) };
      bySpeaker.set(clip.speaker, stats);
    }
    const c = labelIndex.get(clip.label)!;
    stats.total++;
    stats.counts[c]!++;
    classCounts[c]!++;
  }
  return {
    speakers: [...bySpeaker.values()].sort((a, b) => compareNatural(a.speaker, b.speaker)),
    total: clips.length,
    classShare: classCounts.map((count) => count / clips.length),
  };
}

/** Total-variation distance between a group's class mix and the corpus's: 0 identical, 1 disjoint. */
function classDistance(counts: number[], total: number, classShare: number[]): number {
  if (total === 0) return 0;
  let sum = 0;
  for (let c = 0; c < counts.length; c++) sum += Math.abs(counts[c]! / total - classShare[c]!);
  return sum / 2;
}

/** Sum over groups of (distance of its size share from its target) + (distance of its class mix). */
function groupingCost(groups: SpeakerStats[][], targets: (number | null)[], corpus: Corpus): number {
  let cost = 0;
  groups.forEach((group, g) => {
    const counts = new Array<number>(corpus.classShare.length).fill(0);
    let total = 0;
    for (const s of group) {
      total += s.total;
      for (let c = 0; c < counts.length; c++) counts[c]! += s.counts[c]!;
    }
    const target = targets[g];
    if (target !== null && target !== undefined) cost += Math.abs(total / corpus.total - target);
    cost += classDistance(counts, total, corpus.classShare);
  });
  return cost;
}

/**
 * Among candidates, keeps those within a small margin of the best cost and lets the seed choose
 * one: the class mix stays close to the best found, yet different seeds give different splits
 * (taking the single optimum would give every seed the same split on small corpora).
 */
function pickNearBest<T>(candidates: { value: T; cost: number }[], rng: Rng): T {
  const best = Math.min(...candidates.map((c) => c.cost));
  const margin = 0.01 + 0.05 * best;
  const acceptable = candidates.filter((c) => c.cost <= best + margin);
  return acceptable[rng.int(acceptable.length)]!.value;
}

function groupKey(groups: SpeakerStats[][]): string {
  return groups
    .map((group) =>
      group
        .map((s) => s.speaker)
        .sort(compareIds)
        .join(','),
    )
    .join('|');
}

/**
 * Assigns the free speakers to `fill` parts (targets as shares of all clips) and to train, many
 * times in seeded random orders (each speaker goes to the part it brings closest to its target),
 * and keeps a near-best assignment by size error plus class-mix distance. Every part in `fill`
 * and train get at least one speaker; the caller checks there are enough free speakers.
 */
function assignSpeakers(
  corpus: Corpus,
  fixed: ReadonlyMap<string, SplitPart>,
  targets: Partial<Record<SplitPart, number>>,
  rng: Rng,
): Map<string, SplitPart> {
  const fill = (['test', 'val'] as const).filter((part) => targets[part] !== undefined);
  const free = corpus.speakers.filter((s) => !fixed.has(s.speaker));
  const fixedGroups: Record<SplitPart, SpeakerStats[]> = { train: [], val: [], test: [] };
  for (const s of corpus.speakers) {
    const part = fixed.get(s.speaker);
    if (part) fixedGroups[part].push(s);
  }
  const candidates: { value: Record<SplitPart, SpeakerStats[]>; cost: number }[] = [];
  const seen = new Set<string>();
  for (let attempt = 0; attempt < CANDIDATES; attempt++) {
    const groups: Record<SplitPart, SpeakerStats[]> = { train: [], val: [], test: [] };
    const size: Record<SplitPart, number> = { train: 0, val: 0, test: 0 };
    for (const part of PARTS) size[part] = fixedGroups[part].reduce((sum, s) => sum + s.total, 0);
    for (const s of rng.shuffle([...free])) {
      let chosen: SplitPart = 'train';
      let bestGain = 0;
      for (const part of fill) {
        const goal = targets[part]! * corpus.total;
        const gain = Math.abs(size[part] - goal) - Math.abs(size[part] + s.total - goal);
        if (gain > bestGain) {
          bestGain = gain;
          chosen = part;
        }
      }
      groups[chosen].push(s);
      size[chosen] += s.total;
    }
    // Every part that draws from the free speakers must get one: take the smallest speaker
    // from the part that has the most.
    for (const empty of [...fill, 'train' as const]) {
      if (groups[empty].length > 0) continue;
      const donor = [...fill, 'train' as const].reduce((a, b) => (groups[b].length > groups[a].length ? b : a));
      const smallest = groups[donor].reduce((a, b) => (b.total < a.total ? b : a));
      groups[donor] = groups[donor].filter((s) => s !== smallest);
      groups[empty].push(smallest);
    }
    const complete = PARTS.map((part) => [...fixedGroups[part], ...groups[part]]);
    const key = groupKey(complete);
    if (seen.has(key)) continue;
    seen.add(key);
    const cost = groupingCost(
      complete,
      PARTS.map((part) => (part === 'train' ? null : (targets[part] ?? null))),
      corpus,
    );
    candidates.push({ value: { train: complete[0]!, val: complete[1]!, test: complete[2]! }, cost });
  }
  const chosen = pickNearBest(candidates, rng);
  const assignment = new Map<string, SplitPart>();
  for (const part of PARTS) for (const s of chosen[part]) assignment.set(s.speaker, part);
  return assignment;
}

// ---------------------------------------------------------------------------------------------
// Checks shared by the split functions

function checkRatios(testRatio: number, valRatio: number): void {
  if (!(testRatio > 0 && testRatio < 1)) throw new DatasetError(`testRatio must be between 0 and 1 (got ${testRatio})`);
  if (!(valRatio >= 0 && valRatio < 1)) throw new DatasetError(`valRatio must be between 0 and 1 (got ${valRatio})`);
  if (testRatio + valRatio >= 1) {
    throw new DatasetError(`testRatio + valRatio must leave clips for training (got ${testRatio} + ${valRatio})`);
  }
}

/** Refuses corpora a speaker-independent split cannot be made from. */
function requireSpeakerCorpus(clips: readonly SplitClip[]): Corpus {
  if (clips.length === 0) throw new DatasetError('cannot split: there are no clips');
  const unknown = clips.filter((c) => c.speaker === '').length;
  if (unknown > 0) {
    throw new DatasetError(
      `cannot split by speaker: ${unknown} of ${clips.length} clips have no speaker id. Use a naming scheme or a ` +
        `manifest with a speaker column, or a random split (which may put one speaker in train and test).`,
    );
  }
  const labels = new Set(clips.map((c) => c.label));
  if (labels.size < 2) throw new DatasetError(`cannot split: every clip has the same label (${[...labels][0]})`);
  return describeCorpus(clips);
}

function checkSpeakerList(list: string[] | undefined, name: string, corpus: Corpus): string[] | undefined {
  if (list === undefined) return undefined;
  const known = new Set(corpus.speakers.map((s) => s.speaker));
  const unknown = list.filter((speaker) => !known.has(speaker));
  if (unknown.length > 0) {
    throw new DatasetError(`unknown ${name}: ${unknown.join(', ')} (known speakers: ${corpus.speakers.map((s) => s.speaker).join(', ')})`);
  }
  return [...new Set(list)];
}

// ---------------------------------------------------------------------------------------------
// Building the result

function summarizePart(split: Split, part: SplitPart): string {
  const speakers = split.speakers[part].length;
  return `${part} ${speakers} speaker${speakers === 1 ? '' : 's'}/${split[part].length} clips`;
}

function speakersInSeveralParts(speakers: Record<SplitPart, Set<string>>): string[] {
  const partCount = new Map<string, number>();
  for (const part of PARTS) for (const s of speakers[part]) partCount.set(s, (partCount.get(s) ?? 0) + 1);
  return [...partCount]
    .filter(([, count]) => count > 1)
    .map(([s]) => s)
    .sort(compareNatural);
}

function buildSplit(kind: Split['kind'], clips: readonly SplitClip[], partOf: (clip: SplitClip) => SplitPart, seed: number): Split {
  const ids: Record<SplitPart, string[]> = { train: [], val: [], test: [] };
  const speakers: Record<SplitPart, Set<string>> = { train: new Set(), val: new Set(), test: new Set() };
  for (const clip of clips) {
    const part = partOf(clip);
    ids[part].push(clip.id);
    if (clip.speaker !== '') speakers[part].add(clip.speaker);
  }
  return {
    kind,
    leaksSpeakers: speakersInSeveralParts(speakers).length > 0,
    seed,
    train: ids.train.sort(compareIds),
    val: ids.val.sort(compareIds),
    test: ids.test.sort(compareIds),
    speakers: {
      train: [...speakers.train].sort(compareNatural),
      val: [...speakers.val].sort(compareNatural),
      test: [...speakers.test].sort(compareNatural),
    },
    description: '',
  };
}

// ---------------------------------------------------------------------------------------------
// Public split functions

/**
 * Speaker-independent train/val/test split: no speaker is ever in two parts. Explicit speaker lists
 * win; parts without a list get speakers chosen to reach their ratio (in clips) while keeping each
 * part's class mix close to the whole corpus's. Deterministic for a seed.
 */
export function speakerSplit(clips: readonly SplitClip[], options: SpeakerSplitOptions): Split {
  const testRatio = options.testRatio ?? 0.2;
  const valRatio = options.valRatio ?? 0.1;
  checkRatios(testRatio, valRatio);
  const corpus = requireSpeakerCorpus(clips);
  const testList = checkSpeakerList(options.testSpeakers, 'test speakers', corpus);
  const valList = checkSpeakerList(options.valSpeakers, 'validation speakers', corpus);
  if (testList && testList.length === 0) throw new DatasetError('the test speaker list is empty');
  const inBoth = (testList ?? []).filter((s) => valList?.includes(s));
  if (inBoth.length > 0) throw new DatasetError(`speakers in both the test and validation lists: ${inBoth.join(', ')}`);

  const fixed = new Map<string, SplitPart>();
  for (const s of testList ?? []) fixed.set(s, 'test');
  for (const s of valList ?? []) fixed.set(s, 'val');
  const targets: Partial<Record<SplitPart, number>> = {};
  if (!testList) targets.test = testRatio;
  if (!valList && valRatio > 0) targets.val = valRatio;

  const free = corpus.speakers.length - fixed.size;
  const needed = Object.keys(targets).length + 1;
  if (free < needed) {
    const speakerCount = corpus.speakers.length;
    throw new DatasetError(
      fixed.size === 0
        ? `cannot split by speaker: only ${speakerCount} speaker${speakerCount === 1 ? '' : 's'}; train, validation ` +
            `and test each need their own, so at least 3 are required (2 with valRatio 0)`
        : `cannot split by speaker: after the given lists only ${free} speaker${free === 1 ? ' is' : 's are'} left, ` +
            `but ${Object.keys(targets).concat('train').join(', ')} each need at least one`,
    );
  }

  const rng = createRng(options.seed);
  const assignment =
    needed > 1
      ? assignSpeakers(corpus, fixed, targets, rng)
      : new Map(corpus.speakers.map((s) => [s.speaker, fixed.get(s.speaker) ?? 'train']));
  const split = buildSplit('speaker', clips, (clip) => assignment.get(clip.speaker)!, options.seed);
  const how = [
    testList ? 'test speakers given' : `test chosen for ${testRatio} of clips`,
    valList ? 'validation speakers given' : valRatio > 0 ? `validation chosen for ${valRatio} of clips` : 'no validation',
  ].join(', ');
  split.description =
    `speaker-independent split (seed ${options.seed}; ${how}): ` +
    `${PARTS.map((part) => summarizePart(split, part)).join(', ')}; test speakers ${split.speakers.test.join(' ')}`;
  return split;
}

/**
 * k speaker-disjoint folds: every speaker is in exactly one test fold; folds are balanced in size
 * and class mix as far as speakers allow. Each fold's validation speakers come from its training
 * speakers.
 */
export function groupKFold(clips: readonly SplitClip[], k: number, options: GroupKFoldOptions): Split[] {
  const valRatio = options.valRatio ?? 0.1;
  if (!(valRatio >= 0 && valRatio < 1)) throw new DatasetError(`valRatio must be between 0 and 1 (got ${valRatio})`);
  if (!Number.isInteger(k) || k < 2) throw new DatasetError(`the number of folds must be a whole number of at least 2 (got ${k})`);
  const corpus = requireSpeakerCorpus(clips);
  const speakerCount = corpus.speakers.length;
  if (k > speakerCount) throw new DatasetError(`${k} folds need at least ${k} speakers; there are ${speakerCount}`);

  const rng = createRng(options.seed);
  const folds = assignFolds(corpus, k, rng);
  const largestFold = Math.max(...folds.map((fold) => fold.length));
  const trainingNeeded = valRatio > 0 ? 2 : 1;
  if (speakerCount - largestFold < trainingNeeded) {
    throw new DatasetError(
      `cannot make ${k} folds with validation from ${speakerCount} speakers: each fold needs at least 2 training ` +
        `speakers to take validation speakers from (use fewer folds or valRatio 0)`,
    );
  }

  return folds.map((fold, index) => {
    const fixed = new Map<string, SplitPart>(fold.map((s) => [s.speaker, 'test']));
    const foldRng = rng.fork();
    const assignment =
      valRatio > 0
        ? assignSpeakers(corpus, fixed, { val: valRatio }, foldRng)
        : new Map(corpus.speakers.map((s) => [s.speaker, fixed.get(s.speaker) ?? 'train']));
    const split = buildSplit('kfold', clips, (clip) => assignment.get(clip.speaker)!, options.seed);
    split.fold = { index, count: k };
    split.description =
      `speaker fold ${index + 1} of ${k} (seed ${options.seed}): ` +
      `${PARTS.map((part) => summarizePart(split, part)).join(', ')}; test speakers ${split.speakers.test.join(' ')}`;
    return split;
  });
}

/** Seeded candidate partitions of the speakers into k folds; returns a near-best, folds ordered by first speaker. */
function assignFolds(corpus: Corpus, k: number, rng: Rng): SpeakerStats[][] {
  const candidates: { value: SpeakerStats[][]; cost: number }[] = [];
  const seen = new Set<string>();
  const targets = new Array<number>(k).fill(1 / k);
  for (let attempt = 0; attempt < CANDIDATES; attempt++) {
    const folds: SpeakerStats[][] = Array.from({ length: k }, () => []);
    const sizes = new Array<number>(k).fill(0);
    for (const s of rng.shuffle([...corpus.speakers])) {
      const smallest = sizes.indexOf(Math.min(...sizes));
      folds[smallest]!.push(s);
      sizes[smallest]! += s.total;
    }
    for (const fold of folds) fold.sort((a, b) => compareNatural(a.speaker, b.speaker));
    folds.sort((a, b) => compareNatural(a[0]!.speaker, b[0]!.speaker));
    const key = groupKey(folds);
    if (seen.has(key)) continue;
    seen.add(key);
    candidates.push({ value: folds, cost: groupingCost(folds, targets, corpus) });
  }
  return pickNearBest(candidates, rng);
}

/**
 * Train/val/test split stratified by class, ignoring speakers. With several clips per speaker it
 * puts the same voices in train and test (leaksSpeakers true), which inflates test accuracy.
 */
export function randomStratifiedSplit(clips: readonly SplitClip[], options: RandomSplitOptions): Split {
  const testRatio = options.testRatio ?? 0.2;
  const valRatio = options.valRatio ?? 0.1;
  checkRatios(testRatio, valRatio);
  if (clips.length === 0) throw new DatasetError('cannot split: there are no clips');
  const rng = createRng(options.seed);
  const partOfId = new Map<string, SplitPart>();
  for (const label of sortEmotions(clips.map((c) => c.label))) {
    const ids = rng.shuffle(
      clips
        .filter((c) => c.label === label)
        .map((c) => c.id)
        .sort(compareIds),
    );
    const testCount = Math.round(ids.length * testRatio);
    const valCount = Math.min(Math.round(ids.length * valRatio), ids.length - testCount);
    ids.forEach((id, i) => partOfId.set(id, i < testCount ? 'test' : i < testCount + valCount ? 'val' : 'train'));
  }
  const split = buildSplit('random', clips, (clip) => partOfId.get(clip.id)!, options.seed);
  const unknownSpeakers = clips.some((c) => c.speaker === '');
  const speakerNote = split.leaksSpeakers
    ? 'LEAKS SPEAKERS: the same speakers are in train and test, so test accuracy overstates accuracy on new speakers'
    : unknownSpeakers
      ? 'speakers unknown, so speaker leakage cannot be ruled out'
      : 'no speaker is in two parts';
  split.description =
    `random split stratified by class (seed ${options.seed}): ` +
    `${PARTS.map((part) => `${part} ${split[part].length} clips`).join(', ')}; ${speakerNote}`;
  return split;
}

/**
 * Checks that a split is sound against the clips it was made from: every id known and in exactly
 * one part, the speaker lists match the clips, and no speaker crosses parts unless the split says
 * it leaks (only a random split may). Throws DatasetError listing the problems.
 */
export function validateSplit(split: Split, clips: readonly SplitClip[]): void {
  const byId = new Map(clips.map((c) => [c.id, c]));
  const problems: string[] = [];
  const partOfId = new Map<string, SplitPart>();
  const speakers: Record<SplitPart, Set<string>> = { train: new Set(), val: new Set(), test: new Set() };
  for (const part of PARTS) {
    for (const id of split[part]) {
      const clip = byId.get(id);
      if (!clip) problems.push(`unknown clip id '${id}' in ${part}`);
      const previous = partOfId.get(id);
      if (previous) problems.push(`clip '${id}' is in ${previous === part ? `${part} twice` : `both ${previous} and ${part}`}`);
      partOfId.set(id, part);
      if (clip && clip.speaker !== '') speakers[part].add(clip.speaker);
      if (clip && clip.speaker === '' && split.kind !== 'random') problems.push(`clip '${id}' has no speaker in a ${split.kind} split`);
    }
    const listed = [...split.speakers[part]].sort(compareIds).join(',');
    const actual = [...speakers[part]].sort(compareIds).join(',');
    if (listed !== actual) problems.push(`the ${part} speaker list does not match its clips`);
  }
  const leaking = speakersInSeveralParts(speakers);
  if (leaking.length > 0 && (!split.leaksSpeakers || split.kind !== 'random')) {
    problems.push(`speakers in more than one part: ${leaking.join(', ')}`);
  }
  if (split.leaksSpeakers && split.kind !== 'random') problems.push(`a ${split.kind} split is marked as leaking speakers`);
  if (problems.length > 0) {
    const more = problems.length > 5 ? ` (and ${problems.length - 5} more)` : '';
    throw new DatasetError(`invalid split: ${problems.slice(0, 5).join('; ')}${more}`);
  }
}

/** The split a training config asks for: by speaker (the default) or random, stratified by class. */
export function splitFromConfig(clips: readonly SplitClip[], config: { split: SplitConfig; seed: number }): Split {
  const { kind, testSpeakers, valSpeakers, testRatio, valRatio } = config.split;
  if (kind === 'random') return randomStratifiedSplit(clips, { testRatio, valRatio, seed: config.seed });
  return speakerSplit(clips, { testSpeakers, valSpeakers, testRatio, valRatio, seed: config.seed });
}
