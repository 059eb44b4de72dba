/** The inference area: a checkpoint's predictions for files on disk or uploaded. */
import { basename } from 'node:path';
import { isPredictionFailure } from '../../pipeline/inference';
import { MAX_UPLOAD_BYTES, storeUpload } from '../../pipeline/uploads';
import type { FilePrediction } from '../contract';
import { ApiError, base64Bytes } from '../validate';
import { CHECKPOINT_REF, request, type AreaTable } from './engine';

const MAX_FILES = 200;

export const inferenceRequests: AreaTable<'predict.files'> = {
  'predict.files': request(
    {
      ...CHECKPOINT_REF,
      files: {
        kind: 'list',
        maxItems: MAX_FILES,
        of: {
          kind: 'record',
          // A file on disk or an upload: confinement, size and encoding are answered per file below, not for the request.
          fields: {
            path: { kind: 'string', optional: true },
            name: { kind: 'string', optional: true },
            dataBase64: { kind: 'string', optional: true, maxLength: Number.MAX_SAFE_INTEGER },
            speaker: { kind: 'string', optional: true },
          },
          oneOf: [['path'], ['name', 'dataBase64']],
        },
      },
      encoderDir: { kind: 'string', optional: true },
    },
    async ({ workspace, predictorFor }, { runId, checkpoint, files, encoderDir }) => {
      const inputs = files.map((file) => ({ ...file, name: file.path ?? file.name!, speaker: file.speaker ?? '' }));
      // Only a folder the user chose this session (encoders.open) stands in for the recorded one.
      const model = await predictorFor(
        { runId, checkpoint },
        encoderDir === undefined ? undefined : workspace.confineEncoder(encoderDir, 'predict.files'),
      );
      const results: FilePrediction[] = new Array(inputs.length);
      const readable: { index: number; path: string; speaker: string }[] = [];
      for (const [index, input] of inputs.entries()) {
        let path = input.name;
        try {
          path =
            input.dataBase64 !== undefined
              ? await storeUpload(workspace.uploadsDir, input.name, base64Bytes(input.dataBase64, input.name, MAX_UPLOAD_BYTES))
              : workspace.confine(input.path!, 'predict.files');
          readable.push({ index, path, speaker: input.speaker });
        } catch (err) {
          results[index] = {
            name: input.name,
            path,
            ok: false,
            error: { code: err instanceof ApiError ? err.code : 'failed', message: err instanceof Error ? err.message : String(err) },
          };
        }
      }
      // One call, so that the files of one speaker share their statistics.
      const predictions = await model.predictMany(
        readable.map((r) => r.path),
        { speakers: readable.map((r) => r.speaker) },
      );
      readable.forEach(({ index, path }, i) => {
        const input = inputs[index]!;
        const result = predictions[i];
        if (!result || isPredictionFailure(result)) {
          const error = result?.error ?? { code: 'prediction-failed', message: 'no result' };
          // Messages name the stored upload; the user knows the file by the name they gave it.
          const message = input.dataBase64 !== undefined ? error.message.split(basename(path)).join(input.name) : error.message;
          results[index] = { name: input.name, path, ok: false, error: { code: error.code, message } };
        } else {
          results[index] = {
            name: input.name,
            path,
            ok: true,
            emotion: result.emotion,
            confidence: result.confidence,
            probabilities: model.labels.map((label) => result.probabilities[label] ?? 0),
            durationS: result.durationS,
            totalMs: result.timingsMs.total,
            ...(result.warning && { warning: result.warning }),
          };
        }
      });
      return { runId, checkpoint, labels: [...model.labels], results };
    },
  ),
};
