/**
 * A corpus of bad and awkward inputs, written into a temporary folder: malformed WAV files of every
 * kind, files that are not audio, absurd lengths and layouts, file-system oddities (dangling links,
 * link loops, non-UTF-8 names, unreadable files) and broken CSV manifests, next to good clips so a
 * test can check that the batch goes on around them.
 *
 * The audio corpus is a folder-per-class dataset `<emotion>/<speaker>/<file>.wav`, so every file
 * name (even a non-UTF-8 one) can carry its label and each bad file reaches feature extraction.
 */
import { chmodSync, closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { AudioErrorCode } from '../../main/audio';
import { encodeSamples, fmtChunk, riff, type Chunk } from '../audio/wav-writer';

export const GOOD_CLASSES = ['anger', 'happiness', 'neutral', 'sadness'] as const;
export const GOOD_SPEAKERS = ['spk01', 'spk02', 'spk03'] as const;

/** What the engine must do with one file of the corpus. */
export type Expectation =
  /** loadAudio / probe / extraction reject it with this AudioError code (and a reason matching `reason`). */
  | { kind: 'rejected'; code: AudioErrorCode; reason: RegExp; probeToo?: boolean }
  /** It decodes and gets finite features; `durationS` is checked when given. */
  | { kind: 'decodes'; durationS?: number; channels?: number; sampleRate?: number }
  /** The dataset scan leaves it out and reports it in `skipped` with this reason. */
  | { kind: 'scan-skipped'; reason: RegExp };

export interface CorpusCase {
  /** Short name, used in test titles and the tally. */
  name: string;
  /** Relative to the corpus root, forward slashes, as scanDataset ids it (links and odd names included). */
  relPath: string;
  /** Absolute path (a Buffer for a name that is not valid UTF-8). */
  path: string | Buffer;
  expect: Expectation;
}

export interface AudioCorpus {
  root: string;
  /** Good clips (relPath), 0.5 s tones of a class-dependent pitch, 16 kHz mono 16-bit. */
  good: string[];
  cases: CorpusCase[];
  /** Cases that could not be made here, with why (printed by the test). */
  notMade: { name: string; reason: string }[];
}

const RATE = 16_000;

/** A tone with a little harmonic and vibrato: valid, varied, non-silent audio in [-1, 1]. */
export function tone(frequency: number, seconds: number, sampleRate = RATE, amplitude = 0.4): Float32Array {
  const n = Math.round(seconds * sampleRate);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const t = i / sampleRate;
    const f = frequency * (1 + 0.01 * Math.sin(2 * Math.PI * 5 * t));
    out[i] = amplitude * (0.8 * Math.sin(2 * Math.PI * f * t) + 0.2 * Math.sin(2 * Math.PI * 2.7 * f * t));
  }
  return out;
}

export function int16(samples: Float32Array): number[] {
  return Array.from(samples, (x) => Math.max(-32768, Math.min(32767, Math.round(x * 32767))));
}

/** A canonical 16-bit PCM WAV, interleaved channels. */
export function pcm16Wav(interleaved: Float32Array, channels = 1, sampleRate = RATE): Uint8Array {
  return riff([
    fmtChunk({ formatTag: 1, channels, sampleRate, bitsPerSample: 16 }),
    { id: 'data', body: encodeSamples(int16(interleaved), 'pcm16') },
  ]);
}

function floatWav(values: number[], sampleRate = RATE): Uint8Array {
  return riff([
    fmtChunk({ formatTag: 3, channels: 1, sampleRate, bitsPerSample: 32 }),
    { id: 'data', body: encodeSamples(values, 'float32') },
  ]);
}

function withRiffSize(bytes: Uint8Array, size: number): Uint8Array {
  const copy = bytes.slice();
  new DataView(copy.buffer).setUint32(4, size >>> 0, true);
  return copy;
}

/** A minimal valid PNG (1×1 grey), to be renamed .wav. */
const PNG_1X1 = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108000000003a7e9b550000000a49444154789c6360000000020001e221bc330000000049454e44ae426082',
  'hex',
);

const HOUR_S = 3600;
export const EIGHT_HOURS_S = 8 * HOUR_S;

/**
 * Writes an 8-hour 16 kHz mono 16-bit WAV as a sparse file: a 44-byte header declaring the full
 * data chunk, then ftruncate to the full size (about 0.9 GB that take no disk space).
 */
export function writeSparseLongWav(path: string, seconds = EIGHT_HOURS_S): number {
  const dataBytes = seconds * RATE * 2;
  const header = riff([
    fmtChunk({ formatTag: 1, channels: 1, sampleRate: RATE, bitsPerSample: 16 }),
    { id: 'data', body: new Uint8Array(0), declaredSize: dataBytes },
  ]);
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, header);
    ftruncateSync(fd, header.length + dataBytes);
  } finally {
    closeSync(fd);
  }
  return header.length + dataBytes;
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** Builds the audio corpus in a fresh temporary folder. */
export function makeAudioCorpus(): AudioCorpus {
  const root = mkdtempSync(join(tmpdir(), 'ser-bad-input-'));
  const good: string[] = [];
  const cases: CorpusCase[] = [];
  const notMade: AudioCorpus['notMade'] = [];
  const put = (relPath: string, bytes: Uint8Array): string => {
    const path = join(root, relPath);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, bytes);
    return path;
  };

  GOOD_CLASSES.forEach((label, c) => {
    GOOD_SPEAKERS.forEach((speaker, s) => {
      const relPath = `${label}/${speaker}/good-${label}-${speaker}.wav`;
      put(relPath, pcm16Wav(tone(140 + 90 * c + 17 * s, 0.5)));
      good.push(relPath);
    });
  });

  const add = (name: string, relPath: string, bytes: Uint8Array, expect: Expectation): void => {
    cases.push({ name, relPath, path: put(relPath, bytes), expect });
  };
  const fmt16 = fmtChunk({ formatTag: 1, channels: 1, sampleRate: RATE, bitsPerSample: 16 });
  const second = encodeSamples(int16(tone(220, 1)), 'pcm16'); // 32 000 bytes

  // --- Malformed WAV files
  add('empty file', 'anger/spk01/empty.wav', new Uint8Array(0), { kind: 'rejected', code: 'empty', reason: /0 bytes/, probeToo: true });
  add('header only (RIFF/WAVE, no chunks)', 'anger/spk01/header-only.wav', riff([]), {
    kind: 'rejected',
    code: 'corrupt',
    reason: /no "fmt " chunk/,
    probeToo: true,
  });
  add(
    'header declares data, no body follows',
    'anger/spk01/header-no-body.wav',
    riff([fmt16, { id: 'data', body: new Uint8Array(0), declaredSize: 32_000 }]),
    {
      kind: 'rejected',
      code: 'truncated',
      reason: /data chunk declares 32000 bytes but only 0 follow/,
      probeToo: true,
    },
  );
  add(
    'truncated data chunk',
    'anger/spk01/truncated.wav',
    riff([fmt16, { id: 'data', body: second.subarray(0, 1000), declaredSize: 32_000 }]),
    {
      kind: 'rejected',
      code: 'truncated',
      reason: /data chunk declares 32000 bytes but only 1000 follow/,
      probeToo: true,
    },
  );
  add('cut off inside the RIFF header', 'anger/spk01/cut-riff.wav', Uint8Array.from([0x52, 0x49, 0x46, 0x46, 0x10]), {
    kind: 'rejected',
    code: 'truncated',
    reason: /shorter than a RIFF\/WAVE header/,
    probeToo: true,
  });
  add('"fmt " chunk size runs past the end', 'happiness/spk01/fmt-too-long.wav', riff([{ ...fmt16, declaredSize: 5000 }]), {
    kind: 'rejected',
    code: 'truncated',
    reason: /"fmt " chunk declares 5000 bytes/,
    probeToo: true,
  });
  add(
    '"fmt " chunk of 8 bytes',
    'happiness/spk01/fmt-short.wav',
    riff([
      { id: 'fmt ', body: fmt16.body.subarray(0, 8) },
      { id: 'data', body: second },
    ]),
    {
      kind: 'rejected',
      code: 'corrupt',
      reason: /"fmt " chunk is 8 bytes/,
      probeToo: true,
    },
  );
  add(
    '0 channels',
    'happiness/spk01/zero-channels.wav',
    riff([fmtChunk({ formatTag: 1, channels: 0, sampleRate: RATE, bitsPerSample: 16, blockAlign: 2 }), { id: 'data', body: second }]),
    {
      kind: 'rejected',
      code: 'corrupt',
      reason: /0 channels/,
      probeToo: true,
    },
  );
  add(
    'sample rate 0',
    'happiness/spk01/zero-rate.wav',
    riff([fmtChunk({ formatTag: 1, channels: 1, sampleRate: 0, bitsPerSample: 16 }), { id: 'data', body: second }]),
    {
      kind: 'rejected',
      code: 'corrupt',
      reason: /sample rate of 0/,
      probeToo: true,
    },
  );
  add(
    'block align lies',
    'happiness/spk01/block-align.wav',
    riff([fmtChunk({ formatTag: 1, channels: 1, sampleRate: RATE, bitsPerSample: 16, blockAlign: 6 }), { id: 'data', body: second }]),
    {
      kind: 'rejected',
      code: 'corrupt',
      reason: /block align 6/,
      probeToo: true,
    },
  );
  // The RIFF size is not trusted (writers get it wrong all the time): the chunks are.
  const riffLies = pcm16Wav(tone(300, 0.5));
  add('RIFF size too small', 'neutral/spk01/riff-size-small.wav', withRiffSize(riffLies, 4), { kind: 'decodes', durationS: 0.5 });
  add('RIFF size far too large', 'neutral/spk01/riff-size-huge.wav', withRiffSize(riffLies, 0xfffffff0), {
    kind: 'decodes',
    durationS: 0.5,
  });
  // A data size smaller than what follows: only the declared samples are audio (the rest is junk).
  add(
    'data size smaller than the data',
    'neutral/spk01/data-size-small.wav',
    riff([fmt16, { id: 'data', body: second, declaredSize: 8000 }]),
    {
      kind: 'decodes',
      durationS: 0.25,
    },
  );
  add(
    'data size 0xFFFFFFFF (streaming writer)',
    'neutral/spk01/data-size-streaming.wav',
    riff([fmt16, { id: 'data', body: second, declaredSize: 0xffffffff }]),
    {
      kind: 'decodes',
      durationS: 1,
    },
  );

  // --- Not audio at all
  add('PNG renamed .wav', 'sadness/spk01/picture.wav', PNG_1X1, {
    kind: 'rejected',
    code: 'not-audio',
    reason: /not-audio: not a WAV, FLAC, Ogg or MP3 file/,
    probeToo: true,
  });
  add(
    'text renamed .wav',
    'sadness/spk01/notes.wav',
    Buffer.from('These are my notes about the recording session.\nSpeaker 3 was tired.\n'),
    {
      kind: 'rejected',
      code: 'not-audio',
      reason: /not-audio: not a WAV, FLAC, Ogg or MP3 file/,
      probeToo: true,
    },
  );
  add('RIFF but AVI, not WAVE', 'sadness/spk01/movie.wav', riff([{ id: 'LIST', body: new Uint8Array(16) }], 'AVI '), {
    kind: 'rejected',
    code: 'not-audio',
    reason: /not WAVE/,
    probeToo: true,
  });

  // --- Codecs the engine does not decode
  add(
    'MP3 inside WAV (format tag 0x0055)',
    'sadness/spk01/mp3-in-wav.wav',
    riff([fmtChunk({ formatTag: 0x55, channels: 1, sampleRate: RATE, bitsPerSample: 16 }), { id: 'data', body: second }]),
    {
      kind: 'rejected',
      code: 'unsupported-encoding',
      reason: /format tag 85 \(MPEG Layer 3\)/,
      probeToo: true,
    },
  );
  add(
    'MS ADPCM (format tag 0x0002)',
    'sadness/spk01/adpcm.wav',
    riff([fmtChunk({ formatTag: 0x02, channels: 1, sampleRate: RATE, bitsPerSample: 4, blockAlign: 256 }), { id: 'data', body: second }]),
    {
      kind: 'rejected',
      code: 'unsupported-encoding',
      reason: /format tag 2 \(Microsoft ADPCM\)/,
      probeToo: true,
    },
  );
  const rf64 = pcm16Wav(tone(300, 0.1));
  rf64.set([0x52, 0x46, 0x36, 0x34], 0); // 'RF64'
  add('RF64 (64-bit WAV)', 'sadness/spk01/rf64.wav', rf64, {
    kind: 'rejected',
    code: 'unsupported-encoding',
    reason: /RF64/,
    probeToo: true,
  });

  // --- Degenerate lengths and values
  add('0-sample clip', 'anger/spk02/zero-samples.wav', riff([fmt16, { id: 'data', body: new Uint8Array(0) }]), {
    kind: 'rejected',
    code: 'empty',
    reason: /no samples/,
    probeToo: true,
  });
  add('1-sample clip', 'anger/spk02/one-sample.wav', riff([fmt16, { id: 'data', body: encodeSamples([12000], 'pcm16') }]), {
    kind: 'decodes',
    durationS: 1 / RATE,
  });
  add('all silence', 'anger/spk02/silence.wav', pcm16Wav(new Float32Array(RATE / 2)), { kind: 'decodes', durationS: 0.5 });
  add('clipped float WAV (±4, square)', 'anger/spk02/clipped-float.wav', floatWav(Array.from(tone(200, 0.5), (x) => (x >= 0 ? 4 : -4))), {
    kind: 'decodes',
    durationS: 0.5,
  });
  const poisoned = Array.from(tone(250, 0.5), (x) => x);
  poisoned[100] = Number.NaN;
  poisoned[2000] = Number.POSITIVE_INFINITY;
  poisoned[4000] = Number.NEGATIVE_INFINITY;
  add('NaN/Inf float WAV', 'anger/spk02/nan-inf-float.wav', floatWav(poisoned), {
    kind: 'rejected',
    code: 'corrupt',
    reason: /NaN|infinite|not finite/i,
  });

  // --- Absurd length and layout
  const longRel = 'neutral/spk02/eight-hours.wav';
  const longPath = join(root, longRel);
  mkdirSync(dirname(longPath), { recursive: true });
  writeSparseLongWav(longPath);
  cases.push({
    name: '8-hour WAV (sparse)',
    relPath: longRel,
    path: longPath,
    expect: { kind: 'rejected', code: 'too-long', reason: /28800\.0 s exceeds/, probeToo: false },
  });

  const frames = 96_000 / 2; // 0.5 s
  const six = new Float32Array(frames * 6);
  const channelTones = [
    tone(180, 0.5, 96_000),
    tone(260, 0.5, 96_000),
    tone(340, 0.5, 96_000),
    tone(420, 0.5, 96_000),
    tone(500, 0.5, 96_000),
    tone(40, 0.5, 96_000),
  ];
  for (let f = 0; f < frames; f++) for (let c = 0; c < 6; c++) six[f * 6 + c] = channelTones[c]![f]!;
  const sixChunks: Chunk[] = [
    fmtChunk({ formatTag: 1, channels: 6, sampleRate: 96_000, bitsPerSample: 24, extensibleSubformat: 1 }),
    {
      id: 'data',
      body: encodeSamples(
        Array.from(six, (x) => Math.round(x * 8388607)),
        'pcm24',
      ),
    },
  ];
  add('96 kHz 6-channel 24-bit WAV', 'neutral/spk02/surround-96k.wav', riff(sixChunks), {
    kind: 'decodes',
    durationS: 0.5,
    channels: 6,
    sampleRate: 96_000,
  });

  // --- File-system oddities
  const unreadableRel = 'sadness/spk02/no-permission.wav';
  if (isRoot()) {
    notMade.push({ name: 'unreadable permissions (chmod 000)', reason: 'running as root, which reads any file whatever its mode' });
  } else {
    add('unreadable permissions (chmod 000)', unreadableRel, pcm16Wav(tone(300, 0.2)), {
      kind: 'rejected',
      code: 'unreadable',
      reason: /EACCES/,
    });
    chmodSync(join(root, unreadableRel), 0o000);
  }
  const danglingRel = 'sadness/spk02/dangling.wav';
  symlinkSync(join(root, 'nowhere', 'gone.wav'), join(root, danglingRel));
  cases.push({
    name: 'dangling symlink',
    relPath: danglingRel,
    path: join(root, danglingRel),
    expect: { kind: 'scan-skipped', reason: /broken symbolic link/ },
  });
  const loopRel = 'sadness/spk02/loop';
  symlinkSync('..', join(root, loopRel)); // sadness/spk02/loop -> sadness
  cases.push({
    name: 'symlink loop (dir link to its parent)',
    relPath: loopRel,
    path: join(root, loopRel),
    expect: { kind: 'scan-skipped', reason: /symbolic link loop/ },
  });
  const rootLoopRel = 'happiness/spk02/to-root';
  mkdirSync(join(root, 'happiness/spk02'), { recursive: true });
  symlinkSync(root, join(root, rootLoopRel));
  cases.push({
    name: 'symlink loop (dir link to the dataset root)',
    relPath: rootLoopRel,
    path: join(root, rootLoopRel),
    expect: { kind: 'scan-skipped', reason: /symbolic link loop back to '\.'/ },
  });

  // A latin-1 name: bytes that are not valid UTF-8, so no JavaScript string names the file.
  const latin1Dir = join(root, 'happiness', 'spk02');
  const latin1Path = Buffer.concat([Buffer.from(`${latin1Dir}/`), Buffer.from('ang_\xe9t\xe9.wav', 'latin1')]);
  writeFileSync(latin1Path, pcm16Wav(tone(310, 0.3)));
  cases.push({
    name: 'non-UTF-8 file name (latin-1 bytes)',
    relPath: 'happiness/spk02/ang_\ufffdt\ufffd.wav',
    path: latin1Path,
    expect: { kind: 'scan-skipped', reason: /not valid UTF-8/ },
  });

  return { root, good, cases, notMade };
}

/** A small folder-per-class dataset with a CSV manifest at its root; rows as given. */
export function makeManifestDataset(rows: string[], header = 'path,label,speaker'): { root: string; manifest: string } {
  const root = mkdtempSync(join(tmpdir(), 'ser-bad-manifest-'));
  mkdirSync(join(root, 'clips'));
  for (let i = 0; i < 6; i++) writeFileSync(join(root, 'clips', `c${i}.wav`), pcm16Wav(tone(150 + 60 * i, 0.3)));
  const manifest = join(root, 'manifest.csv');
  writeFileSync(manifest, [header, ...rows].join('\n') + '\n');
  return { root, manifest };
}

/** A folder-per-class dataset of good clips: `classes` × `speakers`, `perPair` clips each. */
export function makeGoodDataset(classes: readonly string[], speakers: readonly string[], perPair = 1, seconds = 0.3): string {
  const root = mkdtempSync(join(tmpdir(), 'ser-good-'));
  classes.forEach((label, c) =>
    speakers.forEach((speaker, s) => {
      mkdirSync(join(root, label, speaker), { recursive: true });
      for (let v = 0; v < perPair; v++) {
        writeFileSync(join(root, label, speaker, `clip${v}.wav`), pcm16Wav(tone(130 + 80 * c + 11 * s + 5 * v, seconds)));
      }
    }),
  );
  return root;
}
