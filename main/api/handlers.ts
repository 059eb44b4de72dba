/**
 * The handler table: the one implementation of the contract, shared by every door (Electron IPC,
 * the serve-mode bridge, tests). Arguments are validated here, at runtime, before any work; file
 * paths are confined to what the user opened (workspace.ts).
 */
import { existsSync, realpathSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { probeAudioFile } from '../audio';
import { scanDataset, summarizeDataset } from '../dataset';
import { SCHEME_CHOICES, type SchemeChoice } from '../schema/datasetSchemes';
import { RUN_FILE } from '../schema/files';
import { runNameProblem } from '../schema/runLimits';
import { studyRunsDir } from '../pipeline/study/paths';
import { studyMemberLauncher } from '../pipeline/study/memberProcess';
import { previewSplit } from '../pipeline/splitPreview';
import type { EvaluationReport } from '../evaluation/report';
import { compareCheckpoints, evaluationOf, exportEvaluation, type EvaluationSourceOptions } from '../pipeline/evaluations';
import { MAX_UPLOAD_BYTES, storeUpload } from '../pipeline/uploads';
import { exportOnnx, ONNX_EXPORT_FILES } from '../pipeline/export/exportOnnx';
import { cacheCoverage, cacheDirFor } from '../features/cache';
import { featureConfigHash, featureRowCount, resolveFeatureConfig, type FeatureConfig } from '../features/config';
import { AUTO_FRAMES_MIN, resolveFrames } from '../features/frames';
import { isPredictionFailure, loadPredictor, type EmotionPredictor, type FusedPredictor } from '../pipeline/inference';
import {
  createStudy,
  parseFusion,
  parseGridOption,
  parseProtocol,
  protocolLabel,
  readStudy,
  ReportOptionError,
  saveStudyFusedRun,
  studyReport,
  studyReportCsv,
  studyReportLatex,
  studyRunner,
  studyStatus,
  StudyBusyError,
  type MemberLauncher,
  type StudyFile,
  type StudyReportOptions,
} from '../pipeline/study';
import { deleteRun, listEvaluations, openRun, renameRun, resolveRunDir } from '../runs/store';
import { readEvaluation } from '../evaluation/file';
import { CHECKPOINT_NAMES } from '../runs/types';
import { initBackend } from '../compute/backend';
import { BACKEND_NAMES, type BackendName } from '../schema/backend';
import { PRESETS, resolveTrainingConfig } from '../training/config';
import { describeModel, NETWORK_MODEL_NAMES } from '../models';
import { CLASSICAL_TITLES } from '../models/classical';
import { CLASSICAL_MODEL_NAMES, modelRepresentationProblem, OPTIMIZER_NAMES } from '../schema/names';
import { checkStudyParallel, checkStudySize, gridCellCount, MAX_GRID_FIELDS } from '../schema/studyLimits';
import { buildClipView, warmUpClipViews } from './clipView';
import type {
  ApiRequests,
  CheckpointRef,
  DatasetOverview,
  FilePrediction,
  PredictInput,
  RequestName,
  RunDetail,
  StudyListEntry,
} from './contract';
import { JobManager, type Emit } from './jobs';
import { epochHistory, listRunSummaries, summarizeRun } from './runViews';
import {
  ApiError,
  base64Bytes,
  expectArray,
  expectObject,
  expectOneOf,
  expectRunId,
  expectString,
  optionalBoolean,
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
  /** How study member processes start (default: this app's CLI with the same Node or Electron binary). */
  memberLauncher?: MemberLauncher;
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

const BACKEND_CHOICES: readonly (BackendName | 'auto')[] = ['auto', ...BACKEND_NAMES];

/** The request's `features` overrides resolved against the feature field table (defaults when absent). */
function featuresOf(args: Args, request: string): FeatureConfig {
  try {
    return resolveFeatureConfig(args.features ?? {});
  } catch (err) {
    throw new ApiError('invalid-arguments', `${request} (features): ${err instanceof Error ? err.message : String(err)}`);
  }
}

function schemeOf(args: Args, request: string): SchemeChoice {
  return optionalOneOf(args, 'scheme', SCHEME_CHOICES, request) ?? 'auto';
}

function checkpointRef(value: unknown, request: string, field = 'checkpoint reference'): CheckpointRef {
  const args = expectObject(value, `${request} (${field})`);
  return { runId: expectRunId(args, 'runId', request), checkpoint: expectOneOf(args, 'checkpoint', CHECKPOINT_NAMES, request) };
}

const STUDY_CHECKPOINTS = ['best', 'final'] as const;

/** A study's list entry from its study.json alone (counted, never enumerated). */
function studyEntry(dir: string, study: StudyFile): StudyListEntry {
  const cells = gridCellCount(study.grid.map((axis) => axis.values.length));
  return {
    dir,
    name: study.name,
    protocol: protocolLabel(study.protocol),
    folds: study.folds.length,
    seeds: study.seeds,
    cells,
    members: cells * study.seeds.length * study.folds.length,
    createdAt: study.createdAt,
  };
}

/** A list of whole numbers ≥ 0, e.g. seeds. */
function expectSeeds(args: Args, request: string): number[] {
  const seeds = expectArray(args, 'seeds', request, 100);
  if (seeds.length === 0 || seeds.some((s) => typeof s !== 'number' || !Number.isInteger(s) || s < 0)) {
    throw new ApiError('invalid-arguments', `${request}: 'seeds' must be a non-empty list of whole numbers ≥ 0`);
  }
  if (new Set(seeds).size !== seeds.length) throw new ApiError('invalid-arguments', `${request}: 'seeds' lists a seed twice`);
  return seeds as number[];
}

function optionalStrings(args: Args, field: string, request: string): string[] | undefined {
  if (args[field] === undefined) return undefined;
  const values = expectArray(args, field, request, 1000);
  if (values.some((v) => typeof v !== 'string' || v.trim() === ''))
    throw new ApiError('invalid-arguments', `${request}: '${field}' must be a list of non-empty strings`);
  return values as string[];
}

/** The comparison table's options of a studies request: fusions (`c1+c3`), seed ensembles, the baseline row. */
function tableOptions(args: Args, request: string): Pick<StudyReportOptions, 'fuse' | 'ensembleSeeds' | 'baseline'> {
  const fuse = args.fuse === undefined ? [] : expectArray(args, 'fuse', request, 16);
  const baseline = optionalString(args, 'baseline', request);
  if (baseline !== undefined && !/^[cf][1-9]\d{0,3}$/.test(baseline))
    throw new ApiError('invalid-arguments', `${request}: 'baseline' must name a row like c1 or f2 (got ${JSON.stringify(baseline)})`);
  try {
    return {
      fuse: fuse.map((text, i) => {
        if (typeof text !== 'string' || text.length > 200)
          throw new ApiError('invalid-arguments', `${request}: 'fuse[${i}]' must be a text like c1+c3`);
        return parseFusion(text);
      }),
      ensembleSeeds: optionalBoolean(args, 'ensembleSeeds', request),
      baseline,
    };
  } catch (err) {
    if (err instanceof ReportOptionError) throw new ApiError('invalid-arguments', `${request}: ${err.message}`);
    throw err;
  }
}

async function runDetail(dir: string): Promise<RunDetail> {
  const opened = await openRun(dir);
  const stored = await listEvaluations(opened.dir);
  return {
    summary: summarizeRun(opened),
    record: opened.record,
    dir: opened.dir,
    epochs: epochHistory(opened),
    evaluations: CHECKPOINT_NAMES.filter((name) => stored.includes(name)),
  };
}

function existingFolder(path: string, request: string): string {
  if (!existsSync(path)) throw new ApiError('not-found', `${request}: folder not found: ${path}`);
  if (!statSync(path).isDirectory()) throw new ApiError('invalid-arguments', `${request}: not a folder: ${path}`);
  return path;
}

export function createEngine(ctx: EngineContext): Engine {
  const { workspace } = ctx;
  const jobs = new JobManager(workspace, ctx.emit);
  const studyDir = (args: Args, request: string) => workspace.confineStudy(expectString(args, 'dir', request), request);
  const studyCheckpoint = (args: Args, request: string) => optionalOneOf(args, 'checkpoint', STUDY_CHECKPOINTS, request) ?? 'best';
  /** A study's report with the request's checkpoint, other studies (`with`) and table options, each validated. */
  const reportOf = async (dir: string, args: Args, request: string) => {
    const checkpoint = studyCheckpoint(args, request);
    const others = args.with === undefined ? [] : expectArray(args, 'with', request, 8);
    const withDirs = others.map((other, i) => {
      if (typeof other !== 'string') throw new ApiError('invalid-arguments', `${request}: 'with[${i}]' must be a study folder`);
      return workspace.confineStudy(other, request);
    });
    const table = tableOptions(args, request);
    try {
      return await studyReport(dir, { checkpoint, with: withDirs, ...table });
    } catch (err) {
      // Folds or datasets that differ, cells that do not exist or cannot be fused: the request's fault, not the engine's.
      if (err instanceof ReportOptionError || (withDirs.length > 0 && /^cannot compare /.test((err as Error).message)))
        throw new ApiError('invalid-arguments', `${request}: ${(err as Error).message}`);
      throw err;
    }
  };
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
  function allowListedClips(report: EvaluationReport): EvaluationReport {
    for (const prediction of report.predictions) workspace.allowFile(prediction.path);
    return report;
  }

  async function evaluation(ref: CheckpointRef): Promise<EvaluationReport> {
    return allowListedClips(await evaluationOf(runDir(ref.runId), ref.checkpoint, evaluationSource()));
  }

  async function predictorFor(ref: CheckpointRef): Promise<EmotionPredictor | FusedPredictor> {
    const dir = runDir(ref.runId);
    const key = `${dir}#${ref.checkpoint}`;
    if (predictor?.key !== key) {
      const previous = predictor;
      await initBackend(workspace.backendPreference);
      predictor = { key, promise: loadPredictor(dir, { checkpoint: ref.checkpoint }) };
      predictor.promise.catch(() => {
        if (predictor?.key === key) predictor = null;
      });
      void previous?.promise.then((p) => p.dispose()).catch(() => undefined);
    }
    return predictor.promise;
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
      const preference = optionalOneOf(args, 'preference', BACKEND_CHOICES, 'app.backend') ?? workspace.backendPreference;
      // A backend that fails to start leaves the previous preference (and backend) in place.
      const info = await initBackend(preference);
      workspace.backendPreference = preference;
      return info;
    },

    async 'app.openedFiles'() {
      const paths = ctx.takeOpenedFiles?.() ?? [];
      for (const path of paths) workspace.allowFile(path);
      return { paths };
    },

    async 'dialog.pickFolder'(raw) {
      const args = expectObject(raw, 'dialog.pickFolder');
      if (!ctx.dialogs) throw new ApiError('unsupported', 'no native dialogs in serve mode: type the folder path instead');
      // A picked folder is only a path: access follows from what is then opened in it.
      const path = await ctx.dialogs.pickFolder(optionalString(args, 'title', 'dialog.pickFolder'));
      return { path };
    },

    async 'dialog.pickFiles'(raw) {
      const args = expectObject(raw, 'dialog.pickFiles');
      if (!ctx.dialogs) throw new ApiError('unsupported', 'no native dialogs in serve mode: use the file picker of the page');
      const paths = await ctx.dialogs.pickFiles({
        title: optionalString(args, 'title', 'dialog.pickFiles'),
        audioOnly: args.audioOnly === true,
      });
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
      const openedAs = resolve(existingFolder(expectString(args, 'root', 'dataset.open'), 'dataset.open'));
      warmUpClipViews();
      const scan = await scanDataset(openedAs, { scheme: schemeOf(args, 'dataset.open') });
      workspace.allowDataset(
        scan.root,
        scan.clips.map((clip) => clip.path),
      );
      // The summary keeps aggregates only: note each clip's duration as its (header-only) probe runs.
      const durations = new Map<string, number>();
      const summary = await summarizeDataset(scan, async (path) => {
        const probe = await probeAudioFile(path);
        if (Number.isFinite(probe.durationS) && probe.durationS >= 0) durations.set(path, probe.durationS);
        return probe;
      });
      return {
        root: realpathSync(scan.root),
        openedAs,
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
      const { config, note } = await resolveFrames(featuresOf(args, 'features.status'), scan.clips);
      const configHash = featureConfigHash(config);
      const cacheDir = cacheDirFor(workspace.cacheDir, root, configHash);
      const coverage = await cacheCoverage(cacheDir, { configHash, rows: featureRowCount(config), frames: config.frames }, scan.clips);
      return {
        root,
        configHash,
        cacheDir,
        cached: coverage.cached,
        failed: coverage.failed,
        total: scan.clips.length,
        frames: config.frames,
        framesNote: note,
      };
    },

    async 'features.extract'(raw) {
      const args = expectObject(raw, 'features.extract');
      const root = workspace.confine(
        existingFolder(expectString(args, 'root', 'features.extract'), 'features.extract'),
        'features.extract',
      );
      return jobs.startFeatures(root, schemeOf(args, 'features.extract'), featuresOf(args, 'features.extract'));
    },

    async 'training.options'() {
      await initBackend(workspace.backendPreference);
      // Parameter counts for the default input (40 MFCC × the shortest auto length) and 7 classes.
      const config = resolveFeatureConfig();
      const frames = config.frames || AUTO_FRAMES_MIN;
      return {
        presets: PRESETS,
        models: [
          ...NETWORK_MODEL_NAMES.map((name) => {
            const description = describeModel(name, { inputShape: [featureRowCount(config), frames, 1], numClasses: 7 });
            return { name, title: description.title, parameters: description.parameters?.trainable ?? 0, input: 'matrix' as const };
          }),
          ...CLASSICAL_MODEL_NAMES.map((name) => ({ name, title: CLASSICAL_TITLES[name], parameters: 0, input: 'vector' as const })),
        ],
        optimizers: [...OPTIMIZER_NAMES],
        backends: [...BACKEND_CHOICES],
      };
    },

    async 'training.validate'(raw) {
      const args = expectObject(raw, 'training.validate');
      try {
        const config = resolveTrainingConfig(args.config);
        const features = resolveFeatureConfig(args.features ?? {});
        const problem = modelRepresentationProblem(config.model, features.representation);
        return problem ? { ok: false as const, error: problem } : { ok: true as const, config, features };
      } catch (err) {
        return { ok: false as const, error: err instanceof Error ? err.message : String(err) };
      }
    },

    async 'training.start'(raw) {
      const args = expectObject(raw, 'training.start');
      const root = resolve(existingFolder(expectString(args, 'root', 'training.start'), 'training.start'));
      workspace.confine(root, 'training.start');
      await workspace.ensureFolders();
      // The run records the folder as the user gave it (as `ser train` does), not its real path.
      const name = optionalString(args, 'name', 'training.start');
      const problem = name === undefined ? null : runNameProblem(name);
      if (problem) throw new ApiError('invalid-arguments', `training.start: ${problem}`);
      return jobs.startTraining(root, schemeOf(args, 'training.start'), args.config, {
        name,
        features: featuresOf(args, 'training.start'),
      });
    },

    async 'training.splitPreview'(raw) {
      const args = expectObject(raw, 'training.splitPreview');
      const root = workspace.confine(
        existingFolder(expectString(args, 'root', 'training.splitPreview'), 'training.splitPreview'),
        'training.splitPreview',
      );
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
      return listRunSummaries(workspace.runsDir);
    },

    async 'runs.get'(raw): Promise<RunDetail> {
      const args = expectObject(raw, 'runs.get');
      return runDetail(runDir(expectRunId(args, 'runId', 'runs.get')));
    },

    async 'runs.rename'(raw) {
      const args = expectObject(raw, 'runs.rename');
      const runId = expectRunId(args, 'runId', 'runs.rename');
      const name = expectString(args, 'name', 'runs.rename');
      const problem = runNameProblem(name);
      if (problem) throw new ApiError('invalid-arguments', `runs.rename: ${problem}`);
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
      return exportEvaluation(runDir(ref.runId), ref.checkpoint, evaluationSource());
    },

    async 'runs.exportOnnx'(raw) {
      const args = expectObject(raw, 'runs.exportOnnx');
      const ref = checkpointRef(args, 'runs.exportOnnx');
      const force = optionalBoolean(args, 'force', 'runs.exportOnnx') ?? false;
      await initBackend(workspace.backendPreference);
      const result = await exportOnnx({ source: runDir(ref.runId), checkpoint: ref.checkpoint, force });
      return {
        dir: result.dir,
        files: ONNX_EXPORT_FILES.map((file) => join(result.dir, file)),
        opset: result.opset,
        framesFixedBy: result.framesFixedBy,
      };
    },

    async 'runs.setFolder'(raw) {
      const args = expectObject(raw, 'runs.setFolder');
      workspace.setRunsDir(existingFolder(expectString(args, 'dir', 'runs.setFolder'), 'runs.setFolder'));
      ctx.emit('runs.changed', {});
      return { runsDir: workspace.runsDir };
    },

    async 'evaluation.get'(raw) {
      warmUpClipViews(); // its clips open in the clip viewer next
      return evaluation(checkpointRef(raw, 'evaluation.get'));
    },

    async 'evaluation.compare'(raw) {
      const args = expectObject(raw, 'evaluation.compare');
      const a = checkpointRef(args.a, 'evaluation.compare', 'a');
      const b = checkpointRef(args.b, 'evaluation.compare', 'b');
      const side = (ref: CheckpointRef) => ({
        runDir: runDir(ref.runId),
        checkpoint: ref.checkpoint,
        name: `${ref.runId}/${ref.checkpoint}`,
      });
      const comparison = await compareCheckpoints(side(a), side(b), evaluationSource());
      for (const clip of comparison.disagreements) workspace.allowFile(clip.path);
      return comparison;
    },

    async 'predict.files'(raw) {
      const args = expectObject(raw, 'predict.files');
      const ref = checkpointRef(args, 'predict.files');
      const files = expectArray(args, 'files', 'predict.files', 200);
      const inputs: { name: string; path?: string; dataBase64?: string; speaker: string }[] = files.map((value, i) => {
        const file = expectObject(value, `predict.files (files[${i}])`) as Partial<PredictInput> & Args;
        const where = `predict.files (files[${i}])`;
        const speaker = file.speaker === undefined ? '' : expectString(file, 'speaker', where);
        if (typeof file.path === 'string') return { name: file.path, path: file.path, speaker };
        if (typeof file.name === 'string' && typeof file.dataBase64 === 'string')
          return { name: file.name, dataBase64: file.dataBase64, speaker };
        throw new ApiError('invalid-arguments', `predict.files: files[${i}] must be {path} or {name, dataBase64}`);
      });
      const model = await predictorFor(ref);
      const results: FilePrediction[] = new Array(inputs.length);
      const readable: { index: number; path: string; speaker: string }[] = [];
      for (const [index, input] of inputs.entries()) {
        let path = input.path ?? input.name;
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
      return { runId: ref.runId, checkpoint: ref.checkpoint, labels: [...model.labels], results };
    },

    async 'studies.list'() {
      const entries: StudyListEntry[] = [];
      for (const dir of workspace.studyDirs()) {
        try {
          entries.push(studyEntry(dir, await readStudy(dir)));
        } catch (err) {
          entries.push({
            dir,
            name: basename(dir),
            protocol: '',
            folds: 0,
            seeds: [],
            cells: 0,
            members: 0,
            createdAt: '',
            error: err instanceof Error ? err.message : String(err),
          });
        }
      }
      return entries;
    },

    async 'studies.open'(raw) {
      const args = expectObject(raw, 'studies.open');
      const dir = existingFolder(expectString(args, 'dir', 'studies.open'), 'studies.open');
      const study = await readStudy(dir);
      workspace.allowStudy(dir);
      return studyEntry(workspace.confineStudy(dir, 'studies.open'), study);
    },

    async 'studies.get'(raw) {
      const args = expectObject(raw, 'studies.get');
      const dir = studyDir(args, 'studies.get');
      return { status: await studyStatus(dir), report: await reportOf(dir, args, 'studies.get') };
    },

    async 'studies.saveFusedRun'(raw) {
      const request = 'studies.saveFusedRun';
      const args = expectObject(raw, request);
      const dir = studyDir(args, request);
      const text = expectString(args, 'fuse', request);
      const cells = text.split('+').map((k) => k.trim());
      if (cells.some((k) => !/^c[1-9]\d{0,3}$/.test(k)) || new Set(cells).size !== cells.length)
        throw new ApiError('invalid-arguments', `${request}: 'fuse' must name distinct cells like c1+c3 (got ${JSON.stringify(text)})`);
      const whole = (field: string, min: number): number | undefined => {
        const value = args[field];
        if (value === undefined) return undefined;
        if (typeof value !== 'number' || !Number.isInteger(value) || value < min)
          throw new ApiError('invalid-arguments', `${request}: '${field}' must be a whole number ≥ ${min}`);
        return value;
      };
      const fold = whole('fold', 1);
      if (fold === undefined) throw new ApiError('invalid-arguments', `${request}: 'fold' is required (1 = the first fold)`);
      await workspace.ensureFolders();
      let record;
      try {
        record = await saveStudyFusedRun(dir, {
          cells,
          fold: fold - 1,
          seed: whole('seed', 0),
          seedsAveraged: optionalBoolean(args, 'seedsAveraged', request),
          checkpoint: studyCheckpoint(args, request),
          runsDir: workspace.runsDir,
        });
      } catch (err) {
        throw new ApiError('invalid-arguments', `${request}: ${(err as Error).message}`);
      }
      ctx.emit('runs.changed', { runId: record.id });
      return { runId: record.id, name: record.name };
    },

    async 'studies.exportTable'(raw) {
      const request = 'studies.exportTable';
      const args = expectObject(raw, request);
      const dir = studyDir(args, request);
      const format = expectOneOf(args, 'format', ['csv', 'latex'] as const, request);
      const report = await reportOf(dir, args, request);
      const text = format === 'csv' ? studyReportCsv(report) : studyReportLatex(report);
      return { text, fileName: `${basename(dir)}-${report.study.checkpoint}-table.${format === 'csv' ? 'csv' : 'tex'}` };
    },

    async 'studies.status'(raw) {
      return studyStatus(studyDir(expectObject(raw, 'studies.status'), 'studies.status'));
    },

    async 'studies.create'(raw) {
      const request = 'studies.create';
      const args = expectObject(raw, request);
      const name = expectRunId(args, 'name', request);
      const root = workspace.confine(existingFolder(expectString(args, 'root', request), request), request);
      const overrides = expectObject(args.config, `${request} (config)`);
      if (overrides.seed !== undefined || overrides.split !== undefined) {
        throw new ApiError(
          'invalid-arguments',
          `${request}: the config may not set 'seed' or 'split': a study sets them per member (use 'seeds' and 'protocol')`,
        );
      }
      const seeds = expectSeeds(args, request);
      const features = featuresOf(args, request);
      const gridArgs = expectArray(args, 'grid', request, MAX_GRID_FIELDS);
      let config;
      let protocol;
      let grid;
      try {
        config = resolveTrainingConfig(overrides);
        protocol = parseProtocol(expectString(args, 'protocol', request), {
          test: optionalStrings(args, 'testSpeakers', request),
          val: optionalStrings(args, 'valSpeakers', request),
        });
        grid = gridArgs.map((value, i) => {
          const axis = expectObject(value, `${request} (grid[${i}])`);
          const values = optionalStrings(axis, 'values', `${request} (grid[${i}])`) ?? [];
          if (values.length === 0) throw new Error(`grid[${i}] needs at least one value`);
          return parseGridOption(`${expectString(axis, 'field', `${request} (grid[${i}])`)}=${values.join(',')}`);
        });
        // Refused by counting, before a cell is enumerated (LOSO's folds are known after the scan: at least one).
        const folds = protocol.kind === 'kfold' ? protocol.k : protocol.kind === 'fixed' ? 1 : undefined;
        checkStudySize({ gridValues: grid.map((axis) => axis.values.length), seeds: seeds.length, folds });
      } catch (err) {
        if (err instanceof ApiError) throw err;
        throw new ApiError('invalid-arguments', `${request}: ${err instanceof Error ? err.message : String(err)}`);
      }
      await workspace.ensureFolders();
      const dir = join(workspace.runsDir, name);
      if (existsSync(dir)) throw new ApiError('invalid-arguments', `${request}: ${dir} already exists: choose another study name`);
      const study = await createStudy(dir, {
        datasetRoot: root,
        scheme: schemeOf(args, request),
        protocol,
        training: config,
        features,
        seeds,
        grid,
        name,
        backend: workspace.backendPreference,
      });
      ctx.emit('runs.changed', {});
      return studyEntry(workspace.confineStudy(dir, request), study);
    },

    async 'studies.run'(raw) {
      const args = expectObject(raw, 'studies.run');
      const dir = studyDir(args, 'studies.run');
      let parallel;
      try {
        parallel = checkStudyParallel(args.parallel ?? 1, "'parallel'");
      } catch (err) {
        throw new ApiError('invalid-arguments', `studies.run: ${(err as Error).message}`);
      }
      // The job takes the study's lock; a run already holding it is refused here, with its holder named.
      const runner = await studyRunner(dir);
      if (runner) throw new ApiError('busy', `studies.run: ${new StudyBusyError(dir, runner).message}`);
      return jobs.startStudy(dir, parallel, ctx.memberLauncher ?? studyMemberLauncher());
    },

    async 'studies.memberEvaluation'(raw) {
      const request = 'studies.memberEvaluation';
      const args = expectObject(raw, request);
      warmUpClipViews();
      const dir = studyDir(args, request);
      const memberId = expectRunId(args, 'memberId', request);
      const checkpoint = studyCheckpoint(args, request);
      const runDir = join(dir, 'runs', memberId);
      const report = await readEvaluation(runDir, checkpoint);
      if (!report) throw new ApiError('not-found', `${request}: member ${memberId} has no ${checkpoint} evaluation (it has not finished)`);
      const study = await readStudy(dir);
      workspace.allowStudyClips(
        study.dataset.root,
        report.predictions.map((p) => p.path),
      );
      return report;
    },

    async 'studies.member'(raw) {
      const args = expectObject(raw, 'studies.member');
      const dir = studyDir(args, 'studies.member');
      const memberId = expectRunId(args, 'memberId', 'studies.member');
      const memberDir = join(studyRunsDir(dir), memberId);
      if (!existsSync(join(memberDir, RUN_FILE)))
        throw new ApiError('not-found', `studies.member: member ${memberId} has not started (no run folder in ${studyRunsDir(dir)})`);
      return runDetail(memberDir);
    },

    async 'studies.exportCsv'(raw) {
      const args = expectObject(raw, 'studies.exportCsv');
      const dir = studyDir(args, 'studies.exportCsv');
      const checkpoint = studyCheckpoint(args, 'studies.exportCsv');
      const csv = studyReportCsv(await studyReport(dir, { checkpoint }));
      return { csv, fileName: `${basename(dir)}-${checkpoint}.csv` };
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
