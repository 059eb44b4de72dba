import { basename, resolve } from 'node:path';
import type { Comparison } from '../../evaluation/compare';
import { compareCheckpoints } from '../../pipeline/evaluations';
import { CliError, parseCommandArgs, printJson, requirePositional } from '../args';

export const compareUsage = 'compare RUN [RUN2] [--json]   (one run: best vs final; two runs: best vs best on the same test set)';

export async function compareCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs(argv, { json: { type: 'boolean' } });
  const runA = resolve(requirePositional(positionals, 0, 'run folder (compare RUN [RUN2])'));
  const runB = positionals[1] ? resolve(positionals[1]) : undefined;
  if (positionals.length > 2) throw new CliError('compare takes one or two run folders');

  const comparison = await compareCheckpoints(
    { runDir: runA, checkpoint: 'best', name: runB ? `${basename(runA)} best` : 'best' },
    runB ? { runDir: runB, checkpoint: 'best', name: `${basename(runB)} best` } : { runDir: runA, checkpoint: 'final', name: 'final' },
  );
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
    `${c.disagreements.length} clip(s) where A and B predict differently${c.disagreements.length > 0 ? ':' : ''}`,
  ];
  if (c.disagreements.length > 0) {
    const width = Math.max(4, ...c.disagreements.map((d) => d.path.length));
    lines.push(`  ${'file'.padEnd(width)}  ${'true'.padEnd(10)} ${'A predicts'.padEnd(16)} B predicts`);
    const side = (label: string, confidence: number) => `${label} (${(100 * confidence).toFixed(0)} %)`;
    for (const d of c.disagreements) {
      lines.push(
        `  ${d.path.padEnd(width)}  ${d.trueLabel.padEnd(10)} ${side(d.aPredicted, d.aConfidence).padEnd(16)} ${side(d.bPredicted, d.bConfidence)}`,
      );
    }
  }
  return lines.join('\n');
}
