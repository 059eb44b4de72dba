/** The listen area: a live session fed with the microphone's samples by the app, window results back. */
import { initBackend } from '../../compute/backend';
import { decodeWavSamples } from '../../audio/wav';
import { MAX_SAMPLE_RATE, MIN_SAMPLE_RATE } from '../../audio/limits';
import { EncoderNeededError } from '../../pipeline/inference';
import { ApiError, base64Bytes } from '../validate';
import { CHECKPOINT_REF, request, type AreaTable } from './engine';

/** A chunk holds at most this much: 10 s at 48 kHz, far more than the app sends at once. */
const MAX_CHUNK_BYTES = 960_000;

const SESSION_ID = { kind: 'string', pattern: /^[0-9a-f]{16}$/, shape: 'a session id from listen.start' } as const;

export const listenRequests: AreaTable<'listen.start' | 'listen.push' | 'listen.stop' | 'listen.save'> = {
  'listen.start': request(
    {
      ...CHECKPOINT_REF,
      sampleRate: { kind: 'integer', min: MIN_SAMPLE_RATE, max: MAX_SAMPLE_RATE },
      settings: { kind: 'object', optional: true },
      encoderDir: { kind: 'string', optional: true },
    },
    async ({ runDir, listening, workspace }, { runId, checkpoint, sampleRate, settings, encoderDir }) => {
      const dir = runDir(runId);
      // Only a folder the user chose this session (encoders.open) stands in for the recorded one.
      const encoder = encoderDir === undefined ? undefined : workspace.confineEncoder(encoderDir, 'listen.start');
      await initBackend(workspace.backendPreference);
      return await listening.start(dir, checkpoint, sampleRate, settings ?? {}, encoder).catch((err: unknown) => {
        throw err instanceof EncoderNeededError ? new ApiError('encoder-needed', err.message) : err;
      });
    },
  ),

  'listen.push': request(
    { sessionId: SESSION_ID, pcm16Base64: { kind: 'string', maxLength: Number.MAX_SAFE_INTEGER } },
    async ({ listening }, { sessionId, pcm16Base64 }) => {
      const bytes = base64Bytes(pcm16Base64, 'pcm16Base64', MAX_CHUNK_BYTES);
      if (bytes.length % 2 !== 0)
        throw new ApiError('invalid-arguments', `pcm16Base64 holds ${bytes.length} byte(s): 16-bit samples take two bytes each`);
      return listening.push(sessionId, decodeWavSamples(bytes, 'pcm16', new Float32Array(bytes.length / 2), 'the pushed samples'));
    },
  ),

  'listen.stop': request({ sessionId: SESSION_ID }, async ({ listening }, { sessionId }) => listening.stop(sessionId)),

  'listen.save': request({ sessionId: SESSION_ID }, async ({ listening, workspace }, { sessionId }) => {
    const saved = await listening.save(sessionId, workspace.uploadsDir);
    workspace.allowFile(saved.path);
    return saved;
  }),
};
