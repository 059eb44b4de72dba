/**
 * Finished study members without training: each member's run folder is marked done and holds a
 * `best` evaluation of fabricated, seeded predictions on its fold's test speakers. For reports,
 * fusions and the Studies view's table, where what matters is the pooling, not the model.
 */
import { join } from 'node:path';
import { writeEvaluation } from '../../../main/evaluation/file';
import { buildEvaluationReport } from '../../../main/evaluation/report';
import type { ClipPrediction } from '../../../main/evaluation/types';
import { studyMembers, type StudyFile } from '../../../main/pipeline/study';
import { createRun } from '../../../main/runs/store';
import { createRng } from '../../../main/util/random';
import { writeTinyCheckpoint } from '../inference/helpers';
import { runInit } from '../../runs/helpers';

export const FAKE_LABELS = ['anger', 'neutral', 'sadness'];

/**
 * Writes every member of `study` in `dir` as finished; `clipsOf(memberId)` clips per fold (30 by
 * default). Cell 1 leans towards the truth more than the others, so rows differ. Returns each
 * member's predictions by id.
 */
export async function fabricateMembers(
  dir: string,
  study: StudyFile,
  clipsOf: (memberId: string) => number = () => 30,
  /** Also a tiny `best` checkpoint per member (for fused runs), its weights varying by cell and seed. */
  checkpoints = false,
): Promise<Map<string, ClipPrediction[]>> {
  const out = new Map<string, ClipPrediction[]>();
  for (const m of studyMembers(study)) {
    const run = await createRun(`${dir}/runs`, runInit(m.id), { id: m.id, heartbeatIntervalMs: 0 });
    const rng = createRng(1000 * m.cell + 10 * m.seed + m.fold);
    const speakers = study.folds[m.fold]!.test;
    const clips = Array.from({ length: clipsOf(m.id) }, (_, i) => ({
      id: `f${m.fold}-${i}`,
      path: `/data/f${m.fold}-${i}.wav`,
      speaker: speakers[i % speakers.length]!,
      label: FAKE_LABELS[i % FAKE_LABELS.length]!,
    }));
    const k = FAKE_LABELS.length;
    const probabilities = new Float32Array(clips.length * k);
    clips.forEach((clip, i) => {
      const truth = FAKE_LABELS.indexOf(clip.label);
      let sum = 0;
      for (let c = 0; c < k; c++) {
        probabilities[i * k + c] = rng.next() + (c === truth ? (m.cell === 0 ? 0.7 : 0.4) : 0);
        sum += probabilities[i * k + c]!;
      }
      for (let c = 0; c < k; c++) probabilities[i * k + c]! /= sum;
    });
    const report = buildEvaluationReport({
      checkpoint: 'best',
      labels: FAKE_LABELS,
      clips,
      probabilities,
      dataset: { root: study.dataset.root, scheme: 'emodb', part: 'test' },
      splitDescription: 'fold test speakers',
      leaksSpeakers: false,
      seed: 1,
    });
    await writeEvaluation(run.dir, 'best', report);
    if (checkpoints) {
      await writeTinyCheckpoint(join(run.dir, 'checkpoints'), 'best', {
        numClasses: FAKE_LABELS.length,
        offset: 7 * m.cell + m.seed,
        manifest: { labels: FAKE_LABELS },
      });
    }
    out.set(m.id, report.predictions);
    await run.setStatus('done');
    await run.close();
  }
  return out;
}
