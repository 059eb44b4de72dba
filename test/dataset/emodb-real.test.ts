import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { scanDataset, speakerSplit, validateSplit } from '../../main/dataset';

// The real EmoDB copy shared between projects; optional, so this check is skipped (visibly) without it.
const EMODB = fileURLToPath(new URL('../../../shared/data/emodb', import.meta.url));
const exists = existsSync(EMODB);
if (!exists) console.warn(`[dataset] real EmoDB not found at ${EMODB}: skipping the real-corpus check`);

describe('real EmoDB', () => {
  it.skipIf(!exists)('reads 535 clips, 10 speakers, 7 emotions with the published class counts', async () => {
    const scan = await scanDataset(EMODB);
    expect(scan.scheme).toBe('emodb');
    expect(scan.clips).toHaveLength(535);
    expect(scan.skipped).toEqual([]);
    expect(scan.speakers).toEqual(['03', '08', '09', '10', '11', '12', '13', '14', '15', '16']);
    expect(scan.labels).toHaveLength(7);
    const counts: Record<string, number> = {};
    for (const clip of scan.clips) counts[clip.label] = (counts[clip.label] ?? 0) + 1;
    expect(counts).toEqual({ anger: 127, boredom: 81, disgust: 46, fear: 69, happiness: 71, sadness: 62, neutral: 79 });

    const split = speakerSplit(scan.clips, { testSpeakers: ['03', '08'], seed: 42 });
    validateSplit(split, scan.clips);
    expect(split.speakers.test).toEqual(['03', '08']);
    expect(split.test).toHaveLength(scan.clips.filter((c) => c.speaker === '03' || c.speaker === '08').length);
  });
});
