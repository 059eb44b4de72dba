/** The renderer's api wrapper: engine error messages become one plain sentence in one place. */
import { describe, expect, it } from 'vitest';
import type { WorkbenchApi } from '../../main/api/contract';
import { invoke, plainMessage, setApi } from '../../renderer/src/api';

describe('plainMessage', () => {
  it('drops request prefixes, including a qualified one', () => {
    expect(plainMessage('dataset.open: folder not found: /data/emo')).toBe('folder not found: /data/emo');
    expect(plainMessage("training.start (config): 'epochs' must be a whole number")).toBe("'epochs' must be a whole number");
    expect(plainMessage("runs.export: 'confusionPngBase64' is too long")).toBe("'confusionPngBase64' is too long");
  });

  it('drops error codes, keeping the file name once', () => {
    expect(plainMessage('03a01Wa.wav: truncated: data chunk declares 88200 bytes but only 1000 follow')).toBe(
      '03a01Wa.wav: data chunk declares 88200 bytes but only 1000 follow',
    );
    expect(plainMessage('clip.view: my clip.flac: not-audio: no RIFF header')).toBe('my clip.flac: no RIFF header');
    expect(plainMessage('forbidden: /etc/passwd is outside the folders opened in this session')).toBe(
      '/etc/passwd is outside the folders opened in this session',
    );
  });

  it('drops the file name the caller already shows (by path or by name)', () => {
    const message = '03a01Wa.wav: truncated: the file ends early';
    expect(plainMessage(message, '/data/emodb/wav/03a01Wa.wav')).toBe('the file ends early');
    expect(plainMessage(message, '03a01Wa.wav')).toBe('the file ends early');
    expect(plainMessage(message, 'other.wav')).toBe('03a01Wa.wav: the file ends early');
  });

  it('leaves plain sentences alone', () => {
    for (const text of [
      'the two checkpoints predict different classes (a, b vs a, c)',
      'a training job is already running: wait for it or cancel it first',
      'Ratio 0.5: too small',
    ]) {
      expect(plainMessage(text)).toBe(text);
    }
  });
});

describe('invoke', () => {
  function failingApi(error: unknown): WorkbenchApi {
    return { invoke: (() => Promise.reject(error)) as WorkbenchApi['invoke'], on: () => () => undefined };
  }

  it('rejects with the plain message and keeps the error code', async () => {
    setApi(failingApi(Object.assign(new Error('dataset.open: not-found: folder not found: /x'), { code: 'not-found' })));
    const err = await invoke('dataset.open', { root: '/x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe('folder not found: /x');
    expect((err as { code?: string }).code).toBe('not-found');
  });

  it('makes non-Error rejections and synchronous failures plain too', async () => {
    setApi(failingApi('runs.list: busy: try again'));
    await expect(invoke('runs.list', {})).rejects.toThrow(/^try again$/);
    setApi({
      invoke: (() => {
        throw new Error('app.info: the engine is not ready');
      }) as WorkbenchApi['invoke'],
      on: () => () => undefined,
    });
    await expect(invoke('app.info', {})).rejects.toThrow(/^the engine is not ready$/);
  });
});
