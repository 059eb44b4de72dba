/** Pure builders of the Dataset view's bar-chart data (what BarChart.vue takes as props). */
import type { DatasetOverview } from '../../../main/api/contract';
import { COLORS, emotionColor } from './palette';

export interface BarDataset {
  label: string;
  data: number[];
  color?: string | string[];
}

export interface BarData {
  labels: string[];
  datasets: BarDataset[];
}

const collator = new Intl.Collator('en', { numeric: true });

/** How a speaker id is shown ('' = the scheme does not know the speaker). */
export function speakerLabel(speaker: string): string {
  return speaker === '' ? 'unknown' : speaker;
}

/** Speakers in natural order ("2" before "10"). */
export function sortedSpeakers(speakers: readonly string[]): string[] {
  return [...speakers].sort(collator.compare);
}

/** Clips per class, one bar per class in the overview's label order, each in its class colour. */
export function classBars(overview: Pick<DatasetOverview, 'labels' | 'perClass'>): BarData {
  return {
    labels: [...overview.labels],
    datasets: [
      {
        label: 'clips',
        data: overview.labels.map((label) => overview.perClass[label] ?? 0),
        color: overview.labels.map(emotionColor),
      },
    ],
  };
}

/** Clips per speaker, stacked by class (one dataset per class). */
export function speakerClassBars(overview: Pick<DatasetOverview, 'labels' | 'speakers' | 'speakerByClass'>): BarData {
  const speakers = sortedSpeakers(overview.speakers.length > 0 ? overview.speakers : Object.keys(overview.speakerByClass));
  return {
    labels: speakers.map(speakerLabel),
    datasets: overview.labels.map((label) => ({
      label,
      data: speakers.map((speaker) => overview.speakerByClass[speaker]?.[label] ?? 0),
      color: emotionColor(label),
    })),
  };
}

function edgeDigits(edgesS: readonly number[]): number {
  let smallest = Infinity;
  for (let i = 1; i < edgesS.length; i++) smallest = Math.min(smallest, edgesS[i]! - edgesS[i - 1]!);
  if (!Number.isFinite(smallest) || smallest <= 0) return 1;
  if (smallest >= 1 && edgesS.every((e) => Number.isInteger(e))) return 0;
  return Math.min(3, Math.max(1, Math.ceil(-Math.log10(smallest) + 1e-9)));
}

/** One label per histogram bin from its edges: [0, 0.5, 1] → ["0.0–0.5", "0.5–1.0"]. */
export function histogramLabels(edgesS: readonly number[]): string[] {
  const digits = edgeDigits(edgesS);
  const labels: string[] = [];
  for (let i = 0; i + 1 < edgesS.length; i++) labels.push(`${edgesS[i]!.toFixed(digits)}–${edgesS[i + 1]!.toFixed(digits)}`);
  return labels;
}

/** The duration histogram as bars labelled by bin (seconds). */
export function durationBars(histogram: DatasetOverview['durationHistogram']): BarData {
  const labels = histogramLabels(histogram.edgesS);
  return {
    labels,
    datasets: [{ label: 'clips', data: histogram.counts.slice(0, labels.length), color: COLORS.accent }],
  };
}

/** "16,000 Hz × 120, 44,100 Hz × 3", most common first. */
export function sampleRatesText(rates: DatasetOverview['sampleRates']): string {
  if (rates.length === 0) return '–';
  return [...rates]
    .sort((a, b) => b.count - a.count)
    .map((r) => `${r.value.toLocaleString('en-US')} Hz × ${r.count.toLocaleString('en-US')}`)
    .join(', ');
}
