/** The studies area: creating, running, opening and reporting studies, and their members. */
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { readEvaluation } from '../../evaluation/file';
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
  type StudyFile,
} from '../../pipeline/study';
import { studyMemberLauncher } from '../../pipeline/study/memberProcess';
import { studyRunsDir } from '../../pipeline/study/paths';
import { RUN_FILE } from '../../schema/files';
import { resolveTrainingConfig } from '../../training/config';
import { checkStudySize, gridCellCount, MAX_GRID_FIELDS, MAX_STUDY_PARALLEL } from '../../schema/studyLimits';
import type { ArgsOf, ArgSpec } from '../args';
import { warmUpClipViews } from '../clipView';
import type { StudyListEntry } from '../contract';
import { ApiError } from '../validate';
import { request, SCHEME_FIELD, type AreaTable } from './engine';
import { runDetail } from './runs';

/** A study the session lists, by its folder. */
const STUDY_DIR = { dir: { kind: 'path', confine: 'study' } } as const satisfies ArgSpec;

const STUDY_CHECKPOINT = { kind: 'enum', values: ['best', 'final'], optional: true } as const;

const CELL = 'c[1-9]\\d{0,3}';

/** The comparison table's options: the checkpoint, other studies (`with`), fusions (`c1+c3`), seed ensembles, the baseline row. */
const TABLE_ARGS = {
  ...STUDY_DIR,
  checkpoint: STUDY_CHECKPOINT,
  with: { kind: 'list', of: { kind: 'path', confine: 'study' }, maxItems: 8, optional: true },
  fuse: { kind: 'list', of: { kind: 'string', maxLength: 200 }, maxItems: 16, optional: true },
  ensembleSeeds: { kind: 'boolean', optional: true },
  baseline: { kind: 'string', pattern: /^[cf][1-9]\d{0,3}$/, shape: 'a row like c1 or f2', optional: true },
} as const satisfies ArgSpec;

/** A study's report with the request's table options; the study's own parsers read the fusions. */
async function reportOf(request: string, args: ArgsOf<typeof TABLE_ARGS>) {
  const withDirs = args.with ?? [];
  try {
    return await studyReport(args.dir, {
      checkpoint: args.checkpoint ?? 'best',
      with: withDirs,
      fuse: (args.fuse ?? []).map(parseFusion),
      ensembleSeeds: args.ensembleSeeds,
      baseline: args.baseline,
    });
  } catch (err) {
    // Folds or datasets that differ, cells that do not exist or cannot be fused: the request's fault, not the engine's.
    if (err instanceof ReportOptionError || (withDirs.length > 0 && /^cannot compare /.test((err as Error).message)))
      throw new ApiError('invalid-arguments', `${request}: ${(err as Error).message}`);
    throw err;
  }
}

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

/** Errors of the study's own parsers and limits are the request's fault. */
function asArgumentError(request: string, err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return new ApiError('invalid-arguments', `${request}: ${err instanceof Error ? err.message : String(err)}`);
}

export const studyRequests: AreaTable<
  | 'studies.list'
  | 'studies.open'
  | 'studies.get'
  | 'studies.saveFusedRun'
  | 'studies.exportTable'
  | 'studies.status'
  | 'studies.create'
  | 'studies.run'
  | 'studies.memberEvaluation'
  | 'studies.member'
  | 'studies.exportCsv'
> = {
  'studies.list': request({}, async ({ workspace }) => {
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
  }),

  // The folder becomes a listed study once its study.json reads; its real path is the one listed.
  'studies.open': request({ dir: { kind: 'path', exists: 'folder' } }, async ({ workspace }, { dir }) => {
    const study = await readStudy(dir);
    workspace.allowStudy(dir);
    return studyEntry(workspace.confineStudy(dir, 'studies.open'), study);
  }),

  'studies.get': request(TABLE_ARGS, async (_engine, args) => ({
    status: await studyStatus(args.dir),
    report: await reportOf('studies.get', args),
  })),

  'studies.saveFusedRun': request(
    {
      ...STUDY_DIR,
      fuse: {
        kind: 'string',
        // Distinct cells joined by '+' (the lookahead refuses a cell named twice).
        pattern: new RegExp(`^(?!.*\\b(c\\d+)\\b.*\\b\\1\\b)\\s*${CELL}\\s*(\\+\\s*${CELL}\\s*)*$`),
        shape: 'distinct cells like c1+c3',
      },
      fold: { kind: 'integer', min: 1 },
      seed: { kind: 'integer', min: 0, optional: true },
      seedsAveraged: { kind: 'boolean', optional: true },
      checkpoint: STUDY_CHECKPOINT,
    },
    async ({ ctx, workspace }, args) => {
      await workspace.ensureFolders();
      let record;
      try {
        record = await saveStudyFusedRun(args.dir, {
          cells: args.fuse.split('+').map((key) => key.trim()),
          fold: args.fold - 1,
          seed: args.seed,
          seedsAveraged: args.seedsAveraged,
          checkpoint: args.checkpoint ?? 'best',
          runsDir: workspace.runsDir,
        });
      } catch (err) {
        throw new ApiError('invalid-arguments', `studies.saveFusedRun: ${(err as Error).message}`);
      }
      ctx.emit('runs.changed', { runId: record.id });
      return { runId: record.id, name: record.name };
    },
  ),

  'studies.exportTable': request({ ...TABLE_ARGS, format: { kind: 'enum', values: ['csv', 'latex'] } }, async (_engine, args) => {
    const report = await reportOf('studies.exportTable', args);
    const text = args.format === 'csv' ? studyReportCsv(report) : studyReportLatex(report);
    const extension = args.format === 'csv' ? 'csv' : 'tex';
    return { text, fileName: `${basename(args.dir)}-${report.study.checkpoint}-table.${extension}` };
  }),

  'studies.status': request(STUDY_DIR, async (_engine, { dir }) => studyStatus(dir)),

  'studies.create': request(
    {
      name: { kind: 'runId' },
      root: { kind: 'path', exists: 'folder', confine: 'opened' },
      config: {
        kind: 'object',
        without: ['seed', 'split'],
        because: "a study sets them per member (use 'seeds' and 'protocol')",
      },
      seeds: { kind: 'list', of: { kind: 'integer', min: 0 }, minItems: 1, maxItems: 100, unique: 'seed' },
      features: { kind: 'features' },
      grid: {
        kind: 'list',
        maxItems: MAX_GRID_FIELDS,
        of: {
          kind: 'record',
          fields: { field: { kind: 'string' }, values: { kind: 'list', of: { kind: 'string' }, minItems: 1, maxItems: 1000 } },
        },
      },
      protocol: { kind: 'string' },
      testSpeakers: { kind: 'list', of: { kind: 'string' }, maxItems: 1000, optional: true },
      valSpeakers: { kind: 'list', of: { kind: 'string' }, maxItems: 1000, optional: true },
      scheme: SCHEME_FIELD,
    },
    async ({ ctx, workspace }, args) => {
      const request = 'studies.create';
      let config;
      let protocol;
      let grid;
      try {
        config = resolveTrainingConfig(args.config);
        protocol = parseProtocol(args.protocol, { test: args.testSpeakers, val: args.valSpeakers });
        grid = args.grid.map((axis) => parseGridOption(`${axis.field}=${axis.values.join(',')}`));
        // Refused by counting, before a cell is enumerated (LOSO's folds are known after the scan: at least one).
        const folds = protocol.kind === 'kfold' ? protocol.k : protocol.kind === 'fixed' ? 1 : undefined;
        checkStudySize({ gridValues: grid.map((axis) => axis.values.length), seeds: args.seeds.length, folds });
      } catch (err) {
        throw asArgumentError(request, err);
      }
      await workspace.ensureFolders();
      const dir = join(workspace.runsDir, args.name);
      if (existsSync(dir)) throw new ApiError('invalid-arguments', `${request}: ${dir} already exists: choose another study name`);
      const study = await createStudy(dir, {
        datasetRoot: args.root,
        scheme: args.scheme ?? 'auto',
        protocol,
        training: config,
        features: args.features,
        seeds: args.seeds,
        grid,
        name: args.name,
        backend: workspace.backendPreference,
      });
      ctx.emit('runs.changed', {});
      return studyEntry(workspace.confineStudy(dir, request), study);
    },
  ),

  'studies.run': request(
    { ...STUDY_DIR, parallel: { kind: 'integer', min: 1, max: MAX_STUDY_PARALLEL, optional: true } },
    async ({ ctx, jobs }, { dir, parallel }) => {
      // The job takes the study's lock; a run already holding it is refused here, with its holder named.
      const runner = await studyRunner(dir);
      if (runner) throw new ApiError('busy', `studies.run: ${new StudyBusyError(dir, runner).message}`);
      return jobs.startStudy(dir, parallel ?? 1, ctx.memberLauncher ?? studyMemberLauncher());
    },
  ),

  'studies.memberEvaluation': request(
    { ...STUDY_DIR, memberId: { kind: 'runId' }, checkpoint: STUDY_CHECKPOINT },
    async ({ workspace }, args) => {
      warmUpClipViews();
      const checkpoint = args.checkpoint ?? 'best';
      const report = await readEvaluation(join(studyRunsDir(args.dir), args.memberId), checkpoint);
      if (!report)
        throw new ApiError(
          'not-found',
          `studies.memberEvaluation: member ${args.memberId} has no ${checkpoint} evaluation (it has not finished)`,
        );
      const study = await readStudy(args.dir);
      workspace.allowStudyClips(
        study.dataset.root,
        report.predictions.map((p) => p.path),
      );
      return report;
    },
  ),

  'studies.member': request({ ...STUDY_DIR, memberId: { kind: 'runId' } }, async (_engine, { dir, memberId }) => {
    const memberDir = join(studyRunsDir(dir), memberId);
    if (!existsSync(join(memberDir, RUN_FILE)))
      throw new ApiError('not-found', `studies.member: member ${memberId} has not started (no run folder in ${studyRunsDir(dir)})`);
    return runDetail(memberDir);
  }),

  'studies.exportCsv': request({ ...STUDY_DIR, checkpoint: STUDY_CHECKPOINT }, async (_engine, { dir, checkpoint = 'best' }) => {
    const csv = studyReportCsv(await studyReport(dir, { checkpoint }));
    return { csv, fileName: `${basename(dir)}-${checkpoint}.csv` };
  }),
};
