/**
 * The handler table: the one implementation of the contract, shared by every door (Electron IPC,
 * the serve-mode bridge, tests). Each area (handlers/*.ts) describes its requests' arguments in a
 * table that checkArgs checks here, before the handler runs; file paths are confined to what the
 * user opened (workspace.ts).
 */
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { initBackend } from '../compute/backend';
import type { EvaluationReport } from '../evaluation/report';
import { evaluationOf, type EvaluationSourceOptions } from '../pipeline/evaluations';
import { EncoderNeededError, loadPredictor, type EmotionPredictor, type FusedPredictor } from '../pipeline/inference';
import { LiveListening } from '../pipeline/listen';
import { resolveRunDir } from '../runs/store';
import { RUN_FILE } from '../schema/files';
import { checkArgs } from './args';
import type { ApiRequests, CheckpointRef, RequestName } from './contract';
import { appRequests } from './handlers/app';
import { datasetRequests } from './handlers/datasets';
import type { AreaRequest, AreaTable, EngineContext, EngineState } from './handlers/engine';
import { evaluationRequests } from './handlers/evaluation';
import { featureRequests } from './handlers/features';
import { inferenceRequests } from './handlers/inference';
import { listenRequests } from './handlers/listen';
import { runRequests } from './handlers/runs';
import { studyRequests } from './handlers/studies';
import { trainingRequests } from './handlers/training';
import { JobManager } from './jobs';
import { ApiError } from './validate';
import type { Workspace } from './workspace';

export { ApiError } from './validate';
export type { DialogProvider, EngineContext } from './handlers/engine';

type Handler<N extends RequestName> = (args: unknown) => Promise<ApiRequests[N]['result']>;
export type HandlerTable = { [N in RequestName]: Handler<N> };

export interface Engine {
  handlers: HandlerTable;
  jobs: JobManager;
  workspace: Workspace;
  /** Releases what the engine holds (a loaded predictor, a listening session, running jobs). */
  close(): Promise<void>;
}

/** Every request of the contract, by area: the compiler checks that none is missing. */
const REQUESTS: AreaTable<RequestName> = {
  ...appRequests,
  ...datasetRequests,
  ...featureRequests,
  ...trainingRequests,
  ...runRequests,
  ...evaluationRequests,
  ...studyRequests,
  ...inferenceRequests,
  ...listenRequests,
};

export function createEngine(ctx: EngineContext): Engine {
  const { workspace } = ctx;
  const jobs = new JobManager(workspace, ctx.emit);
  let predictor: { key: string; promise: Promise<EmotionPredictor | FusedPredictor> } | null = null;

  const runDir = (runId: string) => {
    const dir = resolveRunDir(workspace.runsDir, runId);
    if (!existsSync(join(dir, RUN_FILE))) throw new ApiError('not-found', `no run ${runId} in ${workspace.runsDir}`);
    return dir;
  };

  const evaluationSource = (): EvaluationSourceOptions => ({
    cacheRoot: workspace.cacheDir,
    backend: workspace.backendPreference,
    onComputed: (dir) => ctx.emit('runs.changed', { runId: basename(dir) }),
  });

  /** The clips an evaluation lists are shown to the user, who may then look at them. */
  async function evaluation(ref: CheckpointRef): Promise<EvaluationReport> {
    const report = await evaluationOf(runDir(ref.runId), ref.checkpoint, evaluationSource());
    for (const prediction of report.predictions) workspace.allowFile(prediction.path);
    return report;
  }

  async function predictorFor(ref: CheckpointRef, encoderDir?: string): Promise<EmotionPredictor | FusedPredictor> {
    const dir = runDir(ref.runId);
    const key = `${dir}#${ref.checkpoint}#${encoderDir ?? ''}`;
    if (predictor?.key !== key) {
      const previous = predictor;
      await initBackend(workspace.backendPreference);
      const loading = loadPredictor(dir, { checkpoint: ref.checkpoint, encoderDir }).catch((err: unknown) => {
        throw err instanceof EncoderNeededError ? new ApiError('encoder-needed', err.message) : err;
      });
      predictor = { key, promise: loading };
      predictor.promise.catch(() => {
        if (predictor?.key === key) predictor = null;
      });
      void previous?.promise.then((p) => p.dispose()).catch(() => undefined);
    }
    return predictor.promise;
  }

  const listening = new LiveListening();
  const state: EngineState = { ctx, workspace, jobs, runDir, evaluationSource, evaluation, predictorFor, listening };
  // Each handler receives its arguments only after its table has checked them.
  const handlers = Object.fromEntries(
    Object.entries(REQUESTS).map(([name, entry]: [string, Pick<AreaRequest<unknown>, 'args' | 'run'>]) => [
      name,
      async (raw: unknown) => entry.run(state, checkArgs(name, entry.args, raw, { workspace }) as never),
    ]),
  ) as HandlerTable;

  return {
    handlers,
    jobs,
    workspace,
    async close() {
      jobs.cancelAll();
      listening.end();
      await jobs.settle();
      const held = predictor;
      predictor = null;
      if (held) (await held.promise.catch(() => null))?.dispose();
    },
  };
}

/** Runs one request through the table, turning every failure into an ApiError. */
export async function dispatch(table: HandlerTable, name: unknown, args: unknown): Promise<unknown> {
  if (typeof name !== 'string' || !Object.hasOwn(table, name)) {
    throw new ApiError('unknown-request', `unknown request '${String(name)}'`);
  }
  try {
    return await table[name as RequestName](args ?? {});
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw new ApiError('failed', err instanceof Error ? err.message : String(err));
  }
}
