/**
 * The one-line reasons for models onnxruntime cannot load. A float16 model that this machine's CPU
 * provider has no kernel for cannot be made here (onnxruntime 1.30 casts around every missing
 * float16 kernel on this CPU), so the message is checked on onnxruntime's wording for it.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openEncoderFolder } from '../../../main/features/encoder/folder';
import { loadProblem } from '../../../main/features/encoder/session';
import { TINY } from './helpers';

describe('load problems', () => {
  it('a float16 model without CPU kernels: use the fp32 export or a GPU', async () => {
    const folder = await openEncoderFolder(TINY, 'fp16');
    const file = join(TINY, folder.file);
    const ort = new Error(
      "Could not find an implementation for ConvInteger(10) node with name '/conv/Conv'\nat onnxruntime::InferenceSession::Initialize",
    );
    expect(loadProblem(ort, folder, file)).toBe(
      `${file}: onnxruntime on this CPU cannot run this float16 model (Could not find an implementation for ConvInteger(10) node with name '/conv/Conv'): use the fp32 export (encoder dtype fp32, onnx/model.onnx) or a GPU provider`,
    );
  });

  it('another load failure of an fp32 model names the file and onnxruntime first line', async () => {
    const folder = await openEncoderFolder(TINY);
    const file = join(TINY, folder.file);
    expect(loadProblem(new Error('Load model failed: out of memory\nmore'), folder, file)).toBe(
      `${file}: onnxruntime could not load the model (Load model failed: out of memory)`,
    );
  });
});
