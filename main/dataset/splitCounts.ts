/**
 * A split as a part × class table of clip counts (what `ser split` prints and the Train view shows
 * under Split), with a warning for every class the test part has too few clips of to measure.
 */
import type { Split } from './split';
import type { Clip } from './types';

/** Below this many test clips a class's recall and F1 move in steps too coarse to mean much. */
export const MIN_TEST_CLIPS_PER_CLASS = 5;

export type SplitPartName = 'train' | 'val' | 'test';

export interface SplitCounts {
  /** Column order of every `counts` row. */
  labels: string[];
  parts: { part: SplitPartName; total: number; counts: number[]; speakers: string[] }[];
  leaksSpeakers: boolean;
  description: string;
  /** One sentence naming every test class with fewer than MIN_TEST_CLIPS_PER_CLASS clips (empty when none). */
  warnings: string[];
}

export function splitCounts(split: Split, clips: readonly Clip[], labels: readonly string[]): SplitCounts {
  const labelOf = new Map(clips.map((clip) => [clip.id, clip.label as string]));
  const column = new Map(labels.map((label, i) => [label, i]));
  const parts = (['train', 'val', 'test'] as const).map((part) => {
    const counts = labels.map(() => 0);
    for (const id of split[part]) {
      const index = column.get(labelOf.get(id) ?? '');
      if (index !== undefined) counts[index]! += 1;
    }
    return { part, total: split[part].length, counts, speakers: [...split.speakers[part]] };
  });
  const test = parts[2]!;
  const thin = labels.flatMap((label, i) => (test.counts[i]! < MIN_TEST_CLIPS_PER_CLASS ? [`${label} (${test.counts[i]})`] : []));
  const warnings = thin.length
    ? [
        `The test part has fewer than ${MIN_TEST_CLIPS_PER_CLASS} clips of ${thin.join(', ')}: recall and F1 of ${thin.length === 1 ? 'that class rest' : 'those classes rest'} on too few clips to mean much.`,
      ]
    : [];
  return { labels: [...labels], parts, leaksSpeakers: split.leaksSpeakers, description: split.description, warnings };
}
