/**
 * Classical-classifier benchmark: a 10-fold leave-one-speaker-out study of one SVM cell on EmoDB
 * (../shared/data/emodb) over a vector representation, through the built CLI as users run it.
 * The features are extracted first (`features`, timed apart); then `study run` is timed — every
 * member's inner speaker-grouped CV, refit and evaluation, in member processes — and must take
 * under 60 s (issue 22). The report's pooled UAR comes with it. Without EmoDB, or in a build whose
 * feature table offers no vector representation yet, it says so and runs nothing.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { FEATURE_FIELDS } from '../main/schema/featureFields';
import { isVectorRepresentation } from '../main/schema/names';
import { printTable, type BenchResult } from './report';

const TARGET_S = 60;

function cli(args: string[]): { stdout: string; seconds: number } {
  const started = performance.now();
  const result = spawnSync(process.execPath, [resolve('out/main/cli.js'), ...args], { encoding: 'utf8', maxBuffer: 256 * 2 ** 20 });
  if (result.status !== 0) throw new Error(`cli ${args.join(' ')} failed: ${result.stderr}`);
  return { stdout: result.stdout, seconds: (performance.now() - started) / 1000 };
}

export async function runClassicalBenchmarks(options: { quick: boolean }): Promise<BenchResult[]> {
  const emodb = resolve('../shared/data/emodb');
  const representation = FEATURE_FIELDS.representation.choices.map((c) => c.value as string).find(isVectorRepresentation);
  if (!existsSync(emodb)) {
    console.log('skipped: ../shared/data/emodb not found');
    return [];
  }
  if (!representation) {
    console.log('skipped: this build offers no vector representation (egemaps-like, compare-like) to classify');
    return [];
  }
  const models = options.quick ? ['svm-rbf'] : ['svm-rbf', 'svm-linear'];
  const work = mkdtempSync(join(tmpdir(), 'ser-bench-classical-'));
  const cache = join(work, 'cache');
  const results: BenchResult[] = [];
  try {
    const extraction = cli(['features', emodb, '--representation', representation, '--json', '--cache-dir', cache]);
    for (const model of models) {
      const study = join(work, model);
      cli([
        'study',
        'init',
        study,
        '--data',
        emodb,
        '--protocol',
        'loso',
        '--seeds',
        '1',
        '--model',
        model,
        '--representation',
        representation,
        '--cache-dir',
        cache,
      ]);
      const run = cli(['study', 'run', study]);
      const report = JSON.parse(cli(['study', 'report', study, '--json']).stdout) as { cells: { pooled?: { uar: number } }[] };
      results.push({
        benchmark: 'classical',
        model,
        representation,
        protocol: 'loso (10 folds, 1 seed)',
        cores: availableParallelism(),
        extractionSeconds: Number(extraction.seconds.toFixed(1)),
        studySeconds: Number(run.seconds.toFixed(1)),
        underTarget: run.seconds < TARGET_S,
        pooledUar: report.cells[0]?.pooled ? Number(report.cells[0].pooled.uar.toFixed(3)) : null,
      });
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  printTable(results, ['model', 'representation', 'protocol', 'cores', 'extractionSeconds', 'studySeconds', 'underTarget', 'pooledUar']);
  return results;
}
