/**
 * Long jobs behind the UI: feature extraction (worker pool) and training (a worker thread). Each
 * has an id, streams its progress as contract events, can be cancelled, and ends with exactly one
 * 'job.finished' event. One training or study job runs at a time (it uses every core).
 */
import { randomUUID } from 'node:crypto';
import { scanDataset, type SchemeName } from '../dataset';
import { resolveFeatureConfig, type FeatureConfig } from '../features/config';
import { extractFeatures } from '../features/extract';
import { resolveTrainingConfig, type TrainingConfig } from '../training/config';
import { trainingInputProblem } from '../schema/names';
import { runTrainingInWorker } from '../pipeline/remote';
import { runStudyLocal, type MemberLauncher } from '../pipeline/study';
import type { ApiEvents, EventName, ExtractionResult, JobInfo, JobKind, StudyRunResult, TrainingOutcome } from './contract';
import { ApiError } from './validate';
import type { Workspace } from './workspace';

export type Emit = <E extends EventName>(event: E, payload: ApiEvents[E]) => void;

interface Job {
  info: JobInfo;
  controller: AbortController;
  done: Promise<void>;
}

export class JobManager {
  private readonly jobs = new Map<string, Job>();

  constructor(
    private readonly workspace: Workspace,
    private readonly emit: Emit,
  ) {}

  list(): JobInfo[] {
    return [...this.jobs.values()].map((job) => ({ ...job.info }));
  }

  get(jobId: string): JobInfo {
    const job = this.jobs.get(jobId);
    if (!job) throw new ApiError('not-found', `no job ${jobId}`);
    return { ...job.info };
  }

  /** True while a training or study job runs (the shell asks before closing the window). */
  trainingRunning(): boolean {
    return [...this.jobs.values()].some(
      (job) => (job.info.kind === 'training' || job.info.kind === 'study') && job.info.state === 'running',
    );
  }

  cancel(jobId: string): JobInfo {
    const job = this.jobs.get(jobId);
    if (!job) throw new ApiError('not-found', `no job ${jobId}`);
    if (job.info.state === 'running') job.controller.abort();
    return { ...job.info };
  }

  /** Resolves when every job has ended (tests, and the shell before quitting). */
  async settle(): Promise<void> {
    await Promise.all([...this.jobs.values()].map((job) => job.done));
  }

  cancelAll(): void {
    for (const job of this.jobs.values()) if (job.info.state === 'running') job.controller.abort();
  }

  startFeatures(root: string, scheme: SchemeName | 'auto', featureConfig: FeatureConfig = resolveFeatureConfig()): JobInfo {
    const running = [...this.jobs.values()].find(
      (job) => job.info.kind === 'features' && job.info.root === root && job.info.state === 'running',
    );
    if (running) return { ...running.info };
    return this.start('features', root, async (job) => {
      const scan = await scanDataset(root, { scheme });
      const features = await extractFeatures(scan, featureConfig, {
        cacheRoot: this.workspace.cacheDir,
        signal: job.controller.signal,
        onProgress: (progress) => this.emit('features.progress', { jobId: job.info.jobId, root, progress }),
        onLog: (line) => this.emit('log', { level: 'warn', message: line, time: Date.now() }),
      });
      const result: ExtractionResult = {
        root,
        clips: features.clips.length,
        fromCache: features.stats.fromCache,
        computed: features.stats.computed,
        failed: features.failed,
        elapsedMs: features.stats.elapsedMs,
        cancelled: features.cancelled,
      };
      return { state: features.cancelled ? 'cancelled' : 'done', result };
    });
  }

  /** `overrides` is untrusted (a request's JSON): the engine's resolver checks every field. */
  startTraining(
    root: string,
    scheme: SchemeName | 'auto',
    overrides: unknown,
    options: { name?: string; features?: FeatureConfig } = {},
  ): JobInfo {
    let config: TrainingConfig;
    try {
      config = resolveTrainingConfig(overrides);
    } catch (err) {
      throw new ApiError('invalid-arguments', err instanceof Error ? err.message : String(err));
    }
    const features = options.features ?? resolveFeatureConfig();
    const inputProblem = trainingInputProblem(config, features);
    if (inputProblem) throw new ApiError('invalid-arguments', inputProblem);
    if (this.trainingRunning()) throw new ApiError('busy', 'a training or study job is already running: wait for it or cancel it first');
    return this.start('training', root, async (job) => {
      const outcome: TrainingOutcome = await runTrainingInWorker(
        {
          datasetRoot: root,
          scheme,
          config,
          featureConfig: options.features,
          runsDir: this.workspace.runsDir,
          cacheRoot: this.workspace.cacheDir,
          backend: this.workspace.backendPreference,
          name: options.name,
        },
        {
          signal: job.controller.signal,
          onEvent: (event) => {
            if (event.type === 'run') {
              job.info.runId = event.runId;
              this.emit('runs.changed', { runId: event.runId });
            }
            this.emit('training.event', { jobId: job.info.jobId, event });
          },
        },
      );
      this.emit('runs.changed', { runId: outcome.runId });
      return { state: outcome.status === 'cancelled' ? 'cancelled' : 'done', outcome };
    });
  }

  /** Runs a study's unfinished members here; cancelling stops them after their batch (they rerun next time). */
  startStudy(dir: string, parallel: number, launcher: MemberLauncher): JobInfo {
    if (this.trainingRunning()) throw new ApiError('busy', 'a training or study job is already running: wait for it or cancel it first');
    return this.start('study', dir, async (job) => {
      const study = await runStudyLocal(dir, {
        parallel,
        launcher,
        signal: job.controller.signal,
        onEvent: (event) => {
          this.emit('studies.event', { jobId: job.info.jobId, dir, event });
          if (event.type === 'member-start' || event.type === 'member-end') this.emit('runs.changed', { runId: event.member.id });
        },
      });
      return { state: study.cancelled ? 'cancelled' : 'done', study };
    });
  }

  private start(
    kind: JobKind,
    root: string,
    work: (job: Job) => Promise<{ state: JobInfo['state']; result?: ExtractionResult; outcome?: TrainingOutcome; study?: StudyRunResult }>,
  ): JobInfo {
    const info: JobInfo = { jobId: randomUUID(), kind, state: 'running', root, startedAt: new Date().toISOString() };
    const job: Job = { info, controller: new AbortController(), done: Promise.resolve() };
    this.jobs.set(info.jobId, job);
    job.done = (async () => {
      try {
        const ended = await work(job);
        info.state = ended.state;
        this.emit('job.finished', { job: { ...info }, result: ended.result, outcome: ended.outcome, study: ended.study });
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        info.state = job.controller.signal.aborted ? 'cancelled' : 'failed';
        info.error = message;
        this.emit('log', { level: info.state === 'failed' ? 'error' : 'info', message: `${kind} job: ${message}`, time: Date.now() });
        this.emit('job.finished', { job: { ...info } });
        if (kind === 'training') this.emit('runs.changed', { runId: info.runId });
      }
    })();
    return { ...info };
  }
}
