/**
 * Everything the UI shows about one clip: a playable 16-bit WAV, the log-mel spectrogram and the
 * MFCC matrix the model sees (before standardisation), computed with the training pipeline's code.
 */
import { loadAudio } from '../audio';
import { encodeWavPcm16 } from '../audio/wav';
import { computeFeatureMatrix } from '../features/compute';
import { resolveFeatureConfig, type FeatureConfig } from '../features/config';
import { melPowerSpectrogram, powerToDbInPlace } from '../features/mfcc';
import type { ClipView, MatrixData } from './contract';

/** Wider spectrograms are averaged down to this many columns (a screen has no more pixels). */
const MAX_COLUMNS = 1600;

/** A row-major matrix as contract data, with columns averaged down to at most `maxColumns`. */
export function toMatrixData(data: ArrayLike<number>, rows: number, cols: number, maxColumns = MAX_COLUMNS): MatrixData {
  const outCols = Math.max(1, Math.min(cols, maxColumns));
  const values = new Array<number>(rows * outCols);
  let min = Infinity;
  let max = -Infinity;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < outCols; c++) {
      const from = Math.floor((c * cols) / outCols);
      const to = Math.max(from + 1, Math.floor(((c + 1) * cols) / outCols));
      let sum = 0;
      for (let k = from; k < to; k++) sum += data[r * cols + k]!;
      const value = Math.round((sum / (to - from)) * 1000) / 1000;
      values[r * outCols + c] = value;
      if (value < min) min = value;
      if (value > max) max = value;
    }
  }
  if (!Number.isFinite(min)) min = max = 0;
  return { rows, cols: outCols, values, min, max };
}

export async function buildClipView(path: string, featureConfig: Partial<FeatureConfig> = {}): Promise<ClipView> {
  const config = resolveFeatureConfig(featureConfig);
  const audio = await loadAudio(path, { targetSampleRate: config.sampleRate });
  const { sampleRate, nFft, hopLength, nMels } = config;
  const mel = melPowerSpectrogram(audio.samples, { sampleRate, nFft, hopLength, nMels });
  powerToDbInPlace(mel.data);
  const mfcc = computeFeatureMatrix(audio.samples, config);
  const melDb = toMatrixData(mel.data, mel.rows, mel.frames);
  return {
    path,
    durationS: audio.durationS,
    sourceSampleRate: audio.originalSampleRate,
    channels: audio.originalChannels,
    wavBase64: Buffer.from(encodeWavPcm16(audio.samples, sampleRate)).toString('base64'),
    melDb,
    mfcc: toMatrixData(mfcc.data, mfcc.rows, mfcc.frames),
    frameSeconds: hopLength / sampleRate,
    melFrameSeconds: (hopLength / sampleRate) * (mel.frames / melDb.cols),
  };
}
