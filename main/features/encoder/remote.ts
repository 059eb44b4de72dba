/**
 * A pretrained encoder run in a worker thread of its own (the feature worker), for a caller whose
 * event loop must stay free: the predictor, which in the desktop app runs in the Electron main
 * process. onnxruntime-node opens and runs a model synchronously on the thread that calls it, so
 * on that thread one clip froze every request and window event for as long as the model ran.
 */
import type { FeatureMatrix } from '../compute';
import type { FeatureConfig } from '../config';
import { resolveWorkerScript, WorkerPool } from '../pool';
import type { EncoderCheckResult, EncoderCheckTask, EncoderClipResult, EncoderClipTask } from '../worker';
import type { EncoderFolder } from './folder';
import type { EncoderRuntimeReport } from './index';

export class EncoderWorker {
  private constructor(
    private readonly pool: WorkerPool<EncoderCheckTask | EncoderClipTask, EncoderCheckResult | EncoderClipResult>,
    private readonly folder: EncoderFolder,
    /** The layer it gives and where it runs. */
    readonly report: EncoderRuntimeReport,
  ) {}

  /** Starts the worker and opens the model there; throws the one-line reason when it cannot. */
  static async open(folder: EncoderFolder, layer: number): Promise<EncoderWorker> {
    // Idle, the worker does not hold the process open (a CLI exits once its work is done).
    const pool = new WorkerPool<EncoderCheckTask | EncoderClipTask, EncoderCheckResult | EncoderClipResult>(
      resolveWorkerScript(import.meta.url, '../worker.ts', 'feature-worker.js'),
      1,
      WorkerPool.IN_FLIGHT_PER_WORKER,
      true,
    );
    const check = (await pool.run({ encoderCheck: { folder, layer } }).catch(async (err: unknown) => {
      await pool.close();
      throw err;
    })) as EncoderCheckResult;
    if (!check.ok) {
      await pool.close();
      throw new Error(check.reason);
    }
    return new EncoderWorker(pool, folder, check.report);
  }

  /** A clip's encoder features (mono samples at the encoder's rate), computed in the worker. */
  async matrix(samples: Float32Array, config: FeatureConfig): Promise<FeatureMatrix> {
    const result = (await this.pool.run({ encoderClip: { samples, config, folder: this.folder } })) as EncoderClipResult;
    if (!result.ok) throw new Error(result.reason);
    return result.matrix;
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
