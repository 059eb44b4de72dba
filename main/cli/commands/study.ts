import { writeFileAtomic } from '../../util/fs';
import { resolve } from 'node:path';
import { ENSEMBLE_SEED } from '../../evaluation/fusion';
import type { CrossValidationSummary } from '../../evaluation/pooled';
import { describeFeatureConfig } from '../../features/config';
import { percent1, pText, type StudyTable } from '../../pipeline/study/table';
import {
  createStudy,
  describeRunner,
  parseGridOption,
  parseProtocol,
  protocolLabel,
  runStudyLocal,
  studyMembers,
  parseFusion,
  studyReport,
  studyReportCsv,
  studyReportLatex,
  studyStatus,
  submitStudySlurm,
  waitForStudy,
  type FusedCellReport,
  type StudyReport,
  type StudyStatus,
} from '../../pipeline/study';
import {
  CliError,
  PartialFailure,
  parseBackendOption,
  parseChoice,
  parseCommandArgs,
  parseListOption,
  parseNumberOption,
  parseSchemeOption,
  printJson,
  requirePositional,
} from '../args';
import { runMemberProcess, studyMemberLauncher } from '../../pipeline/study/memberProcess';
import { createProgressBar, formatDuration } from '../progress';
import { checkStudySize, MAX_STUDY_PARALLEL } from '../../schema/studyLimits';
import { TRAINING_FLAG_OPTIONS, trainingFlagsToConfig } from './train';

export const studyUsage = [
  'study init DIR --data DATASET --protocol loso|kfold:K|fixed [--seeds 1,2,3] [--grid field=v1,v2 …] [--val-ratio 0.1] [--split-seed 1] [--test-speakers a,b --val-speakers c (fixed)] [--name N] [--cache-dir D] [--backend B] [--scheme S] [any train flag]',
  '  ser study run DIR [--executor local|slurm] [--parallel N] [--cores N] [--partition P --time HH:MM:SS --cpus-per-task N --mem SIZE] [--no-wait]',
  '      local: N member processes at once, each with floor(cores / N) compute threads (wasm XNNPACK + BLAS, given to each member process);',
  '        default N: one 1-thread member per core (as many as memory holds at 1.5 GiB each): measured on 2 cores, two 1-thread members train 1.2–1.4× faster than one 2-thread member',
  '      slurm: writes DIR/slurm/array.sbatch (--array=…%N, logs in DIR/slurm/logs), submits it with sbatch and follows it (threads = --cpus-per-task)',
  '      exits 0 when every member is done, 2 when some are and others failed or were stopped, 1 when none is',
  '  ser study status DIR [--json]',
  '  ser study report DIR [--with OTHER_DIR …] [--fuse c1+c3 …] [--ensemble-seeds] [--baseline c1] [--json] [--csv FILE] [--latex FILE] [--checkpoint best|final]',
  '      --with: other studies on the same dataset and folds (e.g. a baseline) join the report; every pair of cells is compared',
  '      --fuse: a derived cell averaging the class probabilities of the named cells (numbers as listed: c1, c2, …), fold by fold',
  '      --ensemble-seeds: adds each cell’s seed ensemble, and fuses seed ensembles instead of seed by seed',
  '      --baseline: the row (c1, f1, …) the table tests every other row against (default: the first with results)',
  '  ser study member DIR INDEX [--threads N] [--backend B]   (runs one member here, as each member process does)',
].join('\n');

function stopOnCtrlC(what: string): { signal: AbortSignal; kill: AbortSignal; dispose(): void } {
  const graceful = new AbortController();
  const hard = new AbortController();
  const onSigint = () => {
    if (graceful.signal.aborted) {
      hard.abort();
      process.stderr.write('\nstopping now; interrupted members are rerun next time\n');
      return;
    }
    process.stderr.write(`\n${what} (Ctrl-C again to stop at once)…\n`);
    graceful.abort();
  };
  process.on('SIGINT', onSigint);
  return { signal: graceful.signal, kill: hard.signal, dispose: () => process.off('SIGINT', onSigint) };
}

const pct = (x: number | undefined) => (x === undefined ? '   -  ' : x.toFixed(3));

async function initCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs(argv, {
    ...TRAINING_FLAG_OPTIONS,
    data: { type: 'string' },
    protocol: { type: 'string' },
    seeds: { type: 'string' },
    grid: { type: 'string', multiple: true },
    'split-seed': { type: 'string' },
    name: { type: 'string' },
    'cache-dir': { type: 'string' },
    backend: { type: 'string' },
    scheme: { type: 'string' },
  });
  const dir = resolve(requirePositional(positionals, 0, 'study folder (study init DIR)'));
  // The training flags come from the field table, so their names are not known to the type checker.
  const flags = values as Record<string, string | boolean | string[] | undefined>;
  const text = (name: string): string | undefined => (typeof flags[name] === 'string' ? (flags[name] as string) : undefined);
  if (!values.data) throw new CliError('missing --data DATASET (the dataset folder)');
  if (!values.protocol) throw new CliError('missing --protocol loso|kfold:K|fixed');
  if (flags.seed !== undefined) throw new CliError('a study has a list of seeds: use --seeds 1,2,3 instead of --seed');
  if (flags.split !== undefined) throw new CliError('the protocol decides the splits: --split does not apply to a study');
  const { config, featureConfig } = trainingFlagsToConfig({ ...values, 'test-speakers': undefined, 'val-speakers': undefined });
  const seeds = (parseListOption(values.seeds) ?? ['1']).map((s) => parseNumberOption(s, 'seeds', { integer: true, min: 0 })!);
  let protocol;
  let grid;
  try {
    protocol = parseProtocol(values.protocol, { test: parseListOption(text('test-speakers')), val: parseListOption(text('val-speakers')) });
    grid = (values.grid ?? []).map((option) => parseGridOption(option));
    // Counted before the dataset is read (LOSO's folds are known after the scan: at least one).
    const folds = protocol.kind === 'kfold' ? protocol.k : protocol.kind === 'fixed' ? 1 : undefined;
    checkStudySize({ gridValues: grid.map((axis) => axis.values.length), seeds: seeds.length, folds });
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  if (protocol.kind !== 'fixed' && (text('test-speakers') || text('val-speakers'))) {
    throw new CliError('--test-speakers/--val-speakers go with --protocol fixed; loso and kfold choose them per fold');
  }
  const study = await createStudy(dir, {
    datasetRoot: resolve(values.data),
    scheme: parseSchemeOption(values.scheme),
    protocol,
    training: config,
    features: featureConfig,
    seeds,
    grid,
    valRatio: parseNumberOption(text('val-ratio'), 'val-ratio', { min: 0, max: 0.9 }),
    splitSeed: parseNumberOption(values['split-seed'], 'split-seed', { integer: true, min: 0 }),
    name: values.name,
    cacheDir: values['cache-dir'],
    backend: parseBackendOption(values.backend),
    onLog: (line) => process.stdout.write(`${line}\n`),
  });
  const members = studyMembers(study);
  const cells = members.length / (study.seeds.length * study.folds.length);
  process.stdout.write(
    `study ${study.name}: ${study.dataset.clips} clips, ${study.dataset.speakers} speakers, protocol ${protocolLabel(study.protocol)}\n` +
      `features: ${describeFeatureConfig(study.features)}\n` +
      `${members.length} members = ${cells} grid cell${cells === 1 ? '' : 's'} × ${study.seeds.length} seed${study.seeds.length === 1 ? '' : 's'} × ${study.folds.length} fold${study.folds.length === 1 ? '' : 's'}\n` +
      study.folds.map((f, i) => `  fold ${i + 1}: test ${f.test.join(' ')} | validation ${f.val.join(' ') || '(none)'}\n`).join('') +
      (study.excluded ?? []).map((e) => `left out: ${e.cell}: ${e.reason}\n`).join('') +
      `${dir}\n`,
  );
}

function printStatus(status: StudyStatus): void {
  const c = status.counts;
  process.stdout.write(
    `study ${status.name} (${status.protocol}, ${status.folds} folds, seeds ${status.seeds.join(',')}, ${status.cells} cells): ` +
      `${c.done} done, ${c.running} running, ${c.queued} queued, ${c.pending} pending, ${c.failed} failed, ${c.interrupted} interrupted\n`,
  );
  for (const m of status.members) {
    const epochs = m.epoch !== undefined ? ` epoch ${m.epoch}/${m.epochs}` : '';
    const slurm = m.slurm ? ` [slurm ${m.slurm.jobId}_${m.index} ${m.slurm.state}]` : '';
    process.stdout.write(
      `  ${String(m.index).padStart(3)} ${m.id.padEnd(12)} ${m.state.padEnd(11)}${epochs}  ${m.cellLabel}, seed ${m.seed}, fold ${m.fold + 1}${slurm}${m.reason ? ` — ${m.reason}` : ''}\n`,
    );
  }
  for (const problem of status.problems) process.stdout.write(`note: ${problem}\n`);
  if (status.runner) process.stdout.write(`being run by ${describeRunner(status.runner)}\n`);
}

async function runCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs(argv, {
    executor: { type: 'string' },
    parallel: { type: 'string' },
    cores: { type: 'string' },
    partition: { type: 'string' },
    time: { type: 'string' },
    'cpus-per-task': { type: 'string' },
    mem: { type: 'string' },
    'no-wait': { type: 'boolean' },
  });
  const dir = resolve(requirePositional(positionals, 0, 'study folder (study run DIR)'));
  const executor = parseChoice(values.executor, 'executor', ['local', 'slurm'] as const) ?? 'local';
  const parallel = parseNumberOption(values.parallel, 'parallel', { integer: true, min: 1, max: MAX_STUDY_PARALLEL });
  const launcher = studyMemberLauncher();
  const featureBar = createProgressBar('features');
  if (executor === 'slurm') {
    if (values.time !== undefined && !/^(\d+-)?\d+(:\d{1,2}){0,2}$/.test(values.time))
      throw new CliError(`--time must look like HH:MM:SS (or D-HH:MM:SS), got '${values.time}'`);
    if (values.mem !== undefined && !/^\d+[KMGT]?$/i.test(values.mem))
      throw new CliError(`--mem must be a size like 8G or 4000M, got '${values.mem}'`);
    const submission = await submitStudySlurm(dir, {
      launcher,
      partition: values.partition,
      time: values.time,
      cpusPerTask: parseNumberOption(values['cpus-per-task'], 'cpus-per-task', { integer: true, min: 1 }),
      mem: values.mem,
      maxParallel: parallel,
      onFeatures: (p) => (p.phase === 'done' ? featureBar.finish() : featureBar.update(p.done, p.total, 'clips')),
    });
    for (const warning of submission.warnings) process.stderr.write(`warning: ${warning}\n`);
    if (!submission.jobId) {
      process.stdout.write('every member has finished or is still running: nothing to submit\n');
      return;
    }
    process.stdout.write(`submitted job ${submission.jobId}: ${submission.indices.length} members (${submission.script})\n`);
    if (values['no-wait']) return;
    const stop = stopOnCtrlC('no longer following the job (it keeps running; see `study status`)');
    const bar = createProgressBar('members');
    let last = '';
    try {
      const status = await waitForStudy(dir, {
        signal: stop.signal,
        onStatus: (s) => {
          const c = s.counts;
          bar.update(c.done + c.failed, s.members.length, `${c.running} running, ${c.queued} queued`);
          const line = `${c.done} done, ${c.running} running, ${c.queued} queued, ${c.failed} failed`;
          if (line !== last && !process.stderr.isTTY) process.stdout.write(`${line}\n`);
          last = line;
        },
      });
      bar.finish();
      finishRun(status);
    } finally {
      stop.dispose();
    }
    return;
  }

  const stop = stopOnCtrlC('stopping: running members cancel after their batch and are rerun next time');
  const bar = createProgressBar('members');
  let finished = 0;
  let total = 0;
  const line = (text: string) => {
    bar.finish();
    process.stdout.write(`${text}\n`);
  };
  try {
    const result = await runStudyLocal(dir, {
      parallel,
      cores: parseNumberOption(values.cores, 'cores', { integer: true, min: 1 }),
      launcher,
      signal: stop.signal,
      killSignal: stop.kill,
      onEvent: (event) => {
        switch (event.type) {
          case 'features':
            if (event.progress.phase === 'done') featureBar.finish();
            else featureBar.update(event.progress.done, event.progress.total, `clips ETA ${formatDuration(event.progress.etaS)}`);
            break;
          case 'plan':
            total = event.toRun;
            line(
              `${event.total} members: ${event.skipped} finished or running elsewhere, ${event.toRun} to run, ${event.parallel} at a time with ${event.threads} thread${event.threads === 1 ? '' : 's'} each`,
            );
            break;
          case 'member-epoch':
            bar.update(finished, total, `${event.member.id} epoch ${event.epoch}/${event.epochs}`);
            break;
          case 'member-end':
            finished++;
            line(
              event.ok
                ? `done   ${event.member.id} (${event.member.cellLabel}, seed ${event.member.seed}, fold ${event.member.fold + 1}) in ${event.seconds.toFixed(1)} s`
                : `${event.stopped ? 'stopped' : 'FAILED'} ${event.member.id} (${event.member.cellLabel}, seed ${event.member.seed}, fold ${event.member.fold + 1}): ${event.reason} (log: ${event.log})`,
            );
            bar.update(finished, total);
            break;
          default:
            break;
        }
      },
    });
    bar.finish();
    line(
      `${result.succeeded} of ${result.ran} members ran to the end in ${formatDuration(result.seconds)}${result.cancelled ? ' (stopped early)' : ''}`,
    );
    finishRun(await studyStatus(dir));
  } finally {
    stop.dispose();
  }
}

function finishRun(status: StudyStatus): void {
  const c = status.counts;
  const left = status.members.length - c.done;
  if (left === 0) {
    process.stdout.write(`all ${c.done} members done: ser study report ${status.dir}\n`);
    return;
  }
  // Some members done and some not is a partial failure (exit 2); none done, a failure.
  const Failure = c.done > 0 ? PartialFailure : CliError;
  throw new Failure(
    `${left} of ${status.members.length} members are not done (${c.failed} failed, ${c.interrupted} interrupted, ${c.pending} pending): see 'study status', then run 'study run' again to retry them`,
  );
}

/** The door to the engine's member process (what the executors start as study-member.js). */
async function memberCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs(argv, { threads: { type: 'string' }, backend: { type: 'string' } });
  const dir = resolve(requirePositional(positionals, 0, 'study folder (study member DIR INDEX)'));
  const indexText = requirePositional(positionals, 1, 'member index (study member DIR INDEX)');
  if (!/^\d+$/.test(indexText)) throw new CliError(`INDEX must be a member number written in decimal (0, 1, 2, …), got '${indexText}'`);
  await runMemberProcess(dir, Number(indexText), {
    threads: parseNumberOption(values.threads, 'threads', { integer: true, min: 1 }),
    backend: parseBackendOption(values.backend),
  });
}

async function statusCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs(argv, { json: { type: 'boolean' } });
  const status = await studyStatus(requirePositional(positionals, 0, 'study folder (study status DIR)'));
  if (values.json) printJson(status);
  else printStatus(status);
}

const seedName = (seed: number) => (seed === ENSEMBLE_SEED ? 'all' : String(seed));

function printCell(title: string, cell: Partial<CrossValidationSummary>): void {
  process.stdout.write(`\n${title}\n`);
  const p = cell.pooled;
  if (!p) {
    process.stdout.write('  no finished members yet\n');
    return;
  }
  process.stdout.write(
    `  pooled over folds (n=${p.n}): UAR ${pct(p.uar)} [${pct(p.ci.uar[0])}, ${pct(p.ci.uar[1])}]  accuracy ${pct(p.accuracy)} [${pct(p.ci.accuracy[0])}, ${pct(p.ci.accuracy[1])}]  macro-F1 ${pct(p.macroF1)} [${pct(p.ci.macroF1[0])}, ${pct(p.ci.macroF1[1])}]  (95 % speaker bootstrap)\n`,
  );
  process.stdout.write(
    `  per fold: UAR ${pct(cell.mean!.uar)} ± ${pct(cell.sd!.uar)}, accuracy ${pct(cell.mean!.accuracy)} ± ${pct(cell.sd!.accuracy)} (mean ± sd over ${cell.folds!.length} fold runs)\n`,
  );
  if (cell.seeds!.length > 1)
    process.stdout.write(
      `  per seed (pooled): UAR ${pct(cell.seedMean!.uar)} ± ${pct(cell.seedSd!.uar)} over ${cell.seeds!.length} seeds\n`,
    );
  process.stdout.write('    fold seed    n    UAR    acc   macroF1\n');
  for (const f of cell.folds!)
    process.stdout.write(
      `    ${String(f.fold + 1).padStart(4)} ${seedName(f.seed).padStart(4)} ${String(f.n).padStart(4)}  ${pct(f.uar)}  ${pct(f.accuracy)}  ${pct(f.macroF1)}\n`,
    );
}

/** The comparison table: one line per cell and fusion, in %, tested against the baseline row. */
function printTable(table: StudyTable): void {
  const baseline = table.rows.find((r) => r.key === table.baseline);
  process.stdout.write(
    `\ncomparison table (%, pooled over folds, 95 % speaker bootstrap${baseline ? `; against ${baseline.key}` : ''}):\n`,
  );
  const width = Math.min(60, Math.max(4, ...table.rows.map((r) => r.label.length)));
  process.stdout.write(
    `  ${'row'.padEnd(4)} ${'cell'.padEnd(width)}  ${'UAR [95 % CI]'.padEnd(21)} ${'acc'.padStart(5)} ${'mF1'.padStart(5)}  ${'fold UAR'.padEnd(12)} ${'ΔUAR'.padStart(6)} ${'p sign'.padStart(7)} ${'p McN'.padStart(7)}\n`,
  );
  for (const r of table.rows) {
    const label = r.label.length > width ? `${r.label.slice(0, width - 1)}…` : r.label.padEnd(width);
    if (r.uar === undefined) {
      process.stdout.write(`  ${r.key.padEnd(4)} ${label}  no finished members\n`);
      continue;
    }
    const v = r.vsBaseline;
    const delta =
      r.key === table.baseline ? 'base' : v ? `${v.uarDifference >= 0 ? '+' : '-'}${percent1(Math.abs(v.uarDifference))}` : '--';
    process.stdout.write(
      `  ${r.key.padEnd(4)} ${label}  ${`${percent1(r.uar)} [${percent1(r.uarCi?.[0])}, ${percent1(r.uarCi?.[1])}]`.padEnd(21)} ${percent1(r.accuracy).padStart(5)} ${percent1(r.macroF1).padStart(5)}  ${`${percent1(r.foldUarMean)} ± ${percent1(r.foldUarSd)}`.padEnd(12)} ${delta.padStart(6)} ${pText(v?.signFlipP).padStart(7)} ${pText(v?.mcnemarP).padStart(7)}\n`,
    );
  }
}

function fusionHow(fusion: FusedCellReport): string {
  if (fusion.cells.length === 1) return 'over the cell’s seeds';
  return fusion.seedsAveraged ? 'over each cell’s seeds, then over the cells' : 'over the cells, seed by seed';
}

function printReport(report: StudyReport): void {
  const s = report.study;
  process.stdout.write(
    `study ${s.name}: ${s.protocol}, ${s.folds} folds, seeds ${s.seeds.join(',')}, checkpoint ${s.checkpoint}${report.complete ? '' : ' (INCOMPLETE: only finished members are pooled)'}\n`,
  );
  const others = [...new Set(report.cells.map((c) => c.studyDir))].filter((dir) => dir !== s.dir);
  if (others.length > 0) process.stdout.write(`with the cells of ${others.join(', ')} (the same folds)\n`);
  for (const e of report.excluded) process.stdout.write(`left out of the grid: ${e.label}: ${e.reason}\n`);
  for (const cell of report.cells) printCell(`${cell.key} ${cell.label} (${cell.members.done}/${cell.members.total} members)`, cell);
  for (const fusion of report.fusions)
    printCell(
      `${fusion.key} fusion ${fusion.label}: class probabilities averaged ${fusionHow(fusion)}, fold by fold (${fusion.members.done}/${fusion.members.total} derived members)`,
      fusion,
    );
  if (report.comparisons.length > 0)
    process.stdout.write('\ncomparisons (sign-flip test on per-fold UAR; McNemar on pooled predictions):\n');
  for (const c of report.comparisons) process.stdout.write(`  ${c.verdict}\n`);
  printTable(report.table);
}

async function reportCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs(argv, {
    json: { type: 'boolean' },
    csv: { type: 'string' },
    checkpoint: { type: 'string' },
    with: { type: 'string', multiple: true },
    fuse: { type: 'string', multiple: true },
    'ensemble-seeds': { type: 'boolean' },
    baseline: { type: 'string' },
    latex: { type: 'string' },
  });
  if (positionals.length > 1) throw new CliError(`unexpected argument '${positionals[1]}': give each other study with a --with of its own`);
  let report: StudyReport;
  try {
    report = await studyReport(requirePositional(positionals, 0, 'study folder (study report DIR)'), {
      checkpoint: parseChoice(values.checkpoint, 'checkpoint', ['best', 'final'] as const),
      with: values.with,
      fuse: (values.fuse ?? []).map(parseFusion),
      ensembleSeeds: values['ensemble-seeds'],
      baseline: values.baseline,
    });
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  if (values.csv) await writeFileAtomic(resolve(values.csv), studyReportCsv(report));
  if (values.latex) await writeFileAtomic(resolve(values.latex), studyReportLatex(report));
  if (values.json) printJson(report);
  else printReport(report);
  if (values.csv && !values.json) process.stdout.write(`\nCSV: ${resolve(values.csv)}\n`);
  if (values.latex && !values.json) process.stdout.write(`LaTeX: ${resolve(values.latex)}\n`);
}

const SUBCOMMANDS: Record<string, (argv: string[]) => Promise<void>> = {
  init: initCommand,
  run: runCommand,
  status: statusCommand,
  report: reportCommand,
  member: memberCommand,
};

export async function studyCommand(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  const command = sub ? SUBCOMMANDS[sub] : undefined;
  if (!command) throw new CliError(`study needs one of ${Object.keys(SUBCOMMANDS).join(', ')}${sub ? ` (got '${sub}')` : ''}`);
  await command(rest);
}
