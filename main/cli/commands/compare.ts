import { basename, resolve } from 'node:path';
import { compareEvaluations, type Comparison } from '../../evaluation/compare';
import { evaluateCheckpoint } from '../../pipeline/evaluateCheckpoint';
import type { EvaluationReport } from '../../evaluation/report';
import { readEvaluation } from '../../runs/store';
import type { CheckpointName } from '../../runs/types';
import { CliError, parseCommandArgs, printJson, requirePositional } from '../args';

export const compareUsage = 'compare RUN [RUN2] [--json]   (one run: best vs final; two runs: best vs best on the same test set)';

/** The stored evaluation of a checkpoint, computed (and stored) first if the run has none. */
async function evaluationOf(runDir: string, checkpoint: CheckpointName): Promise<EvaluationReport> {
  return (await readEvaluation(runDir, checkpoint)) ?? (await evaluateCheckpoint(runDir, { checkpoint })).report;
}

export async function compareCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs(argv, { json: { type: 'boolean' } });
  const runA = resolve(requirePositional(positionals, 0, 'run folder (compare RUN [RUN2])'));
  const runB = positionals[1] ? resolve(positionals[1]) : undefined;
  if (positionals.length > 2) throw new CliError('compare takes one or two run folders');

  const a = { name: runB ? `${basename(runA)} best` : 'best', report: await evaluationOf(runA, 'best') };
  const b = { name: runB ? `${basename(runB)} best` : 'final', report: await evaluationOf(runB ?? runA, runB ? 'best' : 'final') };
  if (a.report.labels.join() !== b.report.labels.join()) {
    throw new CliError(`the two checkpoints predict different classes (${a.report.labels.join(', ')} vs ${b.report.labels.join(', ')})`);
  }
  const comparison = compareEvaluations({ name: a.name, predictions: a.report.predictions }, { name: b.name, predictions: b.report.predictions }, a.report.labels);
  if (values.json) {
    printJson(comparison);
    return;
  }
  process.stdout.write(formatComparison(comparison) + '\n');
}

export function formatComparison(c: Comparison): string {
  const pct = (v: number) => `${(100 * v).toFixed(1)}`.padStart(6);
  const delta = (v: number) => `${v >= 0 ? '+' : ''}${(100 * v).toFixed(1)}`.padStart(6);
  const lines = [
    `A = ${c.aName}, B = ${c.bName}  (${c.a.n} test clips)`,
    `${''.padEnd(10)} ${'A %'.padStart(6)} ${'B %'.padStart(6)} ${'B-A'.padStart(6)}`,
    `accuracy   ${pct(c.a.accuracy)} ${pct(c.b.accuracy)} ${delta(c.deltas.accuracy)}`,
    `UAR        ${pct(c.a.uar)} ${pct(c.b.uar)} ${delta(c.deltas.uar)}`,
    `macro-F1   ${pct(c.a.macroF1)} ${pct(c.b.macroF1)} ${delta(c.deltas.macroF1)}`,
    '',
    `per-class recall / F1 change (B - A)`,
    ...c.perClassDeltas.map((d) => `  ${d.label.padEnd(10)} recall ${delta(d.recall)}  F1 ${delta(d.f1)}`),
    '',
    `both right ${c.contingency.bothCorrect}, only A right ${c.contingency.aOnly}, only B right ${c.contingency.bOnly}, both wrong ${c.contingency.bothWrong}`,
    `McNemar exact test: p = ${c.mcnemar.pValue.toPrecision(3)} ${c.mcnemar.pValue < 0.05 ? '(significant at 5 %)' : '(not significant at 5 %)'}`,
    `${c.disagreements.length} clip(s) where A and B predict differently`,
  ];
  return lines.join('\n');
}
