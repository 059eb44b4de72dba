import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildEvaluationReport, type EvaluationReport } from '../../main/evaluation/report';
import { writeEvaluation } from '../../main/evaluation/file';

/** A real report over six clips; `shift` moves the predictions so two reports disagree on some clips. */
export function sampleReport(checkpoint: string, labels = ['anger', 'neutral', 'sadness'], shift = 0): EvaluationReport {
  const clips = Array.from({ length: 6 }, (_, i) => ({
    id: `c${i}`,
    path: `/data/c${i}.wav`,
    speaker: `s${i % 2}`,
    label: labels[i % labels.length]!,
  }));
  const k = labels.length;
  const probabilities = new Float32Array(clips.length * k);
  clips.forEach((_, i) => {
    for (let c = 0; c < k; c++) probabilities[i * k + c] = 0.1;
    probabilities[i * k + ((i + (i < 3 ? 0 : shift)) % k)] = 0.8;
  });
  return buildEvaluationReport({
    checkpoint,
    labels,
    clips,
    probabilities,
    dataset: { root: '/data', scheme: 'emodb', part: 'test' },
    splitDescription: 'test split',
    leaksSpeakers: false,
    seed: 1,
  });
}

/** A run folder `<runsDir>/<id>` holding run.json and stored evaluations (no checkpoints). */
export async function runWithEvaluations(runsDir: string, id: string, reports: Record<string, EvaluationReport>): Promise<string> {
  const dir = join(runsDir, id);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'run.json'), JSON.stringify({ id, status: 'done' }));
  for (const [name, report] of Object.entries(reports)) await writeEvaluation(dir, name, report);
  return dir;
}
