/**
 * The encoder representation where clips are computed (an extraction worker, a predictor): one
 * onnxruntime session per model file and layer, opened on first use and kept, and a clip's
 * feature matrix from it.
 */
import type { FeatureConfig } from '../../schema/featureFields';
import type { FeatureMatrix } from '../compute';
import { encoderFeatureMatrix } from './embed';
import type { EncoderFolder } from './folder';
import { EncoderSession, type EncoderLayerChoice, type EncoderProviderChoice } from './session';

export { ENCODER_SAMPLE_RATE, EncoderFolderError, openEncoderFolder, type EncoderFolder } from './folder';
export { EncoderSession, type EncoderLayerChoice, type EncoderProviderChoice } from './session';

/** What opening an encoder told: the layer it gives and where it runs (run.json records both). */
export interface EncoderRuntimeReport {
  layer: EncoderLayerChoice;
  provider: EncoderProviderChoice;
}

const sessions = new Map<string, Promise<EncoderSession>>();

/** The session of a folder's model and layer, opened once per thread (a failed open is retried next time). */
export function encoderSession(folder: EncoderFolder, layer: number): Promise<EncoderSession> {
  const key = `${folder.dir}\0${folder.file}\0${folder.sha256}\0${layer}`;
  let session = sessions.get(key);
  if (!session) {
    session = EncoderSession.open(folder, layer);
    sessions.set(key, session);
    session.catch(() => sessions.delete(key));
  }
  return session;
}

/** Opens (or finds) the session and says what it gives; throws the one-line reason when it cannot. */
export async function checkEncoder(folder: EncoderFolder, layer: number): Promise<EncoderRuntimeReport> {
  const session = await encoderSession(folder, layer);
  return { layer: session.layer, provider: session.provider };
}

/** A clip's encoder features (mono samples at the encoder's rate). */
export async function encoderMatrix(
  samples: Float32Array,
  cfg: Pick<FeatureConfig, 'encoderLayer' | 'encoderPooling' | 'encoderWindowS' | 'frames'>,
  folder: EncoderFolder,
): Promise<FeatureMatrix> {
  const session = await encoderSession(folder, cfg.encoderLayer);
  return await encoderFeatureMatrix(samples, cfg, folder, (window) => session.run(window));
}
