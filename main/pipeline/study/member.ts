/**
 * Running one member (what one Slurm array task or one local process does): its run folder is
 * `<study>/runs/<member id>`; a finished member is skipped, an interrupted or failed one is
 * removed and trained again.
 */
import { constants, promises as fsp } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { BackendName } from '../../compute/backend';
import { datasetFingerprint, scanDataset } from '../../dataset';
import { deleteRun, openRun } from '../../runs/store';
import { RUN_FILE } from '../../schema/files';
import { pathExists, readJson, writeJsonAtomic } from '../../util/fs';
import { runTrainingJob, type TrainingEvent } from '../job';
import { readStudy, type StudyFile } from './format';
import { cellLabel } from './grid';
import { memberAt, memberConfig, memberFeatureConfig, type StudyMember } from './members';
import { studyCacheRoot, studyFailuresDir, studyRunsDir } from './paths';

export interface RunMemberOptions {
  /** Compute threads for this member (see initBackend); default: all cores, at most 8. */
  threads?: number;
  backend?: BackendName | 'auto';
  signal?: AbortSignal;
  onEvent?: (event: TrainingEvent) => void;
}

/** What a member that failed before it had a run folder leaves behind. */
export interface MemberFailure {
  error: string;
  at: string;
  host: string;
}

const failurePath = (studyDir: string, id: string) => join(studyFailuresDir(studyDir), `${id}.json`);

export async function readMemberFailure(studyDir: string, id: string): Promise<MemberFailure | null> {
  return readJson<MemberFailure>(failurePath(studyDir, id)).catch(() => null);
}

export interface MemberOutcome {
  member: StudyMember;
  runDir: string;
  /** 'skipped': it had already finished. */
  status: 'done' | 'skipped' | 'cancelled';
}

/** Fails with one sentence when the study folder cannot be written from this host. */
export async function assertStudyWritable(dir: string): Promise<void> {
  const stat = await fsp.stat(dir).catch(() => null);
  // Inside a Slurm job a missing folder means this node does not mount it.
  const onNode = process.env.SLURM_JOB_ID ? ` on host ${hostname()}: put the study on a filesystem every node can see` : '';
  if (stat === null) throw new Error(`the study folder ${dir} does not exist${onNode}`);
  if (!stat.isDirectory()) throw new Error(`${dir} is not a study folder: it is a file`);
  try {
    await fsp.access(dir, constants.W_OK);
  } catch {
    throw new Error(`the study folder ${dir} is not writable from host ${hostname()}: put the study on a filesystem every node can write`);
  }
}

export async function runStudyMember(dir: string, index: number, options: RunMemberOptions = {}): Promise<MemberOutcome> {
  const studyDir = resolve(dir);
  await assertStudyWritable(studyDir);
  const study = await readStudy(studyDir);
  const member = memberAt(study, index);
  const runsDir = studyRunsDir(studyDir);
  const runDir = join(runsDir, member.id);
  if (await pathExists(join(runDir, RUN_FILE))) {
    const opened = await openRun(runDir);
    if (opened.live)
      throw new Error(`member ${index} (${member.id}) is already running (pid ${opened.lock?.pid} on ${opened.lock?.hostname})`);
    if (opened.record.status === 'done') return { member, runDir, status: 'skipped' };
    await deleteRun(runsDir, member.id);
  } else if (await pathExists(runDir)) {
    // A folder without run.json: a member that died before it started writing.
    await fsp.rm(runDir, { recursive: true, force: true });
  }
  await fsp.rm(failurePath(studyDir, member.id), { force: true });
  let result;
  try {
    await checkDataset(study);
    result = await trainMember(studyDir, study, member, options);
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    if (!(await pathExists(join(runDir, RUN_FILE)))) {
      await writeJsonAtomic(failurePath(studyDir, member.id), {
        error,
        at: new Date().toISOString(),
        host: hostname(),
      } satisfies MemberFailure).catch(() => undefined);
    }
    throw err;
  }
  if (result.status === 'done') return { member, runDir, status: 'done' };
  if (result.status === 'cancelled') return { member, runDir, status: 'cancelled' };
  throw new Error(`member ${index} (${member.id}) ended with status ${result.status}`);
}

function trainMember(studyDir: string, study: StudyFile, member: StudyMember, options: RunMemberOptions) {
  return runTrainingJob({
    datasetRoot: study.dataset.root,
    scheme: study.dataset.scheme,
    config: memberConfig(study, member),
    featureConfig: memberFeatureConfig(study, member),
    runsDir: studyRunsDir(studyDir),
    runId: member.id,
    cacheRoot: studyCacheRoot(studyDir, study),
    backend: options.backend ?? study.backend,
    threads: options.threads,
    name: `${study.name} · ${cellLabel(member.overrides)} · seed ${member.seed} · fold ${member.fold + 1}`,
    signal: options.signal,
    onEvent: options.onEvent,
  });
}

async function checkDataset(study: StudyFile): Promise<void> {
  const scan = await scanDataset(study.dataset.root, { scheme: study.dataset.scheme });
  const fingerprint = datasetFingerprint(scan);
  if (fingerprint !== study.dataset.fingerprint) {
    throw new Error(
      `the dataset at ${study.dataset.root} changed since the study was created (${scan.clips.length} clips now, ${study.dataset.clips} then): its folds no longer hold; make a new study`,
    );
  }
}
