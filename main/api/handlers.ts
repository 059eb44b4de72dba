/**
 * The handler table: the one implementation of the contract, shared by every door (Electron IPC,
 * the serve-mode bridge, tests). Arguments are validated here, at runtime, before any work; file
 * paths are confined to what the user opened (workspace.ts).
 */
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { probeAudioFile } from '../audio';
import { scanDataset, SCHEME_NAMES, summarizeDataset, type SchemeName } from '../dataset';
import { compareEvaluations } from '../evaluation/compare';
import { evaluateCheckpoint } from '../pipeline/evaluateCheckpoint';
import { previewSplit } from '../pipeline/splitPreview';
import { confusionCsv, metricsSummary, perClassCsv, predictionsCsv } from '../evaluation/export';
import type { EvaluationReport } from '../evaluation/report';
import { cacheCoverage, cacheDirFor } from '../features/cache';
import { featureConfigHash, featureRowCount, resolveFeatureConfig } from '../features/config';
import { EmotionPredictor, isPredictionFailure } from '../pipeline/inference';
import { deleteRun, listRuns, listEvaluations, openRun, readEvaluation, renameRun, resolveRunDir } from '../runs/store';
import { CHECKPOINT_NAMES } from '../runs/types';
import { initBackend } from '../compute/backend';
import { BACKEND_NAMES, type BackendName } from '../compute/backend-info';
import { PRESETS, resolveTrainingConfig } from '../training/config';
import { describeModel, MODEL_NAMES } from '../models';
import { OPTIMIZER_NAMES } from '../schema/names';
import { writeFileAtomic, writeJsonAtomic } from '../util/fs';
import { buildClipView } from './clipView';
import type { ApiRequests, CheckpointRef, DatasetOverview, FilePrediction, PredictInput, RequestName, RunDetail } from './contract';
import { JobManager, type Emit } from './jobs';
import { epochHistory, summarizeRun } from './runViews';
import {
  ApiError,
  expectArray,
  expectObject,
  expectOneOf,
  expectRunId,
  expectString,
  optionalOneOf,
  optionalString,
  type Args,
} from './validate';
import type { Workspace } from './workspace';

export { ApiError } from './validate';

/** What only the desktop shell can do; absent in serve mode. */
export interface DialogProvider {
  pickFolder(title?: string): Promise<string | null>;
  pickFiles(options: { title?: string; audioOnly?: boolean }): Promise<string[]>;
  reveal(path: string): Promise<void>;
}

export interface EngineContext {
  appVersion: string;
  door: 'electron' | 'serve';
  workspace: Workspace;
  emit: Emit;
  dialogs?: DialogProvider;
  /** Desktop only: hands over (and forgets) the audio files the OS opened the app with. */
  takeOpenedFiles?: () => string[];
}

type Handler<N extends RequestName> = (args: unknown) => Promise<ApiRequests[N]['result']>;
export type HandlerTable = { [N in RequestName]: Handler<N> };

export interface Engine {
  handlers: HandlerTable;
  jobs: JobManager;
  workspace: Workspace;
  /** Releases what the engine holds (a loaded predictor, running jobs). */
  close(): Promise<void>;
}

/** Largest file accepted for prediction as uploaded bytes. */
export const MAX_UPLOAD_BYTES = 50 * 1024 * 1024;
const SCHEMES: readonly (SchemeName | 'auto')[] = ['auto', ...SCHEME_NAMES];
const BACKEND_CHOICES: readonly (BackendName | 'auto')[] = ['auto', ...BACKEND_NAMES];

function schemeOf(args: Args, request: string): SchemeName | 'auto' {
  return optionalOneOf(args, 'scheme', SCHEMES, request) ?? 'auto';
}

function checkpointRef(value: unknown, request: string, field = 'checkpoint reference'): CheckpointRef {
  const args = expectObject(value, `${request} (${field})`);
  return { runId: expectRunId(args, 'runId', request), checkpoint: expectOneOf(args, 'checkpoint', CHECKPOINT_NAMES, request) };
}

function existingFolder(path: string, request: string): string {
  if (!existsSync(path)) throw new ApiError('not-found', `${request}: folder not found: ${path}`);
  if (!statSync(path).isDirectory()) throw new ApiError('invalid-arguments', `${request}: not a folder: ${path}`);
  return path;
}

/** A file name safe to store: no folders, no control or odd characters, bounded length. */
function safeFileName(name: string): string {
  const base = basename(name.replace(/\\/g, '/')).replace(/[^A-Za-z0-9._ -]/g, '_').replace(/^\.+/, '_');
  return (base || 'upload').slice(-120);
}

export function createEngine(ctx: EngineContext): Engine {
  const { workspace } = ctx;
  const jobs = new JobManager(workspace, ctx.emit);
  let predictor: { key: string; promise: Promise<EmotionPredictor> } | null = null;

  const runDir = (runId: string) => {
    const dir = resolveRunDir(workspace.runsDir, runId);
    if (!existsSync(join(dir, 'run.json'))) throw new ApiError('not-found', `no run ${runId} in ${workspace.runsDir}`);
    return dir;
  };

  async function openRunFor(runId: string) {
    const opened = await openRun(runDir(runId));
    // Clips of the run's dataset appear in its evaluations: the user may look at them.
    if (existsSync(opened.record.dataset.root)) workspace.allowFolder(opened.record.dataset.root);
    return opened;
  }

  async function evaluation(ref: CheckpointRef): Promise<EvaluationReport> {
    const opened = await openRunFor(ref.runId);
    const stored = await readEvaluation<EvaluationReport>(opened.dir, ref.checkpoint);
    if (stored) return stored;
    if (!opened.checkpoints[ref.checkpoint]?.complete) {
      throw new ApiError('not-found', `run ${ref.runId} has no complete '${ref.checkpoint}' checkpoint to evaluate`);
    }
    await initBackend(workspace.backendPreference);
    const result = await evaluateCheckpoint(opened.dir, { checkpoint: ref.checkpoint, cacheRoot: workspace.cacheDir, backend: workspace.backendPreference });
    ctx.emit('runs.changed', { runId: ref.runId });
    return result.report;
  }

  async function predictorFor(ref: CheckpointRef): Promise<EmotionPredictor> {
    const dir = runDir(ref.runId);
    const key = `${dir}#${ref.checkpoint}`;
    if (predictor?.key !== key) {
      const previous = predictor;
      await initBackend(workspace.backendPreference);
      predictor = { key, promise: EmotionPredictor.load(dir, { checkpoint: ref.checkpoint }) };
      predictor.promise.catch(() => {
        if (predictor?.key === key) predictor = null;
      });
      void previous?.promise.then((p) => p.dispose()).catch(() => undefined);
    }
    return predictor.promise;
  }

  async function storeUpload(name: string, dataBase64: string): Promise<string> {
    if (dataBase64.length > Math.ceil(MAX_UPLOAD_BYTES / 3) * 4 + 4) {
      throw new ApiError('invalid-arguments', `${name}: larger than ${MAX_UPLOAD_BYTES / 1024 / 1024} MB`);
    }
    const bytes = Buffer.from(dataBase64, 'base64');
    const hash = createHash('sha1').update(bytes).digest('hex').slice(0, 10);
    const path = workspace.uploadPath(`${hash}-${safeFileName(name)}`);
    await workspace.ensureFolders();
    await writeFileAtomic(path, bytes);
    return path;
  }

  const handlers: HandlerTable = {
    async 'app.info'() {
      return {
        name: 'SER Workbench',
        version: ctx.appVersion,
        platform: `${process.platform}-${process.arch}`,
        door: ctx.door,
        nativeDialogs: Boolean(ctx.dialogs),
        demoDatasetPath: workspace.demoDatasetPath,
        runsDir: workspace.runsDir,
        cacheDir: workspace.cacheDir,
        backendPreference: workspace.backendPreference,
      };
    },

    async 'app.backend'(raw) {
      const args = expectObject(raw, 'app.backend');
      const preference = optionalOneOf(args, 'preference', BACKEND_CHOICES, 'app.backend');
      if (preference) workspace.backendPreference = preference;
      return initBackend(workspace.backendPreference);
    },

    async 'app.openedFiles'() {
      const paths = ctx.takeOpenedFiles?.() ?? [];
      for (const path of paths) workspace.allowFile(path);
      return { paths };
    },

    async 'dialog.pickFolder'(raw) {
      const args = expectObject(raw, 'dialog.pickFolder');
      if (!ctx.dialogs) throw new ApiError('unsupported', 'no native dialogs in serve mode: type the folder path instead');
      const path = await ctx.dialogs.pickFolder(optionalString(args, 'title', 'dialog.pickFolder'));
      if (path) workspace.allowFolder(path);
      return { path };
    },

    async 'dialog.pickFiles'(raw) {
      const args = expectObject(raw, 'dialog.pickFiles');
      if (!ctx.dialogs) throw new ApiError('unsupported', 'no native dialogs in serve mode: use the file picker of the page');
      const paths = await ctx.dialogs.pickFiles({ title: optionalString(args, 'title', 'dialog.pickFiles'), audioOnly: args.audioOnly === true });
      for (const path of paths) workspace.allowFile(path);
      return { paths };
    },

    async 'shell.reveal'(raw) {
      const args = expectObject(raw, 'shell.reveal');
      if (!ctx.dialogs) throw new ApiError('unsupported', 'revealing folders needs the desktop app');
      await ctx.dialogs.reveal(workspace.confine(expectString(args, 'path', 'shell.reveal'), 'shell.reveal'));
      return { ok: true as const };
    },

    async 'dataset.open'(raw): Promise<DatasetOverview> {
      const args = expectObject(raw, 'dataset.open');
      const root = existingFolder(expectString(args, 'root', 'dataset.open'), 'dataset.open');
      const scan = await scanDataset(root, { scheme: schemeOf(args, 'dataset.open') });
      workspace.allowFolder(scan.root);
      // The summary keeps aggregates only: note each clip's duration as its (header-only) probe runs.
      const durations = new Map<string, number>();
      const summary = await summarizeDataset(scan, async (path) => {
        const probe = await probeAudioFile(path);
        if (Number.isFinite(probe.durationS) && probe.durationS >= 0) durations.set(path, probe.durationS);
        return probe;
      });
      return {
        root: scan.root,
        scheme: scan.scheme,
        detection: scan.detection,
        clipCount: summary.clipCount,
        totalDurationS: summary.totalDurationS,
        labels: summary.labels,
        speakers: summary.speakers,
        perClass: summary.perClass,
        perSpeaker: summary.perSpeaker,
        speakerByClass: summary.speakerByClass,
        genders: summary.genders,
        duration: summary.duration,
        durationHistogram: summary.durationHistogram,
        sampleRates: summary.sampleRates,
        skipped: scan.skipped.map((s) => ({ relPath: s.relPath, reason: s.reason })),
        unreadable: summary.unreadable.map((u) => ({ relPath: u.relPath, reason: u.reason })),
        clips: scan.clips.map((clip) => ({
          id: clip.id,
          path: clip.path,
          relPath: clip.relPath,
          label: clip.label,
          speaker: clip.speaker,
          gender: clip.gender ?? 'unknown',
          durationS: durations.get(clip.path) ?? null,
        })),
      };
    },

    async 'clip.view'(raw) {
      const args = expectObject(raw, 'clip.view');
      const path = workspace.confine(expectString(args, 'path', 'clip.view'), 'clip.view');
      return buildClipView(path);
    },

    async 'features.status'(raw) {
      const args = expectObject(raw, 'features.status');
      const root = workspace.confine(existingFolder(expectString(args, 'root', 'features.status'), 'features.status'), 'features.status');
      const scan = await scanDataset(root, { scheme: schemeOf(args, 'features.status') });
      const config = resolveFeatureConfig();
      const configHash = featureConfigHash(config);
      const cacheDir = cacheDirFor(workspace.cacheDir, root, configHash);
      const coverage = await cacheCoverage(cacheDir, { configHash, rows: featureRowCount(config), frames: config.frames }, scan.clips);
      return { root, configHash, cacheDir, cached: coverage.cached, failed: coverage.failed, total: scan.clips.length };
    },

    async 'features.extract'(raw) {
      const args = expectObject(raw, 'features.extract');
      const root = workspace.confine(existingFolder(expectString(args, 'root', 'features.extract'), 'features.extract'), 'features.extract');
      return jobs.startFeatures(root, schemeOf(args, 'features.extract'));
    },

    async 'training.options'() {
      await initBackend(workspace.backendPreference);
      // Parameter counts for the default input (40 MFCC × 100 frames) and 7 classes.
      const config = resolveFeatureConfig();
      return {
        presets: PRESETS,
        models: MODEL_NAMES.map((name) => {
          const description = describeModel(name, { inputShape: [featureRowCount(config), config.frames, 1], numClasses: 7 });
          return { name, title: description.title, parameters: description.parameters?.trainable ?? 0 };
        }),
        optimizers: [...OPTIMIZER_NAMES],
        backends: [...BACKEND_CHOICES],
      };
    },

    async 'training.validate'(raw) {
      const args = expectObject(raw, 'training.validate');
      try {
        return { ok: true as const, config: resolveTrainingConfig(args.config) };
      } catch (err) {
        return { ok: false as const, error: err instanceof Error ? err.message : String(err) };
      }
    },

    async 'training.start'(raw) {
      const args = expectObject(raw, 'training.start');
      const root = workspace.confine(existingFolder(expectString(args, 'root', 'training.start'), 'training.start'), 'training.start');
      await workspace.ensureFolders();
      return jobs.startTraining(root, schemeOf(args, 'training.start'), args.config, optionalString(args, 'name', 'training.start'));
    },

    async 'training.splitPreview'(raw) {
      const args = expectObject(raw, 'training.splitPreview');
      const root = workspace.confine(existingFolder(expectString(args, 'root', 'training.splitPreview'), 'training.splitPreview'), 'training.splitPreview');
      try {
        return await previewSplit(root, schemeOf(args, 'training.splitPreview'), args.config);
      } catch (err) {
        throw new ApiError('invalid-arguments', err instanceof Error ? err.message : String(err));
      }
    },

    async 'jobs.list'() {
      return jobs.list();
    },

    async 'jobs.cancel'(raw) {
      const args = expectObject(raw, 'jobs.cancel');
      return jobs.cancel(expectString(args, 'jobId', 'jobs.cancel'));
    },

    async 'runs.list'() {
      const records = await listRuns(workspace.runsDir);
      const summaries = [];
      for (const record of records) {
        const opened = await openRun(resolveRunDir(workspace.runsDir, record.id)).catch(() => null);
        if (opened) summaries.push(summarizeRun(opened));
      }
      return summaries;
    },

    async 'runs.get'(raw): Promise<RunDetail> {
      const args = expectObject(raw, 'runs.get');
      const opened = await openRunFor(expectRunId(args, 'runId', 'runs.get'));
      const stored = await listEvaluations(opened.dir);
      return {
        summary: summarizeRun(opened),
        record: opened.record,
        dir: opened.dir,
        epochs: epochHistory(opened),
        evaluations: CHECKPOINT_NAMES.filter((name) => stored.includes(name)),
      };
    },

    async 'runs.rename'(raw) {
      const args = expectObject(raw, 'runs.rename');
      const runId = expectRunId(args, 'runId', 'runs.rename');
      const name = expectString(args, 'name', 'runs.rename');
      if (name.length > 200) throw new ApiError('invalid-arguments', 'runs.rename: a run name has at most 200 characters');
      await renameRun(runDir(runId), name);
      ctx.emit('runs.changed', { runId });
      return summarizeRun(await openRun(runDir(runId)));
    },

    async 'runs.delete'(raw) {
      const args = expectObject(raw, 'runs.delete');
      const runId = expectRunId(args, 'runId', 'runs.delete');
      runDir(runId);
      await deleteRun(workspace.runsDir, runId);
      ctx.emit('runs.changed', { runId });
      return { ok: true as const };
    },

    async 'runs.export'(raw) {
      const args = expectObject(raw, 'runs.export');
      const ref = checkpointRef(args, 'runs.export');
      const png = optionalString(args, 'confusionPngBase64', 'runs.export');
      const report = await evaluation(ref);
      const dir = join(runDir(ref.runId), 'exports');
      const prefix = join(dir, ref.checkpoint);
      const files: string[] = [];
      const write = async (path: string, data: string | Uint8Array) => {
        await writeFileAtomic(path, data);
        files.push(path);
      };
      await writeJsonAtomic(`${prefix}-metrics.json`, metricsSummary(report));
      files.push(`${prefix}-metrics.json`);
      await write(`${prefix}-per-class.csv`, perClassCsv(report));
      await write(`${prefix}-confusion.csv`, confusionCsv(report));
      await write(`${prefix}-predictions.csv`, predictionsCsv(report));
      if (png) {
        const bytes = Buffer.from(png, 'base64');
        if (bytes.length < 8 || bytes.readUInt32BE(0) !== 0x89504e47) throw new ApiError('invalid-arguments', 'runs.export: confusionPngBase64 is not a PNG image');
        await write(`${prefix}-confusion.png`, bytes);
      }
      return { dir, files };
    },

    async 'runs.setFolder'(raw) {
      const args = expectObject(raw, 'runs.setFolder');
      const dir = existingFolder(expectString(args, 'dir', 'runs.setFolder'), 'runs.setFolder');
      workspace.setRunsDir(dir);
      ctx.emit('runs.changed', {});
      return { runsDir: workspace.runsDir };
    },

    async 'evaluation.get'(raw) {
      return evaluation(checkpointRef(raw, 'evaluation.get'));
    },

    async 'evaluation.compare'(raw) {
      const args = expectObject(raw, 'evaluation.compare');
      const a = checkpointRef(args.a, 'evaluation.compare', 'a');
      const b = checkpointRef(args.b, 'evaluation.compare', 'b');
      const [reportA, reportB] = [await evaluation(a), await evaluation(b)];
      if (reportA.labels.join('\u0000') !== reportB.labels.join('\u0000')) {
        throw new ApiError('failed', `the two checkpoints predict different classes (${reportA.labels.join(', ')} vs ${reportB.labels.join(', ')})`);
      }
      const name = (ref: CheckpointRef) => `${ref.runId}/${ref.checkpoint}`;
      return compareEvaluations({ name: name(a), predictions: reportA.predictions }, { name: name(b), predictions: reportB.predictions }, reportA.labels);
    },

    async 'predict.files'(raw) {
      const args = expectObject(raw, 'predict.files');
      const ref = checkpointRef(args, 'predict.files');
      const files = expectArray(args, 'files', 'predict.files', 200);
      const inputs: { name: string; path?: string; error?: string; upload?: { name: string; dataBase64: string } }[] = files.map((value, i) => {
        const file = expectObject(value, `predict.files (files[${i}])`) as Partial<PredictInput> & Args;
        if (typeof file.path === 'string') return { name: file.path, path: file.path };
        if (typeof file.name === 'string' && typeof file.dataBase64 === 'string') return { name: file.name, upload: { name: file.name, dataBase64: file.dataBase64 } };
        throw new ApiError('invalid-arguments', `predict.files: files[${i}] must be {path} or {name, dataBase64}`);
      });
      const model = await predictorFor(ref);
      const results: FilePrediction[] = [];
      for (const input of inputs) {
        let path = input.path ?? input.name;
        try {
          path = input.upload ? await storeUpload(input.upload.name, input.upload.dataBase64) : workspace.confine(input.path!, 'predict.files');
        } catch (err) {
          results.push({ name: input.name, path, ok: false, error: { code: err instanceof ApiError ? err.code : 'failed', message: err instanceof Error ? err.message : String(err) } });
          continue;
        }
        const [result] = await model.predictMany([path]);
        if (!result || isPredictionFailure(result)) {
          const error = result?.error ?? { code: 'prediction-failed', message: 'no result' };
          // Messages name the stored upload; the user knows the file by the name they gave it.
          const message = input.upload ? error.message.split(basename(path)).join(input.name) : error.message;
          results.push({ name: input.name, path, ok: false, error: { code: error.code, message } });
        } else {
          results.push({
            name: input.name,
            path,
            ok: true,
            emotion: result.emotion,
            confidence: result.confidence,
            probabilities: model.labels.map((label) => result.probabilities[label] ?? 0),
            durationS: result.durationS,
            totalMs: result.timingsMs.total,
          });
        }
      }
      return { runId: ref.runId, checkpoint: ref.checkpoint, labels: [...model.labels], results };
    },
  };

  return {
    handlers,
    jobs,
    workspace,
    async close() {
      jobs.cancelAll();
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

