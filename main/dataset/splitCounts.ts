/**
 * A split as a part × class table of clip counts (what `ser split` prints and the Train view shows
 * under Split), with a warning for every part that has too few clips of a class: training, model
 * selection and the test measure each rest on the clips of their own part.
 */
import { MIN_CLIPS_PER_CLASS } from '../schema/datasetLimits';
import type { Split } from './split';
import type { Clip } from './types';

export type SplitPartName = 'train' | 'val' | 'test';

export interface SplitCounts {
  /** Column order of every `counts` row. */
  labels: string[];
  parts: { part: SplitPartName; total: number; counts: number[]; speakers: string[] }[];
  leaksSpeakers: boolean;
  description: string;
  /** Per part (train, val, test), one sentence naming every class with fewer than MIN_CLIPS_PER_CLASS clips (empty when none). */
  warnings: string[];
}

/** What goes wrong in each part when a class is thin there ("that class" / "those classes" follows). */
const THIN_CONSEQUENCE: Record<SplitPartName, (classes: string) => string> = {
  train: (classes) => `the model sees too few examples of ${classes} to learn ${classes === 'that class' ? 'it' : 'them'}`,
  val: (classes) => `the validation metrics that pick the best checkpoint and steer the schedule rest on too few clips of ${classes}`,
  test: (classes) => `recall and F1 of ${classes} rest on too few clips to mean much`,
};
const PART_TITLE: Record<SplitPartName, string> = { train: 'training', val: 'validation', test: 'test' };

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
  const warnings = parts.flatMap(({ part, total, counts }) => {
    // A config without a validation part has nothing to warn about there; an empty test part does.
    if (total === 0 && part !== 'test') return [];
    const thin = labels.flatMap((label, i) => (counts[i]! < MIN_CLIPS_PER_CLASS ? [`${label} (${counts[i]})`] : []));
    if (thin.length === 0) return [];
    const consequence = THIN_CONSEQUENCE[part](thin.length === 1 ? 'that class' : 'those classes');
    return [`The ${PART_TITLE[part]} part has fewer than ${MIN_CLIPS_PER_CLASS} clips of ${thin.join(', ')}: ${consequence}.`];
  });
  return { labels: [...labels], parts, leaksSpeakers: split.leaksSpeakers, description: split.description, warnings };
}
