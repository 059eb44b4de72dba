import { describe, expect, it } from 'vitest';
import type { DatasetClip } from '../../main/api/contract';
import { base64ToBytes, wavBlobFromBase64 } from '../../renderer/src/lib/audio';
import { browseClips, filterClips, isFiltered, sortClips, toggleSort } from '../../renderer/src/lib/clipFilter';
import {
  classBars,
  durationBars,
  histogramLabels,
  sampleRatesText,
  speakerClassBars,
  speakerLabel,
} from '../../renderer/src/lib/datasetCharts';
import { emotionColor } from '../../renderer/src/lib/palette';

function clip(relPath: string, label: DatasetClip['label'], speaker: string, durationS: number | null): DatasetClip {
  return { id: relPath, path: `/d/${relPath}`, relPath, label, speaker, gender: 'unknown', durationS };
}

const CLIPS: DatasetClip[] = [
  clip('s10/clip10.wav', 'anger', '10', 2.5),
  clip('s2/clip2.wav', 'sadness', '2', null),
  clip('s2/Clip1.wav', 'anger', '2', 1.25),
  clip('s10/clip9.wav', 'neutral', '10', 3),
];

describe('dataset chart builders', () => {
  it('builds class bars in label order with class colours and 0 for missing classes', () => {
    const bars = classBars({ labels: ['anger', 'fear', 'sadness'], perClass: { anger: 12, sadness: 7 } });
    expect(bars.labels).toEqual(['anger', 'fear', 'sadness']);
    expect(bars.datasets).toEqual([
      { label: 'clips', data: [12, 0, 7], color: [emotionColor('anger'), emotionColor('fear'), emotionColor('sadness')] },
    ]);
  });

  it('builds speaker bars stacked by class, speakers in natural order', () => {
    const bars = speakerClassBars({
      labels: ['anger', 'sadness'],
      speakers: ['10', '3', '03b'],
      speakerByClass: { '10': { anger: 4, sadness: 1 }, '3': { sadness: 2 }, '03b': { anger: 1 } },
    });
    expect(bars.labels).toEqual(['3', '03b', '10']);
    expect(bars.datasets).toEqual([
      { label: 'anger', data: [0, 1, 4], color: emotionColor('anger') },
      { label: 'sadness', data: [2, 0, 1], color: emotionColor('sadness') },
    ]);
  });

  it('falls back to the speakerByClass keys and names the unknown speaker', () => {
    const bars = speakerClassBars({ labels: ['anger'], speakers: [], speakerByClass: { '': { anger: 5 } } });
    expect(bars.labels).toEqual(['unknown']);
    expect(bars.datasets[0]!.data).toEqual([5]);
    expect(speakerLabel('')).toBe('unknown');
    expect(speakerLabel('1001')).toBe('1001');
  });

  it('labels histogram bins with enough digits for their width', () => {
    expect(histogramLabels([0, 0.5, 1, 1.5])).toEqual(['0.0–0.5', '0.5–1.0', '1.0–1.5']);
    expect(histogramLabels([1, 2, 3])).toEqual(['1–2', '2–3']);
    expect(histogramLabels([0.25, 0.3, 0.35])).toEqual(['0.25–0.30', '0.30–0.35']);
    expect(histogramLabels([2])).toEqual([]);
    const bars = durationBars({ edgesS: [1, 2, 3], counts: [4, 6] });
    expect(bars.labels).toEqual(['1–2', '2–3']);
    expect(bars.datasets[0]!.data).toEqual([4, 6]);
  });

  it('writes sample rates most common first', () => {
    expect(
      sampleRatesText([
        { value: 44100, count: 3 },
        { value: 16000, count: 120 },
      ]),
    ).toBe('16,000 Hz × 120, 44,100 Hz × 3');
    expect(sampleRatesText([])).toBe('–');
  });
});

describe('clip filter', () => {
  it('filters by class, speaker and part of the file name', () => {
    expect(filterClips(CLIPS, { label: 'anger', speaker: '', text: '' }).map((c) => c.relPath)).toEqual(['s10/clip10.wav', 's2/Clip1.wav']);
    expect(filterClips(CLIPS, { label: 'anger', speaker: '2', text: '' }).map((c) => c.relPath)).toEqual(['s2/Clip1.wav']);
    expect(filterClips(CLIPS, { label: '', speaker: '', text: ' CLIP1 ' }).map((c) => c.relPath)).toEqual([
      's10/clip10.wav',
      's2/Clip1.wav',
    ]);
    expect(filterClips(CLIPS, { label: 'fear', speaker: '', text: '' })).toEqual([]);
    expect(isFiltered({ label: '', speaker: '', text: '  ' })).toBe(false);
    expect(isFiltered({ label: '', speaker: '10', text: '' })).toBe(true);
  });

  it('sorts by file naturally, by duration with unknown durations last, without touching the input', () => {
    const before = CLIPS.map((c) => c.relPath);
    expect(sortClips(CLIPS, { key: 'file', descending: false }).map((c) => c.relPath)).toEqual([
      's2/Clip1.wav',
      's2/clip2.wav',
      's10/clip9.wav',
      's10/clip10.wav',
    ]);
    expect(sortClips(CLIPS, { key: 'duration', descending: false }).map((c) => c.durationS)).toEqual([1.25, 2.5, 3, null]);
    expect(sortClips(CLIPS, { key: 'duration', descending: true }).map((c) => c.durationS)).toEqual([3, 2.5, 1.25, null]);
    expect(sortClips(CLIPS, { key: 'speaker', descending: false }).map((c) => c.relPath)).toEqual([
      's2/Clip1.wav',
      's2/clip2.wav',
      's10/clip9.wav',
      's10/clip10.wav',
    ]);
    expect(CLIPS.map((c) => c.relPath)).toEqual(before);
    expect(browseClips(CLIPS, { label: 'anger', speaker: '', text: '' }, { key: 'file', descending: true }).map((c) => c.relPath)).toEqual([
      's10/clip10.wav',
      's2/Clip1.wav',
    ]);
  });

  it('toggles the sort direction on the same column and starts ascending on another', () => {
    expect(toggleSort({ key: 'file', descending: false }, 'file')).toEqual({ key: 'file', descending: true });
    expect(toggleSort({ key: 'file', descending: true }, 'duration')).toEqual({ key: 'duration', descending: false });
  });
});

describe('audio payloads', () => {
  it('decodes base64 to bytes and a WAV blob', async () => {
    const bytes = base64ToBytes(btoa('RIFF\x00\xff'));
    expect([...bytes]).toEqual([82, 73, 70, 70, 0, 255]);
    const blob = wavBlobFromBase64(btoa('\x01\x02\x03'));
    expect(blob.type).toBe('audio/wav');
    expect([...new Uint8Array(await blob.arrayBuffer())]).toEqual([1, 2, 3]);
  });
});
