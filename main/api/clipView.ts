/**
 * Everything the UI shows about one clip: a playable 16-bit WAV, the log-mel spectrogram and the
 * MFCC matrix the model sees (before standardisation), computed with the training pipeline's code.
 */
import { deserializeError } from '../audio';
import { encodeWavPcm16 } from '../audio/wav';
import { describeFeatureRows, resolveFeatureConfig, type FeatureConfig } from '../features/config';
import { resolveWorkerScript, WorkerPool } from '../features/pool';
import type { ClipAnalysis, ClipAnalysisResult, ClipAnalysisTask } from '../features/worker';
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

let analysisPool: WorkerPool<ClipAnalysisTask, ClipAnalysisResult> | null = null;

/**
 * Decodes and analyses the clip in a worker thread (started on first use, kept, not holding the
 * process open when idle): a long or hostile file takes seconds to decode, and on the request
 * thread it froze every other request for that long.
 */
function clipAnalysisPool(): WorkerPool<ClipAnalysisTask, ClipAnalysisResult> {
  return (analysisPool ??= new WorkerPool<ClipAnalysisTask, ClipAnalysisResult>(
    resolveWorkerScript(import.meta.url, '../features/worker.ts', 'feature-worker.js'),
    1,
    WorkerPool.IN_FLIGHT_PER_WORKER,
    true,
  ));
}

/** Starts the analysis worker ahead of the first clip view (it takes a moment to load), e.g. when a dataset opens. */
export function warmUpClipViews(): void {
  clipAnalysisPool();
}

async function analyseOffThread(path: string, config: FeatureConfig): Promise<ClipAnalysis> {
  const pool = clipAnalysisPool();
  let result: ClipAnalysisResult;
  try {
    result = await pool.run({ clipView: { path, config } });
  } catch (err) {
    // The worker itself failed (it crashed or ran out of memory): the next view starts a fresh one.
    if (analysisPool === pool) analysisPool = null;
    void pool.close();
    throw err;
  }
  if (!result.ok) throw deserializeError(result.error);
  return result;
}

export async function buildClipView(path: string, featureConfig: Partial<FeatureConfig> = {}): Promise<ClipView> {
  const requested = resolveFeatureConfig(featureConfig);
  // The viewer does not load an encoder (hundreds of MB) to show one clip: it shows MFCC at the encoder's rate.
  const encoder = requested.representation === 'encoder';
  const config = encoder ? resolveFeatureConfig({ sampleRate: requested.sampleRate }) : requested;
  const analysis = await analyseOffThread(path, config);
  const { sampleRate, hopLength } = config;
  const melDb = toMatrixData(analysis.melDb.data, analysis.melDb.rows, analysis.melDb.frames);
  return {
    path,
    durationS: analysis.durationS,
    sourceSampleRate: analysis.originalSampleRate,
    channels: analysis.originalChannels,
    wavBase64: Buffer.from(encodeWavPcm16(analysis.samples, sampleRate)).toString('base64'),
    melDb,
    features: toMatrixData(analysis.features.data, analysis.features.rows, analysis.features.frames),
    featuresTitle: encoder ? `${describeFeatureRows(config)} (the clip view does not run the encoder)` : describeFeatureRows(config),
    frameSeconds: hopLength / sampleRate,
    melFrameSeconds: (hopLength / sampleRate) * (analysis.melDb.frames / melDb.cols),
  };
}
