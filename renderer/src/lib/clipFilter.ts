/** Filtering and sorting of the Dataset view's clip browser (pure, fast enough for ~10 000 clips). */
import type { DatasetClip } from '../../../main/api/contract';

export interface ClipFilter {
  /** A class, or '' for all. */
  label: string;
  /** A speaker id, or '' for all. */
  speaker: string;
  /** Case-insensitive part of the relative path, or '' for all. */
  text: string;
}

export type ClipSortKey = 'file' | 'label' | 'speaker' | 'duration';

export interface ClipSort {
  key: ClipSortKey;
  descending: boolean;
}

export function emptyFilter(): ClipFilter {
  return { label: '', speaker: '', text: '' };
}

export function isFiltered(filter: ClipFilter): boolean {
  return filter.label !== '' || filter.speaker !== '' || filter.text.trim() !== '';
}

export function filterClips(clips: readonly DatasetClip[], filter: ClipFilter): DatasetClip[] {
  const text = filter.text.trim().toLowerCase();
  return clips.filter(
    (clip) =>
      (filter.label === '' || clip.label === filter.label) &&
      (filter.speaker === '' || clip.speaker === filter.speaker) &&
      (text === '' || clip.relPath.toLowerCase().includes(text)),
  );
}

const collator = new Intl.Collator('en', { numeric: true });

function compareBy(key: ClipSortKey, a: DatasetClip, b: DatasetClip): number {
  switch (key) {
    case 'file':
      return collator.compare(a.relPath, b.relPath);
    case 'label':
      return collator.compare(a.label, b.label);
    case 'speaker':
      return collator.compare(a.speaker, b.speaker);
    case 'duration':
      return (a.durationS ?? 0) - (b.durationS ?? 0);
  }
}

/** A sorted copy; ties by file name; clips without a duration last in either direction. */
export function sortClips(clips: readonly DatasetClip[], sort: ClipSort): DatasetClip[] {
  const sign = sort.descending ? -1 : 1;
  return [...clips].sort((a, b) => {
    if (sort.key === 'duration' && (a.durationS === null) !== (b.durationS === null)) return a.durationS === null ? 1 : -1;
    const primary = compareBy(sort.key, a, b);
    if (primary !== 0) return sign * primary;
    return sort.key === 'file' ? 0 : collator.compare(a.relPath, b.relPath);
  });
}

export function browseClips(clips: readonly DatasetClip[], filter: ClipFilter, sort: ClipSort): DatasetClip[] {
  return sortClips(filterClips(clips, filter), sort);
}

/** Clicking a column header: the same column flips the direction, another one sorts ascending. */
export function toggleSort(sort: ClipSort, key: ClipSortKey): ClipSort {
  return sort.key === key ? { key, descending: !sort.descending } : { key, descending: false };
}
