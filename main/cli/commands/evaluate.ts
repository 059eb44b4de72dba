import { resolve } from 'node:path';
import { evaluateCheckpoint } from '../../pipeline/evaluateCheckpoint';
import { exportReport } from '../../pipeline/evaluations';
import type { EvaluationReport } from '../../evaluation/report';
import { parseBackendOption, parseChoice, parseCommandArgs, printJson, requirePositional } from '../args';
import { createProgressBar } from '../progress';

export const evaluateUsage =
  'evaluate RUN [--checkpoint best|final] [--data DIR] [--encoder-dir DIR] [--backend B] [--cache-dir D] [--export] [--json]\n' +
  "  --encoder-dir: where the run's encoder folder is now (its model file must have the recorded sha256)";

export async function evaluateCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs(argv, {
    checkpoint: { type: 'string' },
    data: { type: 'string' },
    'cache-dir': { type: 'string' },
    'encoder-dir': { type: 'string' },
    backend: { type: 'string' },
    json: { type: 'boolean' },
    export: { type: 'boolean' },
  });
  const runDir = resolve(requirePositional(positionals, 0, 'run folder (evaluate RUN)'));
  const checkpoint = parseChoice(values.checkpoint, 'checkpoint', ['best', 'final'] as const) ?? 'best';
  const bar = createProgressBar('features');
  const notes: string[] = [];
  const result = await evaluateCheckpoint(runDir, {
    checkpoint,
    dataDir: values.data ? resolve(values.data) : undefined,
    cacheRoot: values['cache-dir'],
    backend: parseBackendOption(values.backend),
    encoderDir: values['encoder-dir'],
    onProgress: (p) => bar.update(p.done, p.total, 'clips'),
    onLog: (line) => notes.push(line),
  });
  bar.finish();
  const report = result.report;
  // The same files as Runs → Export and Evaluate → Export report in the app (the PNG included), named as the stored report.
  const exported = values.export ? await exportReport(runDir, result.name, report) : null;
  if (values.json) {
    printJson({
      checkpoint,
      evaluationFile: result.path,
      accuracy: report.metrics.accuracy,
      uar: report.metrics.uar,
      macroF1: report.metrics.macroF1,
      weightedF1: report.metrics.weightedF1,
      n: report.metrics.n,
      labels: report.labels,
      perClass: report.metrics.perClass,
      confusion: report.metrics.confusion,
      confusionNormalized: report.metrics.confusionNormalized,
      neverPredicted: report.metrics.neverPredicted,
      confidenceIntervals: report.confidenceIntervals,
      dataset: report.dataset,
      split: report.split,
      excluded: report.excluded,
      ...(exported ? { exported: exported.files } : {}),
      notes,
    });
    return;
  }
  for (const note of notes) process.stdout.write(`note: ${note}\n`);
  process.stdout.write(formatReport(report) + `\nsaved ${result.path}\n`);
  if (exported) process.stdout.write(`exported to ${exported.dir}:\n${exported.files.map((file) => `  ${file}\n`).join('')}`);
}

export function formatReport(report: EvaluationReport): string {
  const m = report.metrics;
  const ci = report.confidenceIntervals;
  const pct = (v: number) => (100 * v).toFixed(1).padStart(5);
  const lines = [
    `checkpoint ${report.checkpoint} on ${report.dataset.root} (${report.dataset.part}, ${m.n} clips)`,
    `${report.split.description}${report.split.leaksSpeakers ? '  [LEAKS SPEAKERS]' : ''}`,
    `accuracy ${pct(m.accuracy)} %  [${pct(ci.accuracy[0])}, ${pct(ci.accuracy[1])}]`,
    `UAR      ${pct(m.uar)} %  [${pct(ci.uar[0])}, ${pct(ci.uar[1])}]`,
    `macro-F1 ${pct(m.macroF1)} %  [${pct(ci.macroF1[0])}, ${pct(ci.macroF1[1])}]   (95 % bootstrap intervals)`,
    '',
    `${'class'.padEnd(10)} precision  recall     F1  support`,
    ...m.perClass.map(
      (c) => `${c.label.padEnd(10)} ${pct(c.precision)} % ${pct(c.recall)} % ${pct(c.f1)} % ${String(c.support).padStart(7)}`,
    ),
    '',
    'confusion (rows: true, columns: predicted)',
    `${''.padEnd(10)} ${m.labels.map((l) => l.slice(0, 6).padStart(6)).join(' ')}`,
    ...m.confusion.map((row, i) => `${m.labels[i]!.padEnd(10)} ${row.map((v) => String(v).padStart(6)).join(' ')}`),
  ];
  if (m.neverPredicted.length > 0) lines.push(`never predicted: ${m.neverPredicted.join(', ')}`);
  if (report.excluded)
    lines.push(
      `left out: ${report.excluded.clips} clips of classes the model does not know (${report.excluded.unknownToModel.join(', ')})`,
    );
  return lines.join('\n');
}
