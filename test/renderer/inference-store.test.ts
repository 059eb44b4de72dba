/** Files for prediction (type, size, base64) and the inference store against a fake engine. */
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import type { FilePrediction, PredictInput, PredictionBatch, RequestArgs } from '../../main/api/contract';
import { setApi } from '../../renderer/src/api';
import { bytesToBase64, checkAudioFile, fileExtension, fileToPredictInput, MAX_FILE_BYTES } from '../../renderer/src/lib/files';
import { useInferenceStore } from '../../renderer/src/stores/inference';
import { fakeApi } from './fake-api';

/** A stand-in for a browser File: a Blob with a name. */
function file(name: string, bytes: number[] | Uint8Array): Blob & { name: string } {
  return Object.assign(new Blob([new Uint8Array(bytes)]), { name });
}

/** A Blob that claims a size without holding the bytes (for the size limit). */
function hugeFile(name: string, size: number): Blob & { name: string } {
  const blob = Object.assign(new Blob([]), { name });
  Object.defineProperty(blob, 'size', { value: size });
  return blob;
}

const LABELS = ['anger', 'fear', 'neutral'];

/** The engine: .wav names predict 'fear', a file named corrupt.* fails to decode. */
function predictFiles(args: RequestArgs<'predict.files'>): PredictionBatch {
  const results: FilePrediction[] = args.files.map((input: PredictInput) => {
    const name = 'path' in input ? input.path : input.name;
    if (name.includes('corrupt')) {
      return { name, path: `/uploads/${name}`, ok: false, error: { code: 'decode-failed', message: 'not a valid WAV file' } };
    }
    return {
      name,
      path: `/uploads/${name}`,
      ok: true,
      emotion: 'fear',
      confidence: 0.7,
      probabilities: [0.2, 0.7, 0.1],
      durationS: 2.5,
      totalMs: 31,
    };
  });
  return { runId: args.runId, checkpoint: args.checkpoint, labels: LABELS, results };
}

beforeEach(() => setActivePinia(createPinia()));

describe('files', () => {
  it('finds extensions case-insensitively', () => {
    expect(fileExtension('a/b/Clip.WAV')).toBe('.wav');
    expect(fileExtension('C:\\x\\y.flac')).toBe('.flac');
    expect(fileExtension('README')).toBe('');
    expect(fileExtension('.hidden')).toBe('');
  });

  it('accepts wav, flac, ogg and mp3 up to 50 MB', () => {
    for (const name of ['a.wav', 'b.FLAC', 'c.ogg', 'd.mp3']) expect(checkAudioFile({ name, size: 1000 })).toBeNull();
    expect(checkAudioFile({ name: 'e.wav', size: MAX_FILE_BYTES })).toBeNull();
    // A native path has no size here: only its type is checked.
    expect(checkAudioFile({ name: '/home/me/f.wav' })).toBeNull();
  });

  it('rejects other types, empty and too large files with a clear message', () => {
    expect(checkAudioFile({ name: 'song.m4a', size: 10 })).toEqual({
      code: 'unsupported',
      message: 'unsupported file type ".m4a": use .wav, .flac, .ogg, .mp3',
    });
    expect(checkAudioFile({ name: 'noext', size: 10 })?.code).toBe('unsupported');
    expect(checkAudioFile({ name: 'a.wav', size: 0 })).toEqual({ code: 'empty', message: 'the file is empty (0 bytes)' });
    expect(checkAudioFile({ name: 'big.wav', size: 75 * 1024 * 1024 })).toEqual({
      code: 'too-large',
      message: 'the file is 75.0 MB; the limit is 50 MB',
    });
    expect(checkAudioFile({ name: 'big.wav', size: MAX_FILE_BYTES + 1 })?.code).toBe('too-large');
  });

  it('encodes bytes as base64, also past one chunk', async () => {
    expect(bytesToBase64(new Uint8Array([0x52, 0x49, 0x46, 0x46]))).toBe('UklGRg==');
    expect(bytesToBase64(new Uint8Array())).toBe('');
    const big = new Uint8Array(100_000).map((_, i) => i % 251);
    expect(atob(bytesToBase64(big)).length).toBe(100_000);
    expect(atob(bytesToBase64(big)).charCodeAt(99_999)).toBe(99_999 % 251);
    expect(await fileToPredictInput(file('x.wav', [0x52, 0x49, 0x46, 0x46]))).toEqual({ name: 'x.wav', dataBase64: 'UklGRg==' });
  });
});

describe('useInferenceStore', () => {
  it('asks for a checkpoint first', async () => {
    const fake = fakeApi({ 'predict.files': predictFiles });
    setApi(fake.api);
    const store = useInferenceStore();
    await store.addFiles([file('a.wav', [1, 2, 3])]);
    expect(store.error).toBe('Choose a run and a checkpoint first: 1 file waits for one.');
    expect(store.rows).toEqual([]);
    expect(fake.calls).toEqual([]);
  });

  it('predicts each file and shows every failure on its own row', async () => {
    const fake = fakeApi({ 'predict.files': predictFiles });
    setApi(fake.api);
    const store = useInferenceStore();
    store.setTarget({ runId: 'r1', checkpoint: 'best' });

    await store.addFiles([
      file('happy.wav', [1, 2, 3]),
      file('notes.txt', [1]),
      file('corrupt.wav', [0]),
      hugeFile('long.flac', 60 * 1024 * 1024),
      file('second.mp3', [4, 5]),
    ]);

    expect(store.busy).toBe(false);
    expect(store.rows.map((r) => [r.name, r.status, r.error?.code ?? null])).toEqual([
      ['happy.wav', 'ok', null],
      ['notes.txt', 'error', 'unsupported'],
      ['corrupt.wav', 'error', 'decode-failed'],
      ['long.flac', 'error', 'too-large'],
      ['second.mp3', 'ok', null],
    ]);
    expect(store.rows[2]!.error?.message).toBe('not a valid WAV file');
    // Rejected files never reach the engine; the others go one per request, as base64.
    const sent = fake.calls.map((c) => (c.args as RequestArgs<'predict.files'>).files);
    expect(sent).toEqual([
      [{ name: 'happy.wav', dataBase64: 'AQID' }],
      [{ name: 'corrupt.wav', dataBase64: 'AA==' }],
      [{ name: 'second.mp3', dataBase64: 'BAU=' }],
    ]);
    expect(fake.calls.every((c) => (c.args as RequestArgs<'predict.files'>).runId === 'r1')).toBe(true);

    // The first row is selected and has its prediction ready for the viewer.
    expect(store.selectedRow?.name).toBe('happy.wav');
    expect(store.selectedPrediction).toEqual({ labels: LABELS, probabilities: [0.2, 0.7, 0.1], predictedLabel: 'fear' });
    store.move(1);
    expect(store.selectedRow?.name).toBe('notes.txt');
    expect(store.selectedPrediction).toBeNull();
    store.move(10);
    expect(store.selectedRow?.name).toBe('second.mp3');
  });

  it('turns a rejected request into an error on that file and goes on', async () => {
    let calls = 0;
    const fake = fakeApi({
      'predict.files': (args) => {
        calls++;
        if (calls === 1) throw Object.assign(new Error("run r1 has no complete 'best' checkpoint"), { code: 'not-found' });
        return predictFiles(args);
      },
    });
    setApi(fake.api);
    const store = useInferenceStore();
    store.setTarget({ runId: 'r1', checkpoint: 'best' });
    await store.addFiles([file('a.wav', [1]), file('b.wav', [2])]);
    expect(store.rows.map((r) => r.status)).toEqual(['error', 'ok']);
    expect(store.rows[0]!.error).toEqual({ code: 'not-found', message: "run r1 has no complete 'best' checkpoint" });
    expect(store.rows[1]!.result?.emotion).toBe('fear');
  });

  it('offers the encoder folder when the engine says the checkpoint needs it, and predicts the waiting files with the one chosen', async () => {
    const needed =
      'Checkpoint /runs/r1/checkpoints/best needs the encoder it was trained with: …; provide /models/w/onnx/model.onnx (w, sha256 ab)';
    const fake = fakeApi({
      'predict.files': (args) => {
        if (args.encoderDir !== '/real/w') throw Object.assign(new Error(needed), { code: 'encoder-needed' });
        return predictFiles(args);
      },
      'encoders.open': ({ dir }) => {
        if (dir === '/nothing') throw new Error('encoders.open: /nothing/config.json: missing');
        return {
          dir: '/real/w',
          name: 'w',
          modelType: 'wav2vec2',
          hiddenSize: 8,
          layers: 2,
          file: 'onnx/model.onnx',
          dtype: 'fp32',
          sizeBytes: 1,
          sha256: 'ab',
          dtypes: ['fp32'],
        };
      },
    });
    setApi(fake.api);
    const store = useInferenceStore();
    store.setTarget({ runId: 'r1', checkpoint: 'best' });
    await store.addFiles([file('a.wav', [1]), file('b.wav', [2])]);
    expect(store.rows.map((r) => r.status)).toEqual(['error', 'error']);
    expect(store.rows[0]!.error).toEqual({ code: 'encoder-needed', message: "waits for the checkpoint's encoder folder (above)" });
    expect(store.encoderNeeded).toBe(needed);
    await store.useEncoderFolder('/nothing');
    expect(store.encoderError).toBe('/nothing/config.json: missing');
    expect(store.encoderNeeded).toBe(needed);
    await store.useEncoderFolder('/models/w');
    expect(store.encoderNeeded).toBeNull();
    expect(store.encoderDir).toBe('/real/w');
    expect(store.rows.map((r) => r.status)).toEqual(['ok', 'ok']);
    // Later files go with the folder; another checkpoint forgets it.
    await store.addFiles([file('c.wav', [3])]);
    expect(store.rows[2]!.status).toBe('ok');
    store.setTarget({ runId: 'r2', checkpoint: 'best' });
    expect(store.encoderDir).toBeNull();
  });

  it('keeps files that arrive before a checkpoint is chosen, and predicts them once one is', async () => {
    const fake = fakeApi({ 'predict.files': predictFiles });
    setApi(fake.api);
    const store = useInferenceStore();
    await store.addPaths(['/clips/opened.wav']);
    expect(fake.calls).toEqual([]);
    expect(store.error).toContain('1 file waits');
    store.setTarget({ runId: 'r3', checkpoint: 'best' });
    await expect.poll(() => store.rows.map((r) => r.status)).toEqual(['ok']);
    expect(fake.calls[0]!.args).toEqual({ runId: 'r3', checkpoint: 'best', files: [{ path: '/clips/opened.wav' }] });
  });

  it('predicts native paths by path, checking their type', async () => {
    const fake = fakeApi({ 'predict.files': predictFiles, 'dialog.pickFiles': () => ({ paths: ['/clips/x.wav', '/clips/y.aiff'] }) });
    setApi(fake.api);
    const store = useInferenceStore();
    store.setTarget({ runId: 'r2', checkpoint: 'final' });
    await store.chooseNative();
    expect(fake.calls.map((c) => c.name)).toEqual(['dialog.pickFiles', 'predict.files']);
    expect(fake.calls[1]!.args).toEqual({ runId: 'r2', checkpoint: 'final', files: [{ path: '/clips/x.wav' }] });
    expect(store.rows.map((r) => [r.name, r.status])).toEqual([
      ['/clips/x.wav', 'ok'],
      ['/clips/y.aiff', 'error'],
    ]);
    expect(store.rows[0]!.checkpoint).toEqual({ runId: 'r2', checkpoint: 'final' });
  });

  it('sends the files given with a speaker in one request, each with that speaker', async () => {
    const fake = fakeApi({ 'predict.files': predictFiles });
    setApi(fake.api);
    const store = useInferenceStore();
    store.setTarget({ runId: 'r1', checkpoint: 'best' });
    store.speaker = ' 03 ';
    await store.addPaths(['/clips/a.wav', '/clips/b.wav', '/clips/c.m4a']);
    expect(fake.calls).toHaveLength(1);
    expect(fake.calls[0]!.args).toEqual({
      runId: 'r1',
      checkpoint: 'best',
      files: [
        { path: '/clips/a.wav', speaker: '03' },
        { path: '/clips/b.wav', speaker: '03' },
      ],
    });
    expect(store.rows.map((r) => [r.name, r.speaker, r.status])).toEqual([
      ['/clips/a.wav', '03', 'ok'],
      ['/clips/b.wav', '03', 'ok'],
      ['/clips/c.m4a', '03', 'error'],
    ]);
    // Without a speaker, one request per file, none with a speaker.
    store.speaker = '';
    await store.addPaths(['/clips/d.wav', '/clips/e.wav']);
    expect(fake.calls.slice(1).map((c) => (c.args as RequestArgs<'predict.files'>).files)).toEqual([
      [{ path: '/clips/d.wav' }],
      [{ path: '/clips/e.wav' }],
    ]);
  });

  it('shows a failing native picker', async () => {
    setApi(fakeApi({ 'dialog.pickFiles': () => Promise.reject(new Error('native dialogs are not available in serve mode')) }).api);
    const store = useInferenceStore();
    store.setTarget({ runId: 'r1', checkpoint: 'best' });
    await store.chooseNative();
    expect(store.error).toBe('native dialogs are not available in serve mode');
  });

  it('clears the list', async () => {
    setApi(fakeApi({ 'predict.files': predictFiles }).api);
    const store = useInferenceStore();
    store.setTarget({ runId: 'r1', checkpoint: 'best' });
    await store.addFiles([file('a.wav', [1])]);
    store.clear();
    expect(store.rows).toEqual([]);
    expect(store.selectedRow).toBeNull();
  });
});
