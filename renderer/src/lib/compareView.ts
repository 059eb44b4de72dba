/**
 * Pure helpers behind the Compare view: metric and per-class delta rows (B − A) and the sentence
 * that states the McNemar test's result.
 */
import type { CheckpointRef, Comparison, Disagreement, McNemarResult, RunSummary } from '../../../main/api/contract';
import { integer } from './format';

export type DeltaDirection = 'better' | 'worse' | 'same';

export interface MetricDeltaRow {
  key: 'accuracy' | 'uar' | 'macroF1';
  title: string;
  a: number;
  b: number;
  /** b − a. */
  delta: number;
  direction: DeltaDirection;
}

export interface PerClassDeltaRow {
  label: string;
  support: number;
  aRecall: number;
  bRecall: number;
  aF1: number;
  bF1: number;
  precision: number;
  recall: number;
  f1: number;
}

/** Differences smaller than this are rounding noise, shown as no change. */
const EPSILON = 1e-9;

export function deltaDirection(delta: number): DeltaDirection {
  if (!Number.isFinite(delta) || Math.abs(delta) < EPSILON) return 'same';
  return delta > 0 ? 'better' : 'worse';
}

export function metricDeltaRows(comparison: Comparison): MetricDeltaRow[] {
  const rows: { key: MetricDeltaRow['key']; title: string }[] = [
    { key: 'accuracy', title: 'Accuracy' },
    { key: 'uar', title: 'UAR' },
    { key: 'macroF1', title: 'Macro-F1' },
  ];
  return rows.map(({ key, title }) => {
    const a = comparison.a[key];
    const b = comparison.b[key];
    const delta = comparison.deltas[key];
    return { key, title, a, b, delta, direction: deltaDirection(delta) };
  });
}

export function perClassDeltaRows(comparison: Comparison): PerClassDeltaRow[] {
  return comparison.perClassDeltas.map((d, i) => {
    const a = comparison.a.perClass[i];
    const b = comparison.b.perClass[i];
    return {
      label: d.label,
      support: a?.support ?? 0,
      aRecall: a?.recall ?? 0,
      bRecall: b?.recall ?? 0,
      aF1: a?.f1 ?? 0,
      bF1: b?.f1 ?? 0,
      precision: d.precision,
      recall: d.recall,
      f1: d.f1,
    };
  });
}

/** "0.043", "< 0.001", "1". */
export function formatPValue(p: number): string {
  if (!Number.isFinite(p)) return '–';
  if (p < 0.001) return '< 0.001';
  if (p >= 1) return '1';
  return p.toFixed(3);
}

/**
 * One sentence on the exact McNemar test: the discordant counts, the p-value, and whether the
 * difference is significant at `alpha` (and in whose favour).
 */
export function significanceSentence(result: McNemarResult, alpha = 0.05): string {
  const discordant = result.b + result.c;
  if (discordant === 0) {
    return 'McNemar exact test: no clip is right for one and wrong for the other — no difference to test (p = 1, not significant).';
  }
  const p = formatPValue(result.pValue);
  const counts = `A right/B wrong ${integer(result.b)}, A wrong/B right ${integer(result.c)}`;
  const pText = p.startsWith('<') ? `p ${p}` : `p = ${p}`;
  if (result.pValue < alpha) {
    const winner = result.c > result.b ? 'B' : 'A';
    return `McNemar exact test: ${counts}; ${pText} — significant at ${alpha}: ${winner} is better on these clips.`;
  }
  return `McNemar exact test: ${counts}; ${pText} — not significant at ${alpha}.`;
}

/** Which of the two got a disagreement right. */
export function disagreementVerdict(d: Disagreement): 'A right' | 'B right' | 'both wrong' {
  if (d.aCorrect) return 'A right';
  if (d.bCorrect) return 'B right';
  return 'both wrong';
}

/**
 * An engine message about runs with the run folder ids written as the runs' names: "<id>/best"
 * becomes "<name> · best" and a bare id becomes the name (ids unknown to `runs` stay as they are).
 */
export function withRunNames(message: string, runs: readonly { id: string; name: string }[]): string {
  let text = message;
  // Longest ids first, so an id that contains another is replaced whole.
  for (const run of [...runs].sort((a, b) => b.id.length - a.id.length)) {
    if (!run.id) continue;
    text = text.split(`${run.id}/best`).join(`${run.name} · best`).split(`${run.id}/final`).join(`${run.name} · final`);
    text = text.split(run.id).join(run.name);
  }
  return text;
}

/**
 * Why every difference of a comparison is zero, or null when some differ. Best and final of one
 * run that hold the same single epoch (the last epoch was the best) are the same weights; other
 * pairs can still predict every clip alike.
 */
export function identicalComparisonNote(
  comparison: Comparison,
  pair: { a: CheckpointRef; b: CheckpointRef },
  runs: readonly Pick<RunSummary, 'id' | 'bestCheckpoint' | 'checkpoints'>[],
): string | null {
  const alike =
    comparison.disagreements.length === 0 &&
    metricDeltaRows(comparison).every((row) => row.direction === 'same') &&
    comparison.perClassDeltas.every((d) => [d.precision, d.recall, d.f1].every((delta) => deltaDirection(delta) === 'same'));
  if (!alike) return null;
  const { a, b } = pair;
  if (a.runId === b.runId && a.checkpoint !== b.checkpoint) {
    const run = runs.find((r) => r.id === a.runId);
    const bestEpoch = run?.bestCheckpoint?.kind === 'average' ? undefined : run?.checkpoints.best?.epoch;
    if (bestEpoch !== undefined && bestEpoch === run?.checkpoints.final?.epoch) {
      return `Best and final both hold epoch ${bestEpoch} (the last epoch was the best): they are the same weights, so every difference here is zero.`;
    }
  }
  return 'A and B predict the same class for every test clip: every difference here is zero.';
}
