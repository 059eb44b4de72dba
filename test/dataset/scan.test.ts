import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatasetError, scanDataset } from '../../main/dataset';
import { emodbNames, useTempTrees } from './helpers';

const tree = useTempTrees();

describe('scanDataset: detection', () => {
  it('detects EmoDB, reports the share and runner-up, and returns sorted clips', async () => {
    const root = await tree([...emodbNames(['08', '03', '16'], 'WLEAFTN'), 'SOURCE.txt']);
    const scan = await scanDataset(root);
    expect(scan.scheme).toBe('emodb');
    expect(scan.detection).toMatch(/auto-detected emodb: 21 of 21 audio files \(100%\)/);
    expect(scan.detection).toMatch(/runner-up \S+ 0%/);
    expect(scan.clips).toHaveLength(21);
    expect(scan.clips.map((c) => c.id)).toEqual([...scan.clips.map((c) => c.id)].sort());
    expect(scan.speakers).toEqual(['03', '08', '16']);
    expect(scan.labels).toEqual(['anger', 'disgust', 'fear', 'happiness', 'neutral', 'sadness', 'boredom']);
    const clip = scan.clips.find((c) => c.id === '03a01Wa.wav')!;
    expect(clip).toMatchObject({
      relPath: '03a01Wa.wav',
      path: join(root, '03a01Wa.wav'),
      label: 'anger',
      speaker: '03',
      gender: 'male',
      sizeBytes: 0,
    });
    expect(clip.mtimeMs).toBeGreaterThan(0);
    expect(scan.skipped).toEqual([]);
  });

  it('reports near misses and non-matching files as skipped with reasons', async () => {
    const root = await tree([...emodbNames(['03', '08'], 'WLEAFTN'), '03a01Xa.wav', 'notes/readme.wav']);
    const scan = await scanDataset(root);
    expect(scan.scheme).toBe('emodb');
    expect(scan.clips).toHaveLength(14);
    expect(scan.skipped).toEqual([
      { relPath: '03a01Xa.wav', reason: expect.stringMatching(/unknown EmoDB emotion letter 'X'/) },
      { relPath: 'notes/readme.wav', reason: expect.stringMatching(/does not follow EmoDB/) },
    ]);
  });

  it('detects CREMA-D, RAVDESS, TESS and SAVEE', async () => {
    const crema = await tree(['1001_DFA_ANG_XX.wav', '1001_DFA_SAD_XX.wav', '1002_IEO_HAP_HI.wav']);
    expect((await scanDataset(crema)).scheme).toBe('crema-d');
    const ravdess = await tree(['Actor_01/03-01-05-01-02-01-01.wav', 'Actor_02/03-01-02-01-01-01-02.wav']);
    expect((await scanDataset(ravdess)).scheme).toBe('ravdess');
    const tess = await tree(['OAF_angry/OAF_back_angry.wav', 'YAF_pleasant_surprised/YAF_dog_ps.wav', 'OAF_Fear/OAF_bite_fear.wav']);
    const tessScan = await scanDataset(tess);
    expect(tessScan.scheme).toBe('tess');
    expect(tessScan.labels).toEqual(['anger', 'fear', 'surprise']);
    const savee = await tree(['AudioData/DC/a01.wav', 'AudioData/JE/sa02.wav', 'AudioData/KL/su01.wav']);
    expect((await scanDataset(savee)).speakers).toEqual(['DC', 'JE', 'KL']);
  });

  it('prefers a corpus scheme over folder-per-class on a tie, but uses folders when they explain more', async () => {
    const tess = await tree(['angry/OAF_back_angry.wav', 'sad/YAF_dog_sad.wav']);
    expect((await scanDataset(tess)).scheme).toBe('tess');
    const folders = await tree(['angry/spk1/a.wav', 'happy/spk2/b.wav', 'sad/spk1/c.wav', 'angry/spk2/03a01Wa.wav']);
    const scan = await scanDataset(folders);
    expect(scan.scheme).toBe('folder-per-class');
    expect(scan.detection).toMatch(/runner-up emodb 25%/);
    expect(scan.speakers).toEqual(['spk1', 'spk2']);
  });

  it('reads CREMA-D genders from VideoDemographics.csv when present', async () => {
    const root = await tree([
      '1001_DFA_ANG_XX.wav',
      '1002_DFA_ANG_XX.wav',
      '1003_DFA_ANG_XX.wav',
      [
        'VideoDemographics.csv',
        'ActorID,Age,Sex,Race,Ethnicity\n1001,51,Male,Caucasian,Not Hispanic\n1002,21,Female,Caucasian,Not Hispanic\n',
      ],
    ]);
    const scan = await scanDataset(root);
    expect(scan.scheme).toBe('crema-d');
    expect(scan.detection).toMatch(/genders from VideoDemographics.csv/);
    expect(scan.clips.map((c) => c.gender)).toEqual(['male', 'female', undefined]);
  });

  it('honours an explicit scheme and reports what it cannot read', async () => {
    const root = await tree(['angry/03a01Fa.wav', 'sad/03a01Ta.wav', 'sad/x.wav']);
    const auto = await scanDataset(root);
    expect(auto.scheme).toBe('folder-per-class');
    const forced = await scanDataset(root, { scheme: 'emodb' });
    expect(forced.scheme).toBe('emodb');
    expect(forced.detection).toBe('scheme emodb chosen explicitly');
    expect(forced.clips.map((c) => c.label)).toEqual(['happiness', 'sadness']);
    expect(forced.skipped).toEqual([{ relPath: 'sad/x.wav', reason: expect.stringMatching(/does not follow EmoDB/) }]);
    await expect(scanDataset(root, { scheme: 'ravdess' })).rejects.toThrow(/none of the 3 audio files .* ravdess scheme/);
  });

  it('refuses when no scheme reads a clear majority', async () => {
    const root = await tree(['03a01Wa.wav', '03a01Na.wav', 'a.wav', 'b.wav', 'c.wav']);
    await expect(scanDataset(root)).rejects.toThrow(/no naming scheme fits most of the 5 audio files.*emodb, reads 2 \(40%\)/);
    const nothing = await tree(['a.wav', 'b.flac']);
    await expect(scanDataset(nothing)).rejects.toThrow(/no known naming scheme fits the 2 audio files/);
  });

  it('throws DatasetError for a missing root, a file as root and a folder without audio', async () => {
    const root = await tree(['notes.txt']);
    await expect(scanDataset(join(root, 'nope'))).rejects.toThrow(/dataset folder not found/);
    await expect(scanDataset(join(root, 'notes.txt'))).rejects.toThrow(/must be a folder/);
    const error = await scanDataset(root).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(DatasetError);
    expect((error as Error).message).toMatch(/no audio files \(\.wav \.flac \.mp3 \.ogg\).*1 other files/);
  });
});

describe('scanDataset: walking the folder', () => {
  it('accepts audio extensions in any case and ignores hidden files, __MACOSX and other files', async () => {
    const root = await tree([
      '03a01Wa.WAV',
      '03a01Na.Flac',
      '08a01Wa.mp3',
      '08a01Ta.OGG',
      '08a01Fa.aiff',
      '.03a01Ta.wav',
      '._03a01Wa.WAV',
      '.hidden/03a02Wa.wav',
      '__MACOSX/03a01Wa.wav',
    ]);
    const scan = await scanDataset(root);
    expect(scan.clips.map((c) => c.id)).toEqual(['03a01Na.Flac', '03a01Wa.WAV', '08a01Ta.OGG', '08a01Wa.mp3']);
    expect(scan.skipped).toEqual([]);
  });

  it('uses forward slashes in ids', async () => {
    const root = await tree(['a/b/03a01Wa.wav', 'a/03a01Na.wav']);
    const scan = await scanDataset(root);
    expect(scan.clips.map((c) => c.id)).toEqual(['a/03a01Na.wav', 'a/b/03a01Wa.wav']);
  });

  it('follows symbolic links, reports a loop once and never takes a file twice', async () => {
    const root = await tree(['spk/03a01Wa.wav', 'spk/deeper/08a01Na.wav', 'other/09a01Ta.wav']);
    await fsp.symlink(join(root, 'spk'), join(root, 'spk', 'deeper', 'loop'));
    await fsp.symlink(join(root, 'other'), join(root, 'linked-other'));
    await fsp.symlink(join(root, 'spk', '03a01Wa.wav'), join(root, '03a01Wa-copy.wav'));
    await fsp.symlink(join(root, 'missing.wav'), join(root, 'broken.wav'));
    const scan = await scanDataset(root);
    expect(scan.clips.map((c) => c.id)).toEqual(['other/09a01Ta.wav', 'spk/03a01Wa.wav', 'spk/deeper/08a01Na.wav']);
    expect(scan.skipped).toEqual([
      { relPath: '03a01Wa-copy.wav', reason: "same file as 'spk/03a01Wa.wav' (linked twice; taken once)" },
      { relPath: 'broken.wav', reason: 'broken symbolic link' },
      { relPath: 'linked-other', reason: "links to a folder already scanned as 'other' (not followed twice)" },
      { relPath: 'spk/deeper/loop', reason: "symbolic link loop back to 'spk' (not followed)" },
    ]);
  });

  it('follows a link to a folder outside the root', async () => {
    const outside = await tree(['08a01Na.wav']);
    const root = await tree(['03a01Wa.wav']);
    await fsp.symlink(outside, join(root, 'external'));
    const scan = await scanDataset(root);
    expect(scan.clips.map((c) => [c.id, c.path])).toEqual([
      ['03a01Wa.wav', join(root, '03a01Wa.wav')],
      ['external/08a01Na.wav', join(root, 'external', '08a01Na.wav')],
    ]);
  });

  it('survives a link to the root itself', async () => {
    const root = await tree(['03a01Wa.wav', 'sub/08a01Na.wav']);
    await fsp.symlink(root, join(root, 'sub', 'root-again'));
    const scan = await scanDataset(root);
    expect(scan.clips).toHaveLength(2);
    expect(scan.skipped).toEqual([{ relPath: 'sub/root-again', reason: "symbolic link loop back to '.' (not followed)" }]);
  });
});
