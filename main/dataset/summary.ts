import type { Emotion } from './labels';
import type { Clip, Gender, ScanResult, SchemeName, SkippedFile } from './types';

/** What the summary needs to know about one audio file (the audio module's probe gives more). */
export interface AudioFacts {
  durationS: number;
  sampleRate: number;
  channels: number;
}

export type ProbeAudio = (path: string) => Promise<AudioFacts>;

export interface SummarizeOptions {
  /** Files probed at once (default 8). */
  concurrency?: number;
  onProgress?: (done: number, total: number) => void;
  /** Duration histogram bins (default 10). */
  histogramBins?: number;
}

export interface ValueCount {
  value: number;
  count: number;
}

export interface DatasetSummary {
  root: string;
  scheme: SchemeName;
  /** Clips the probe could read; every count below is over these. */
  clipCount: number;
  totalDurationS: number;
  /** Labels of the scan, canonical order. */
  labels: Emotion[];
  /** Speakers of the scan, sorted; '' (unknown) last when some clips have no speaker. */
  speakers: string[];
  perClass: Partial<Record<Emotion, number>>;
  perSpeaker: Record<string, number>;
  /** speakerByClass[speaker][label] = clips. */
  speakerByClass: Record<string, Partial<Record<Emotion, number>>>;
  genderBySpeaker: Record<string, Gender>;
  genders: { female: number; male: number; unknown: number };
  /** null when no clip could be read. */
  duration: { minS: number; medianS: number; meanS: number; maxS: number } | null;
  /** counts[i] clips have edgesS[i] <= duration < edgesS[i+1] (the last bin includes its right edge). */
  durationHistogram: { edgesS: number[]; counts: number[] };
  sampleRates: ValueCount[];
  channelCounts: ValueCount[];
  unreadable: SkippedFile[];
}

/** Every clip through the probe, `concurrency` at a time; a clip it cannot read gets its error, in place. */
export async function probeClips(
  clips: readonly Clip[],
  probe: ProbeAudio,
  options: Pick<SummarizeOptions, 'concurrency' | 'onProgress'> = {},
): Promise<(AudioFacts | { error: string })[]> {
  const results: (AudioFacts | { error: string })[] = new Array(clips.length);
  let next = 0;
  let done = 0;
  async function worker(): Promise<void> {
    while (next < clips.length) {
      const index = next++;
      try {
        const facts = await probe(clips[index]!.path);
        results[index] =
          Number.isFinite(facts.durationS) && facts.durationS >= 0
            ? facts
            : { error: `the probe returned an invalid duration (${facts.durationS})` };
      } catch (err) {
        results[index] = { error: err instanceof Error ? err.message : String(err) };
      }
      options.onProgress?.(++done, clips.length);
    }
  }
  const workers = Math.max(1, Math.min(options.concurrency ?? 8, clips.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return results;
}

function countValues(values: number[]): ValueCount[] {
  const counts = new Map<number, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return [...counts].map(([value, count]) => ({ value, count })).sort((a, b) => a.value - b.value);
}

function histogram(durations: number[], bins: number): { edgesS: number[]; counts: number[] } {
  if (durations.length === 0) return { edgesS: [], counts: [] };
  const min = Math.min(...durations);
  const max = Math.max(...durations);
  if (min === max) return { edgesS: [min, max], counts: [durations.length] };
  const width = (max - min) / bins;
  const edgesS = Array.from({ length: bins + 1 }, (_, i) => (i === bins ? max : min + i * width));
  const counts = new Array<number>(bins).fill(0);
  for (const d of durations) counts[Math.min(bins - 1, Math.floor((d - min) / width))]!++;
  return { edgesS, counts };
}

function median(sorted: number[]): number {
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Probes every clip (through the injected probe, so tests can pass a fake) and counts what the
 * dataset holds. Files the probe cannot read are listed in `unreadable` and left out of all counts.
 */
export async function summarizeDataset(scan: ScanResult, probe: ProbeAudio, options: SummarizeOptions = {}): Promise<DatasetSummary> {
  const probed = await probeClips(scan.clips, probe, options);
  const readable: { clip: Clip; facts: AudioFacts }[] = [];
  const unreadable: SkippedFile[] = [];
  scan.clips.forEach((clip, i) => {
    const result = probed[i]!;
    if ('error' in result) unreadable.push({ relPath: clip.relPath, reason: result.error });
    else readable.push({ clip, facts: result });
  });

  const labels = scan.labels;
  const hasUnknownSpeaker = scan.clips.some((c) => c.speaker === '');
  const speakers = [...scan.speakers, ...(hasUnknownSpeaker ? [''] : [])];
  const perClass: Partial<Record<Emotion, number>> = {};
  const perSpeaker: Record<string, number> = {};
  const speakerByClass: Record<string, Partial<Record<Emotion, number>>> = {};
  for (const label of labels) perClass[label] = 0;
  for (const speaker of speakers) {
    perSpeaker[speaker] = 0;
    speakerByClass[speaker] = Object.fromEntries(labels.map((label) => [label, 0]));
  }
  const genderBySpeaker: Record<string, Gender> = {};
  const genders = { female: 0, male: 0, unknown: 0 };
  for (const { clip } of readable) {
    perClass[clip.label]!++;
    perSpeaker[clip.speaker]!++;
    speakerByClass[clip.speaker]![clip.label]!++;
    genders[clip.gender ?? 'unknown']++;
    if (clip.gender && clip.speaker !== '') genderBySpeaker[clip.speaker] = clip.gender;
  }

  const durations = readable.map((r) => r.facts.durationS).sort((a, b) => a - b);
  const totalDurationS = durations.reduce((sum, d) => sum + d, 0);
  return {
    root: scan.root,
    scheme: scan.scheme,
    clipCount: readable.length,
    totalDurationS,
    labels,
    speakers,
    perClass,
    perSpeaker,
    speakerByClass,
    genderBySpeaker,
    genders,
    duration:
      durations.length === 0
        ? null
        : {
            minS: durations[0]!,
            medianS: median(durations),
            meanS: totalDurationS / durations.length,
            maxS: durations[durations.length - 1]!,
          },
    durationHistogram: histogram(durations, options.histogramBins ?? 10),
    sampleRates: countValues(readable.map((r) => r.facts.sampleRate)),
    channelCounts: countValues(readable.map((r) => r.facts.channels)),
    unreadable,
  };
}

/** Lays out rows as columns: text left-aligned, numbers right-aligned. */
function formatColumns(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  const isNumeric = (cell: string): boolean => /^[\d.,%\s-]+$/.test(cell) && cell.trim() !== '';
  return rows
    .map((row) =>
      row
        .map((cell, i) => (isNumeric(cell) && i > 0 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function formatDuration(totalS: number): string {
  if (totalS < 120) return `${totalS.toFixed(1)} s`;
  if (totalS < 7200) return `${(totalS / 60).toFixed(1)} min`;
  return `${(totalS / 3600).toFixed(2)} h`;
}

function percent(count: number, total: number): string {
  return total === 0 ? '-' : `${((100 * count) / total).toFixed(1)}%`;
}

/** The summary as plain text for a terminal: aligned tables, one section per question. */
export function formatSummaryTable(summary: DatasetSummary): string {
  const n = summary.clipCount;
  const knownSpeakers = summary.speakers.filter((s) => s !== '').length;
  const sections: string[] = [];
  sections.push(
    `${n} clips, ${knownSpeakers} speakers, ${summary.labels.length} classes, ` +
      `${formatDuration(summary.totalDurationS)} of audio` +
      (summary.unreadable.length > 0 ? `, ${summary.unreadable.length} unreadable` : ''),
  );

  sections.push(
    formatColumns([
      ['class', 'clips', 'share'],
      ...summary.labels.map((label) => [label, String(summary.perClass[label] ?? 0), percent(summary.perClass[label] ?? 0, n)]),
    ]),
  );

  const speakerRows = summary.speakers.map((speaker) => [
    speaker === '' ? '(unknown)' : speaker,
    summary.genderBySpeaker[speaker] ?? '?',
    ...summary.labels.map((label) => String(summary.speakerByClass[speaker]?.[label] ?? 0)),
    String(summary.perSpeaker[speaker] ?? 0),
  ]);
  const totalRow = ['total', '', ...summary.labels.map((label) => String(summary.perClass[label] ?? 0)), String(n)];
  sections.push(formatColumns([['speaker', 'gender', ...summary.labels, 'total'], ...speakerRows, totalRow]));

  const g = summary.genders;
  sections.push(`gender: female ${g.female}, male ${g.male}, unknown ${g.unknown}`);

  if (summary.duration) {
    const d = summary.duration;
    const lines = [
      `duration (s): min ${d.minS.toFixed(3)}  median ${d.medianS.toFixed(3)}  mean ${d.meanS.toFixed(3)}  max ${d.maxS.toFixed(3)}`,
    ];
    const { edgesS, counts } = summary.durationHistogram;
    const most = Math.max(...counts);
    const bars = counts.map((count, i) => [
      `  ${edgesS[i]!.toFixed(2)}-${edgesS[i + 1]!.toFixed(2)} s`,
      String(count),
      '#'.repeat(Math.round((30 * count) / most)),
    ]);
    lines.push(formatColumns(bars));
    sections.push(lines.join('\n'));
  }

  const rates = summary.sampleRates.map((r) => `${r.value} Hz x${r.count}`).join(', ');
  const channelName = (c: number): string => (c === 1 ? 'mono' : c === 2 ? 'stereo' : `${c} channels`);
  const channels = summary.channelCounts.map((c) => `${channelName(c.value)} x${c.count}`).join(', ');
  sections.push(`sample rates: ${rates || '-'}\nchannels: ${channels || '-'}`);

  if (summary.unreadable.length > 0) {
    const shown = summary.unreadable.slice(0, 10).map((u) => `  ${u.relPath}: ${u.reason}`);
    const more = summary.unreadable.length > 10 ? [`  ... and ${summary.unreadable.length - 10} more`] : [];
    sections.push([`unreadable (${summary.unreadable.length}):`, ...shown, ...more].join('\n'));
  }
  return sections.join('\n\n');
}
