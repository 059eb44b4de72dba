import { describe, expect, it } from 'vitest';
import { formatSummaryTable, summarizeDataset, type Clip, type Emotion, type ScanResult } from '../../main/dataset';

function clip(id: string, label: Emotion, speaker: string, gender?: 'female' | 'male'): Clip {
  return { id, path: `/data/${id}`, relPath: id, label, speaker, sizeBytes: 100, mtimeMs: 1, ...(gender ? { gender } : {}) };
}

const scan: ScanResult = {
  root: '/data',
  scheme: 'emodb',
  detection: 'test',
  clips: [
    clip('a.wav', 'anger', '03', 'male'),
    clip('b.wav', 'anger', '08', 'female'),
    clip('c.wav', 'sadness', '03', 'male'),
    clip('d.wav', 'sadness', '08', 'female'),
    clip('e.wav', 'boredom', '', undefined),
    clip('broken.wav', 'anger', '08', 'female'),
  ],
  skipped: [],
  labels: ['anger', 'sadness', 'boredom'],
  speakers: ['03', '08'],
};

const facts: Record<string, { durationS: number; sampleRate: number; channels: number }> = {
  '/data/a.wav': { durationS: 1, sampleRate: 16000, channels: 1 },
  '/data/b.wav': { durationS: 2, sampleRate: 16000, channels: 1 },
  '/data/c.wav': { durationS: 3, sampleRate: 22050, channels: 2 },
  '/data/d.wav': { durationS: 4, sampleRate: 16000, channels: 1 },
  '/data/e.wav': { durationS: 10, sampleRate: 16000, channels: 1 },
};
async function fakeProbe(path: string): Promise<{ durationS: number; sampleRate: number; channels: number }> {
  await new Promise((resolve) => setTimeout(resolve, 1));
  const f = facts[path];
  if (!f) throw new Error('not a RIFF/WAVE file');
  return f;
}

describe('summarizeDataset', () => {
  it('counts classes, speakers, genders and audio properties over readable clips', async () => {
    const progress: [number, number][] = [];
    const summary = await summarizeDataset(scan, fakeProbe, {
      concurrency: 2,
      histogramBins: 3,
      onProgress: (d, t) => progress.push([d, t]),
    });
    expect(summary.clipCount).toBe(5);
    expect(summary.unreadable).toEqual([{ relPath: 'broken.wav', reason: 'not a RIFF/WAVE file' }]);
    expect(summary.perClass).toEqual({ anger: 2, sadness: 2, boredom: 1 });
    expect(summary.speakers).toEqual(['03', '08', '']);
    expect(summary.perSpeaker).toEqual({ '03': 2, '08': 2, '': 1 });
    expect(summary.speakerByClass['08']).toEqual({ anger: 1, sadness: 1, boredom: 0 });
    expect(summary.genderBySpeaker).toEqual({ '03': 'male', '08': 'female' });
    expect(summary.genders).toEqual({ female: 2, male: 2, unknown: 1 });
    expect(summary.totalDurationS).toBe(20);
    expect(summary.duration).toEqual({ minS: 1, medianS: 3, meanS: 4, maxS: 10 });
    expect(summary.durationHistogram).toEqual({ edgesS: [1, 4, 7, 10], counts: [3, 1, 1] });
    expect(summary.sampleRates).toEqual([
      { value: 16000, count: 4 },
      { value: 22050, count: 1 },
    ]);
    expect(summary.channelCounts).toEqual([
      { value: 1, count: 4 },
      { value: 2, count: 1 },
    ]);
    expect(progress).toHaveLength(6);
    expect(progress.at(-1)).toEqual([6, 6]);
  });

  it('handles equal durations and a corpus nothing could be read from', async () => {
    const same = await summarizeDataset(scan, async () => ({ durationS: 2, sampleRate: 22050, channels: 1 }));
    expect(same.durationHistogram).toEqual({ edgesS: [2, 2], counts: [6] });
    expect(same.duration?.medianS).toBe(2);
    const none = await summarizeDataset(scan, async () => {
      throw new Error('unsupported');
    });
    expect(none.clipCount).toBe(0);
    expect(none.duration).toBeNull();
    expect(none.unreadable).toHaveLength(6);
    expect(formatSummaryTable(none)).toMatch(/unreadable \(6\)/);
  });

  it('formats aligned tables', async () => {
    const text = formatSummaryTable(await summarizeDataset(scan, fakeProbe));
    expect(text).toContain('5 clips, 2 speakers, 3 classes, 20.0 s of audio, 1 unreadable');
    const lines = text.split('\n');
    const header = lines.find((line) => line.startsWith('speaker'))!;
    expect(header).toMatch(/^speaker\s+gender\s+anger\s+sadness\s+boredom\s+total$/);
    const row03 = lines.find((line) => line.startsWith('03 '))!;
    const unknownRow = lines.find((line) => line.startsWith('(unknown)'))!;
    // Right-aligned numbers end in the same column as their header.
    expect(row03.length).toBe(header.length);
    expect(unknownRow.length).toBe(header.length);
    expect(text).toMatch(/sample rates: 16000 Hz x4, 22050 Hz x1/);
    expect(text).toMatch(/channels: mono x4, stereo x1/);
    expect(text).toMatch(/broken\.wav: not a RIFF\/WAVE file/);
  });
});
