import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatasetError, scanDataset } from '../../main/dataset';
import { useTempTrees } from './helpers';

const tree = useTempTrees();

describe('scanDataset: CSV manifests', () => {
  it('uses a root manifest over file names, with quoted fields and case-insensitive columns', async () => {
    const root = await tree([
      'audio/03a01Wa.wav',
      'audio/take, two.wav',
      'audio/say "hi".wav',
      'audio/unlisted.wav',
      [
        'manifest.csv',
        'Path,LABEL,Speaker,Gender\r\n' +
          'audio/03a01Wa.wav,sad,s1,F\r\n' +
          '"audio/take, two.wav",Happy,s2,male\r\n' +
          '"audio/say ""hi"".wav","pleasant surprise","s,3",\r\n',
      ],
    ]);
    const scan = await scanDataset(root);
    expect(scan.scheme).toBe('csv');
    expect(scan.detection).toMatch(/CSV manifest manifest.csv at the dataset root/);
    expect(scan.clips.map((c) => [c.id, c.label, c.speaker, c.gender])).toEqual([
      ['audio/03a01Wa.wav', 'sadness', 's1', 'female'],
      ['audio/say "hi".wav', 'surprise', 's,3', undefined],
      ['audio/take, two.wav', 'happiness', 's2', 'male'],
    ]);
    expect(scan.clips[0]!.path).toBe(join(root, 'audio', '03a01Wa.wav'));
    expect(scan.skipped).toEqual([{ relPath: 'audio/unlisted.wav', reason: 'not listed in the manifest manifest.csv' }]);
    expect(scan.speakers).toEqual(['s,3', 's1', 's2']);
  });

  it('skips bad rows with their reasons and keeps the rest', async () => {
    const outside = await tree(['elsewhere/abs.wav']);
    const root = await tree(['a.wav', 'b.wav', 'c.wav', 'd.wav', 'e.wav', 'notes.txt']);
    const csv = [
      'path,label,speaker,gender',
      'a.wav,angry,s1,',
      'b.wav,grumpy,s1,',
      'a.wav,sad,s2,',
      'missing.wav,sad,s2,',
      ',sad,s2,',
      'c.wav,sad,s2,x',
      'notes.txt,sad,s2,',
      'd.wav,,s2,',
      `${join(outside, 'elsewhere', 'abs.wav')},neutral,s3,m`,
      './e.wav,fear,s3,',
    ].join('\n');
    const manifest = join(root, 'labels.csv');
    await fsp.writeFile(manifest, csv);
    const scan = await scanDataset(root, { manifest: 'labels.csv' });
    expect(scan.detection).toMatch(/given explicitly/);
    expect(scan.clips.map((c) => [c.relPath, c.label])).toEqual([
      [expect.stringMatching(/^\.\.\/.*\/elsewhere\/abs\.wav$/), 'neutral'],
      ['a.wav', 'anger'],
      ['e.wav', 'fear'],
    ]);
    expect(scan.clips[0]!.path).toBe(join(outside, 'elsewhere', 'abs.wav'));
    expect(scan.skipped).toEqual(
      expect.arrayContaining([
        { relPath: 'a.wav', reason: 'row 4: duplicate of row 2' },
        { relPath: 'b.wav', reason: "row 3: unknown label 'grumpy'" },
        { relPath: 'c.wav', reason: "row 7: unknown gender 'x' (use female/male or leave empty)" },
        { relPath: 'd.wav', reason: 'row 9: empty label' },
        { relPath: 'labels.csv row 6', reason: 'row 6: empty path' },
        { relPath: 'missing.wav', reason: expect.stringMatching(/^row 5: file not found/) },
        { relPath: 'notes.txt', reason: 'row 8: not an audio file (.wav .flac .mp3 .ogg)' },
      ]),
    );
    expect(scan.skipped).toHaveLength(7);
  });

  it('resolves relative paths against the manifest folder', async () => {
    const root = await tree(['audio/x.wav', 'audio/y.wav', ['meta/list.csv', 'file,emotion\n../audio/x.wav,calm\n../audio/y.wav,bored\n']]);
    const scan = await scanDataset(root, { scheme: 'csv', manifest: join(root, 'meta', 'list.csv') });
    expect(scan.clips.map((c) => [c.id, c.label, c.speaker])).toEqual([
      ['audio/x.wav', 'calm', ''],
      ['audio/y.wav', 'boredom', ''],
    ]);
    expect(scan.speakers).toEqual([]);
  });

  it('fails the whole manifest when a required column is missing', async () => {
    const root = await tree(['x.wav', ['list.csv', 'file,speaker\nx.wav,s1\n']]);
    const error = await scanDataset(root, { manifest: 'list.csv' }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(DatasetError);
    expect((error as Error).message).toMatch(/has no 'label' column \(header: file, speaker\); expected a header row path,label/);
    const noHeader = await tree(['x.wav', ['list.csv', 'x.wav,angry\n']]);
    await expect(scanDataset(noHeader, { manifest: 'list.csv' })).rejects.toThrow(/has no 'path' or 'label' column/);
  });

  it('reports invalid CSV, a missing manifest, conflicting options and ambiguous manifests', async () => {
    const root = await tree(['x.wav', ['bad.csv', 'path,label\n"x.wav,angry\n']]);
    await expect(scanDataset(root, { manifest: 'bad.csv' })).rejects.toThrow(/not valid CSV: unterminated quoted field starting on line 2/);
    await expect(scanDataset(root, { manifest: 'nope.csv' })).rejects.toThrow(/manifest not found/);
    await expect(scanDataset(root, { manifest: 'bad.csv', scheme: 'emodb' })).rejects.toThrow(/implies the csv scheme/);
    // A root CSV whose header names path and label is the manifest even when a later row is broken:
    // its parse error is reported, not "no known naming scheme fits".
    await expect(scanDataset(root)).rejects.toThrow(/bad\.csv is not valid CSV: unterminated quoted field starting on line 2/);
    await expect(scanDataset(root, { scheme: 'csv' })).rejects.toThrow(/not valid CSV: unterminated quoted field starting on line 2/);
    const noCsv = await tree(['x.wav', ['notes.csv', 'when,what\n"monday,recorded\n']]);
    await expect(scanDataset(noCsv, { scheme: 'csv' })).rejects.toThrow(/needs a manifest/);
    const two = await tree(['x.wav', ['a.csv', 'path,label\nx.wav,sad\n'], ['b.csv', 'path,label\nx.wav,sad\n']]);
    await expect(scanDataset(two)).rejects.toThrow(/several CSV manifests .*\(a\.csv, b\.csv\)/);
  });

  it('refuses a manifest without a single usable row', async () => {
    const root = await tree(['x.wav', ['list.csv', 'path,label\nx.wav,grumpy\n']]);
    await expect(scanDataset(root)).rejects.toThrow(/lists no usable audio files.*unknown label 'grumpy'/);
  });
});
