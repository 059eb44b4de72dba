/**
 * The one contract between the UI and the engine: every request (name → argument and result
 * types) and every event. The preload exposes exactly this; main implements it as one handler
 * table (main/api/handlers.ts); the renderer calls it fully typed through `window.api`, whether
 * the door is Electron IPC or the serve-mode WebSocket bridge.
 *
 * Only plain, serialisable data crosses it. This file and everything it imports must stay free of
 * Node imports: the renderer's type check reads it. Binary payloads (audio) travel as base64.
 */
import type { Emotion } from '../dataset/labels';
import type { Comparison } from '../evaluation/compare';
import type { EvaluationReport } from '../evaluation/report';
import type { ExtractionProgress } from '../features/progress';
import type { FeatureConfig } from '../schema/featureFields';
import type { ListenPushResult, ListenSessionInfo, ListenSettings, ListenStopResult, ListenWindow } from '../schema/listenFields';
import type { CheckpointName, RunRecord, RunStatus } from '../runs/types';
import type { BackendInfo, BackendName } from '../schema/backend';
import type { TrainingConfig, TrainingOverrides } from '../training/config';
import type { SplitCounts } from '../dataset/splitCounts';
import type { InputKind, ModelName, OptimizerName } from '../schema/names';
import type { SchemeChoice, SchemeName } from '../schema/datasetSchemes';
import type { ApiErrorCode } from '../schema/errorCodes';
import type { MemberStatus as StudyMemberStatus, StudyStatus as StudyStatusView } from '../schema/studyStatus';
import type { CrossValidationSummary } from '../evaluation/pooled';
import type { PairedComparison } from '../evaluation/paired';
import type { CellOverrides, GridAxis, GridValue } from '../pipeline/study/gridTypes';
import type { StudyTable } from '../pipeline/study/table';
export type { BaselineTest, StudyTable, StudyTableRow } from '../pipeline/study/table';
import type { BatchProgress, BestCheckpoint, ClassifierProgress, EpochMetrics, TrainingEvent, TrainingOutcome } from '../training/progress';

export type {
  BackendInfo,
  BackendName,
  BatchProgress,
  BestCheckpoint,
  CheckpointName,
  ClassifierProgress,
  Comparison,
  EpochMetrics,
  EvaluationReport,
  ExtractionProgress,
};
export type {
  ModelName,
  OptimizerName,
  RunRecord,
  RunStatus,
  SplitCounts,
  TrainingConfig,
  TrainingEvent,
  TrainingOutcome,
  TrainingOverrides,
};
export type { ClipPrediction } from '../evaluation/types';
export type { ListenPushResult, ListenSessionInfo, ListenSettings, ListenStopResult, ListenWindow };
export type { ClassMetrics, EvaluationMetrics } from '../evaluation/metrics';
export type { Disagreement } from '../evaluation/compare';
export type { McNemarResult } from '../evaluation/mcnemar';
export type { BootstrapIntervals, Interval } from '../evaluation/bootstrap';
export type { FoldRow, Headline, PooledMetrics } from '../evaluation/pooled';
export type { CellOverrides, CrossValidationSummary, GridAxis, GridValue, PairedComparison };

// ---------------------------------------------------------------------------------------------
// App

export interface AppInfo {
  name: string;
  version: string;
  platform: string;
  /** Which door the UI came through: the desktop app or serve mode in a browser. */
  door: 'electron' | 'serve';
  /** Native folder/file pickers and "reveal in folder" exist (Electron only). */
  nativeDialogs: boolean;
  /** The bundled demo dataset (EmoDB subset), offered on first launch. */
  demoDatasetPath: string;
  /** Where runs are listed and new ones are written. */
  runsDir: string;
  /** The feature cache root. */
  cacheDir: string;
  /** The backend preference new jobs use ('auto' = the best that works). */
  backendPreference: BackendName | 'auto';
}

// ---------------------------------------------------------------------------------------------
// Datasets and clips

export interface DatasetClip {
  id: string;
  /** Absolute path (what clip.view and predictions take). */
  path: string;
  relPath: string;
  label: Emotion;
  /** '' when the scheme does not know the speaker. */
  speaker: string;
  gender: 'female' | 'male' | 'unknown';
  /** null when the file could not be probed (it is then listed in `unreadable`). */
  durationS: number | null;
}

export interface DatasetOverview {
  /**
   * The folder's real path (links resolved): the one key every request and answer about this
   * dataset uses (cache status, extraction jobs and results).
   */
  root: string;
  /** The folder as the user gave it (absolute; may go through a symbolic link): what the UI shows and runs record. */
  openedAs: string;
  scheme: SchemeName;
  /** How the scheme was chosen ("detected from file names", "given"). */
  detection: string;
  clipCount: number;
  totalDurationS: number;
  labels: Emotion[];
  speakers: string[];
  perClass: Partial<Record<Emotion, number>>;
  perSpeaker: Record<string, number>;
  speakerByClass: Record<string, Partial<Record<Emotion, number>>>;
  genders: { female: number; male: number; unknown: number };
  duration: { minS: number; medianS: number; meanS: number; maxS: number } | null;
  durationHistogram: { edgesS: number[]; counts: number[] };
  sampleRates: { value: number; count: number }[];
  /** Files that matched no label, or whose audio the probe could not read, with the reason. */
  skipped: { relPath: string; reason: string }[];
  unreadable: { relPath: string; reason: string }[];
  clips: DatasetClip[];
}

/** A row × column matrix of float values, row-major (e.g. MFCC [coefficient][frame]). */
export interface MatrixData {
  rows: number;
  cols: number;
  values: number[];
  min: number;
  max: number;
}

export interface ClipView {
  path: string;
  durationS: number;
  /** Sample rate of the original file and of the playable audio below. */
  sourceSampleRate: number;
  channels: number;
  /** A 16-bit mono WAV of the clip, base64, for playback (wavesurfer loads it as a blob). */
  wavBase64: string;
  /** Log-mel spectrogram (dB), [mel band][frame], over the whole clip. */
  melDb: MatrixData;
  /** The feature matrix of the default feature settings before standardisation, [row][frame], over the whole clip. */
  features: MatrixData;
  /** What its rows are, e.g. "MFCC 40" or "log-mel 40 + deltas 1–2". */
  featuresTitle: string;
  /** Seconds per feature column (hop / sample rate). */
  frameSeconds: number;
  /** Seconds per spectrogram column (the same unless a long clip's columns were averaged down). */
  melFrameSeconds: number;
}

export interface CacheStatus {
  root: string;
  configHash: string;
  cacheDir: string;
  /** Clips of the dataset with cached features, and how many the dataset has. */
  cached: number;
  total: number;
  /** Clips remembered as failed, with their reasons. */
  failed: number;
  /** The input length the features get: the one asked for, or what auto (0) becomes for this dataset. */
  frames: number;
  /** How auto frames were chosen ("frames auto: 160 (3.72 s: …)"); null for a set length. */
  framesNote: string | null;
  /** The encoder representation: the model read from the folder (by its file's hash) and the layer used. */
  encoder?: { name: string; file: string; sha256: string; layer: number; layers: number; hiddenSize: number };
}

/** An encoder folder the user chose: what it holds (features/encoder/folder.ts). */
export interface EncoderSummary {
  /** The folder's real path. */
  dir: string;
  name: string;
  modelType: string;
  hiddenSize: number;
  /** Transformer layers: hidden states 0 to `layers`. */
  layers: number;
  /** The file 'auto' runs, its dtype, size and hash. */
  file: string;
  dtype: string;
  sizeBytes: number;
  sha256: string;
  /** Every dtype whose file the folder holds. */
  dtypes: string[];
}

export interface ExtractionResult {
  root: string;
  clips: number;
  fromCache: number;
  computed: number;
  failed: { relPath: string; reason: string }[];
  elapsedMs: number;
  cancelled: boolean;
}

// ---------------------------------------------------------------------------------------------
// Jobs (long work: feature extraction, training) stream events and can be cancelled

export type JobKind = 'features' | 'training' | 'study';
export type JobState = 'running' | 'done' | 'failed' | 'cancelled';

export interface JobInfo {
  jobId: string;
  kind: JobKind;
  state: JobState;
  /** The dataset the job works on (a study job: the study folder). */
  root: string;
  startedAt: string;
  /** Training: the run it writes, once created. */
  runId?: string;
  error?: string;
}

export interface TrainingStartArgs {
  root: string;
  scheme?: SchemeChoice;
  /** Any subset of the training configuration; the rest comes from the preset. */
  config: TrainingOverrides;
  /** Any subset of the feature configuration; the rest are the defaults. */
  features?: FeatureOverrides;
  name?: string;
}

/** Any subset of the feature configuration (checked by the engine against the feature field table). */
export type FeatureOverrides = Partial<FeatureConfig>;

export interface ModelChoice {
  name: ModelName;
  title: string;
  /** Trainable parameters for the default input (0 for a classical classifier: its size depends on the data). */
  parameters: number;
  /** What the model takes: feature matrices (networks) or feature vectors (classical classifiers). */
  input: InputKind;
}

export interface TrainingOptions {
  presets: Record<'quick' | 'full', TrainingConfig>;
  models: ModelChoice[];
  optimizers: OptimizerName[];
  backends: (BackendName | 'auto')[];
}

// ---------------------------------------------------------------------------------------------
// Runs, evaluation, comparison, prediction

export interface CheckpointInfo {
  complete: boolean;
  epoch?: number;
}

export interface RunSummary {
  id: string;
  name: string;
  /** 'corrupt': the folder's run.json cannot be used; `error` says why. */
  status: RunStatus | 'corrupt';
  createdAt: string;
  updatedAt: string;
  datasetRoot: string;
  model: string;
  epochsRun: number;
  bestEpoch?: number;
  /** What `checkpoints/best` holds (runs made before it was recorded do not say). */
  bestCheckpoint?: BestCheckpoint;
  /** Test metrics of each checkpoint already evaluated. */
  test: Partial<Record<CheckpointName, { accuracy: number; uar: number; macroF1: number }>>;
  checkpoints: Record<CheckpointName, CheckpointInfo>;
  /** A process is training it right now. */
  live: boolean;
  error?: string;
  /** Training settings from run.json, for the Runs table's hyper-parameter columns (absent when unreadable). */
  hyper?: RunHyperParameters;
}

export interface RunHyperParameters {
  learningRate?: number;
  batchSize?: number;
  /** Epochs planned (epochsRun says how many ran). */
  epochs?: number;
  optimizer?: string;
  seed?: number;
}

export interface RunDetail {
  summary: RunSummary;
  record: RunRecord;
  dir: string;
  /** One entry per finished epoch (metrics.jsonl), also for interrupted runs. */
  epochs: EpochMetrics[];
  /** Checkpoints with a stored evaluation on the run's test split. */
  evaluations: CheckpointName[];
}

export interface CheckpointRef {
  runId: string;
  checkpoint: CheckpointName;
}

export interface ExportedReport {
  files: string[];
  dir: string;
}

/** A checkpoint written as ONNX (main/pipeline/export): model.onnx, export.json and README.md in `dir`. */
export interface OnnxExportSummary {
  dir: string;
  files: string[];
  opset: number;
  /** What the model takes per clip: a feature matrix (a network) or a feature vector (a classical classifier). */
  inputKind: InputKind;
  /** The layer that fixes the number of frames, or null when frames are a dynamic dimension (or there are none). */
  framesFixedBy: string | null;
}

export interface FilePrediction {
  /** The file as the user gave it (a path, or the name of an uploaded file). */
  name: string;
  /** Where the engine read it (for clip.view). */
  path: string;
  ok: boolean;
  emotion?: string;
  confidence?: number;
  /** Aligned with `labels` of the result. */
  probabilities?: number[];
  durationS?: number;
  totalMs?: number;
  /** Set when the file could not be normalised the way the model was trained (a per-speaker model, speaker unknown). */
  warning?: string;
  error?: { code: string; message: string };
}

export interface PredictionBatch {
  runId: string;
  checkpoint: CheckpointName;
  labels: string[];
  results: FilePrediction[];
}

/**
 * A file for prediction: a path the engine can read, or the bytes of a file the user picked. Its
 * speaker (optional): a model trained with per-speaker normalisation standardises the files of one
 * speaker in a request with their joint statistics, and a file without one with its own.
 */
export type PredictInput = ({ path: string } | { name: string; dataBase64: string }) & { speaker?: string };

// ---------------------------------------------------------------------------------------------
// Studies: folds × seeds × a grid of training settings (main/pipeline/study). The status shapes are
// main/schema/studyStatus.ts's; the others mirror the engine's (report.ts, executors.ts), which
// import Node, and the handlers' type check keeps the two in step.

export type {
  MemberState as StudyMemberState,
  MemberStatus as StudyMemberStatus,
  StudyStatus as StudyStatusView,
} from '../schema/studyStatus';

export interface StudyCellReport extends Partial<CrossValidationSummary> {
  index: number;
  /** `c<index + 1>`: how fusions and the table's baseline name the cell. */
  key: string;
  label: string;
  studyDir: string;
  overrides: CellOverrides;
  members: { total: number; done: number };
}

/** The same JSON as `study report --json`. */
export interface StudyReportView {
  study: { dir: string; name: string; protocol: string; folds: number; seeds: number[]; grid: GridAxis[]; checkpoint: 'best' | 'final' };
  complete: boolean;
  cells: StudyCellReport[];
  /** Grid cells the study does not train: the model cannot read the representation, or its normalisation would erase it. */
  excluded: { label: string; reason: string }[];
  /** Derived cells: class probabilities of cells (or of a cell's seeds) averaged fold by fold. */
  fusions: StudyFusionReport[];
  comparisons: PairedComparison[];
  /** Cells and fusions with the paired test against the baseline row. */
  table: StudyTable;
}

export interface StudyFusionReport extends Partial<CrossValidationSummary> {
  /** `f1`, `f2`, … */
  key: string;
  label: string;
  /** The fused cells' keys (one for a seed ensemble). */
  cells: string[];
  seedsAveraged: boolean;
  members: { total: number; done: number };
}

/** What the comparison table adds to a study's report (the same as `study report --fuse/--ensemble-seeds/--baseline`). */
export interface StudyTableOptions {
  /** Fusions, each as `c1+c3` (cell keys). */
  fuse?: string[];
  /** Adds each multi-seed cell's seed ensemble; fusions average seeds first. */
  ensembleSeeds?: boolean;
  /** The row (`c2`, `f1`) every other is tested against; default the first with results. */
  baseline?: string;
}

export interface StudyListEntry {
  dir: string;
  name: string;
  protocol: string;
  folds: number;
  seeds: number[];
  cells: number;
  members: number;
  createdAt: string;
  /** Why the folder could not be read as a study (it is still listed so the user sees it). */
  error?: string;
}

export interface StudyDetail {
  status: StudyStatusView;
  report: StudyReportView;
}

export interface StudyCreateArgs {
  /** The new study's folder name, created inside the runs folder. */
  name: string;
  /** The dataset folder (opened with dataset.open). */
  root: string;
  scheme?: SchemeChoice;
  /** The Train form's settings; seed and split are set per member. */
  config: TrainingOverrides;
  /** The Train form's input features (defaults for the rest). */
  features?: FeatureOverrides;
  /** loso | kfold:K | fixed (fixed needs testSpeakers). */
  protocol: string;
  testSpeakers?: string[];
  valSpeakers?: string[];
  seeds: number[];
  /** Up to three fields, each with its values as typed (parsed by the field's type). */
  grid: { field: string; values: string[] }[];
}

/** Progress of a study job (the local executor's events). */
export type StudyRunEvent =
  | { type: 'features'; progress: ExtractionProgress }
  | { type: 'plan'; total: number; skipped: number; toRun: number; parallel: number; threads: number }
  | { type: 'member-start'; member: StudyMemberStatus }
  | { type: 'member-epoch'; member: StudyMemberStatus; epoch: number; epochs: number }
  | { type: 'member-end'; member: StudyMemberStatus; ok: boolean; reason?: string; log: string; seconds: number };

export interface StudyRunResult {
  ran: number;
  succeeded: number;
  failed: { id: string; index: number; reason: string; log: string }[];
  cancelled: boolean;
  seconds: number;
}

// ---------------------------------------------------------------------------------------------
// The requests

export interface ApiRequests {
  'app.info': { args: Record<string, never>; result: AppInfo };
  /** Initialises (if needed) and reports the backend new jobs will use; GPU honesty lives here. */
  'app.backend': { args: { preference?: BackendName | 'auto' }; result: BackendInfo };
  /** Takes the audio files opened with the app (file association, command line) since the last call. */
  'app.openedFiles': { args: Record<string, never>; result: { paths: string[] } };

  /** Native pickers (Electron); in serve mode they fail with a message asking for a typed path. */
  'dialog.pickFolder': { args: { title?: string }; result: { path: string | null } };
  'dialog.pickFiles': { args: { title?: string; audioOnly?: boolean }; result: { paths: string[] } };
  'shell.reveal': { args: { path: string }; result: { ok: true } };

  'dataset.open': { args: { root: string; scheme?: SchemeChoice }; result: DatasetOverview };
  'clip.view': { args: { path: string }; result: ClipView };

  'features.status': { args: { root: string; features?: FeatureOverrides }; result: CacheStatus };
  'features.extract': { args: { root: string; scheme?: SchemeChoice; features?: FeatureOverrides }; result: JobInfo };
  /** Reads an encoder folder (config, preprocessor, model file) and lets feature configs name it this session. */
  'encoders.open': { args: { dir: string }; result: EncoderSummary };

  'training.options': { args: Record<string, never>; result: TrainingOptions };
  /** Checks a configuration without starting anything: the resolved config or the reason it is invalid. */
  'training.validate': {
    args: { config: TrainingOverrides; features?: FeatureOverrides };
    result: { ok: true; config: TrainingConfig; features: FeatureConfig } | { ok: false; error: string };
  };
  'training.start': { args: TrainingStartArgs; result: JobInfo };
  /** The split a config would make of the dataset: clips per part and class, and warnings. */
  'training.splitPreview': { args: { root: string; scheme?: SchemeChoice; config: TrainingOverrides }; result: SplitCounts };

  'jobs.list': { args: Record<string, never>; result: JobInfo[] };
  'jobs.cancel': { args: { jobId: string }; result: JobInfo };

  'runs.list': { args: Record<string, never>; result: RunSummary[] };
  'runs.get': { args: { runId: string }; result: RunDetail };
  'runs.rename': { args: { runId: string; name: string }; result: RunSummary };
  'runs.delete': { args: { runId: string }; result: { ok: true } };
  /** Writes metrics JSON, the per-class, confusion and per-clip CSVs and the confusion-matrix PNG (drawn by the engine) into the run's exports/. */
  'runs.export': { args: CheckpointRef; result: ExportedReport };
  /** Writes the checkpoint as ONNX into `<run>/exports/onnx-<checkpoint>/`; an existing export is refused unless `force`. */
  'runs.exportOnnx': { args: CheckpointRef & { force?: boolean }; result: OnnxExportSummary };
  /** Lists runs of another folder from now on (e.g. one copied from a GPU server). */
  'runs.setFolder': { args: { dir: string }; result: { runsDir: string } };

  /** The stored test-split evaluation of a checkpoint, computed (and stored) when missing. */
  'evaluation.get': { args: CheckpointRef; result: EvaluationReport };
  'evaluation.compare': { args: { a: CheckpointRef; b: CheckpointRef }; result: Comparison };

  /**
   * `encoderDir`: where the checkpoint's encoder folder is now, chosen this session (encoders.open);
   * without it, a missing or changed encoder folder is refused with code `encoder-needed`.
   */
  'predict.files': { args: CheckpointRef & { files: PredictInput[]; encoderDir?: string }; result: PredictionBatch };

  /**
   * Starts a live session with the checkpoint, for mono samples at `sampleRate` (ends any session
   * before it). The settings are the listen field table's (main/schema/listenFields.ts);
   * `encoderDir` as predict.files takes it.
   */
  'listen.start': {
    args: CheckpointRef & { sampleRate: number; settings?: Partial<ListenSettings>; encoderDir?: string };
    result: ListenSessionInfo;
  };
  /** The next samples, mono 16-bit little-endian PCM as base64: the windows they complete. */
  'listen.push': { args: { sessionId: string; pcm16Base64: string }; result: ListenPushResult };
  /** Stops classifying; the recording stays until saved or the next session starts. */
  'listen.stop': { args: { sessionId: string }; result: ListenStopResult };
  /** Saves the session's recording as a WAV file in the app's uploads folder (readable by clip.view and predict.files). */
  'listen.save': { args: { sessionId: string }; result: { path: string; durationS: number } };

  /** Studies in the runs folder (the folder itself, its subfolders, the study it is the runs/ of) and those opened. */
  'studies.list': { args: Record<string, never>; result: StudyListEntry[] };
  /** Adds a study folder made elsewhere (CLI, a cluster) to the list. */
  'studies.open': { args: { dir: string }; result: StudyListEntry };
  /** `with`: other studies on the same dataset and folds whose cells join the report (a baseline to compare with). */
  'studies.get': { args: { dir: string; checkpoint?: 'best' | 'final'; with?: string[] } & StudyTableOptions; result: StudyDetail };
  /** The members' states and who runs the study, without the report (cheap: the view polls it). */
  'studies.status': { args: { dir: string }; result: StudyStatusView };
  'studies.create': { args: StudyCreateArgs; result: StudyListEntry };
  /** Runs the unfinished members here, `parallel` at a time, as a job ('studies.event', then 'job.finished'). */
  'studies.run': { args: { dir: string; parallel?: number }; result: JobInfo };
  /** One member's stored test evaluation (its fold's checkpoint): the clips for the pooled matrix's drill-down. */
  'studies.memberEvaluation': { args: { dir: string; memberId: string; checkpoint?: 'best' | 'final' }; result: EvaluationReport };
  /** One member's run (its epochs draw the overlaid curves of chosen members). */
  'studies.member': { args: { dir: string; memberId: string }; result: RunDetail };
  /** The results table as CSV (the same as `study report --csv`). */
  'studies.exportCsv': { args: { dir: string; checkpoint?: 'best' | 'final' }; result: { csv: string; fileName: string } };
  /**
   * One fold of a fusion (`c1+c3`, or one cell with `seedsAveraged` for its seed ensemble) saved as a
   * fused run in the runs folder: its best checkpoint averages the members', its evaluation their
   * test predictions. Runs, Evaluate and Predict take it like any run.
   */
  'studies.saveFusedRun': {
    args: { dir: string; fuse: string; fold: number; seed?: number; seedsAveraged?: boolean; checkpoint?: 'best' | 'final' };
    result: { runId: string; name: string };
  };
  /** The comparison table (cells, fusions, tests against the baseline) as CSV or LaTeX, like `study report --csv/--latex`. */
  'studies.exportTable': {
    args: { dir: string; checkpoint?: 'best' | 'final'; with?: string[]; format: 'csv' | 'latex' } & StudyTableOptions;
    result: { text: string; fileName: string };
  };
}

export type RequestName = keyof ApiRequests;
export type RequestArgs<N extends RequestName> = ApiRequests[N]['args'];
export type RequestResult<N extends RequestName> = ApiRequests[N]['result'];

// ---------------------------------------------------------------------------------------------
// The events (main → UI)

export interface ApiEvents {
  log: { level: 'info' | 'warn' | 'error'; message: string; time: number };
  'features.progress': { jobId: string; root: string; progress: ExtractionProgress };
  'training.event': { jobId: string; event: TrainingEvent };
  /** A study job's progress. */
  'studies.event': { jobId: string; dir: string; event: StudyRunEvent };
  /** A job ended (done, failed or cancelled); `result` for extraction, `outcome` for training, `study` for a study. */
  'job.finished': { job: JobInfo; result?: ExtractionResult; outcome?: TrainingOutcome; study?: StudyRunResult };
  /** The run list changed (a run was created, renamed, deleted or finished). */
  'runs.changed': { runId?: string };
  /** Audio files were opened with the app from the OS: take them with 'app.openedFiles'. */
  'files.opened': { count: number };
}
export type EventName = keyof ApiEvents;

/** What `window.api` offers in the renderer (exposed by the preload, or the serve-mode bridge). */
export interface WorkbenchApi {
  invoke<N extends RequestName>(name: N, args: RequestArgs<N>): Promise<RequestResult<N>>;
  on<E extends EventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void;
}

/** Errors crossing the boundary keep a stable code and a message meant for the user. */
export interface ApiErrorPayload {
  code: ApiErrorCode;
  message: string;
}

export { IPC_EVENT_CHANNEL, IPC_INVOKE_CHANNEL, SERVE_SOCKET_PATH, SERVE_TOKEN_PARAM } from '../schema/channels';

/** Messages on the serve-mode socket. */
export type SocketRequest = { id: number; name: string; args: unknown };
export type SocketMessage =
  { id: number; ok: true; value: unknown } | { id: number; ok: false; error: ApiErrorPayload } | { event: EventName; payload: unknown };
