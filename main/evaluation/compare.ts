import { mcnemarExact, type McNemarResult } from './mcnemar';
import { computeMetrics, type EvaluationMetrics } from './metrics';
import type { EvaluationReport } from './report';
import type { ClipPrediction } from './types';

export interface NamedPredictions {
  name: string;
  predictions: readonly ClipPrediction[];
}

export interface Disagreement {
  clipId: string;
  path: string;
  trueLabel: string;
  aPredicted: string;
  bPredicted: string;
  aConfidence: number;
  bConfidence: number;
  aCorrect: boolean;
  bCorrect: boolean;
}

export interface Comparison {
  aName: string;
  bName: string;
  a: EvaluationMetrics;
  b: EvaluationMetrics;
  /** b − a. */
  deltas: { accuracy: number; uar: number; macroF1: number };
  /** b − a, per class. */
  perClassDeltas: { label: string; precision: number; recall: number; f1: number }[];
  /** b − a confusion counts. */
  confusionDifference: number[][];
  /** Clips on which the two predicted different labels, in A's order. */
  disagreements: Disagreement[];
  contingency: { bothCorrect: number; aOnly: number; bOnly: number; bothWrong: number };
  /** Exact McNemar test with b = aOnly, c = bOnly. */
  mcnemar: McNemarResult;
}

/** Compares two evaluations of the same test clips (matched by clipId), B relative to A. */
export function compareEvaluations(a: NamedPredictions, b: NamedPredictions, labels: readonly string[]): Comparison {
  const aById = byClipId(a);
  const bById = byClipId(b);
  const onlyA = [...aById.keys()].filter((id) => !bById.has(id)).length;
  const onlyB = [...bById.keys()].filter((id) => !aById.has(id)).length;
  if (onlyA > 0 || onlyB > 0) {
    throw new Error(
      `"${a.name}" and "${b.name}" were evaluated on different clips (${onlyA + onlyB} clips differ: ` +
        `${onlyA} only in "${a.name}", ${onlyB} only in "${b.name}"); compare them on the same test set`,
    );
  }

  const disagreements: Disagreement[] = [];
  const contingency = { bothCorrect: 0, aOnly: 0, bOnly: 0, bothWrong: 0 };
  for (const pa of a.predictions) {
    const pb = bById.get(pa.clipId)!;
    if (pa.trueLabel !== pb.trueLabel) {
      throw new Error(`Clip ${pa.clipId} has true label "${pa.trueLabel}" in "${a.name}" but "${pb.trueLabel}" in "${b.name}"`);
    }
    const aCorrect = pa.predictedLabel === pa.trueLabel;
    const bCorrect = pb.predictedLabel === pb.trueLabel;
    if (aCorrect && bCorrect) contingency.bothCorrect++;
    else if (aCorrect) contingency.aOnly++;
    else if (bCorrect) contingency.bOnly++;
    else contingency.bothWrong++;
    if (pa.predictedLabel !== pb.predictedLabel) {
      disagreements.push({
        clipId: pa.clipId,
        path: pa.path,
        trueLabel: pa.trueLabel,
        aPredicted: pa.predictedLabel,
        bPredicted: pb.predictedLabel,
        aConfidence: pa.confidence,
        bConfidence: pb.confidence,
        aCorrect,
        bCorrect,
      });
    }
  }

  const ma = computeMetrics(a.predictions, labels);
  const mb = computeMetrics(b.predictions, labels);
  return {
    aName: a.name,
    bName: b.name,
    a: ma,
    b: mb,
    deltas: { accuracy: mb.accuracy - ma.accuracy, uar: mb.uar - ma.uar, macroF1: mb.macroF1 - ma.macroF1 },
    perClassDeltas: ma.perClass.map((ca, i) => {
      const cb = mb.perClass[i]!;
      return { label: ca.label, precision: cb.precision - ca.precision, recall: cb.recall - ca.recall, f1: cb.f1 - ca.f1 };
    }),
    confusionDifference: ma.confusion.map((row, t) => row.map((v, p) => mb.confusion[t]![p]! - v)),
    disagreements,
    contingency,
    mcnemar: mcnemarExact(contingency.aOnly, contingency.bOnly),
  };
}

/** Compares two evaluation reports; they must predict the same classes, in the same order. */
export function compareReports(a: { name: string; report: EvaluationReport }, b: { name: string; report: EvaluationReport }): Comparison {
  const same = a.report.labels.length === b.report.labels.length && a.report.labels.every((label, i) => label === b.report.labels[i]);
  if (!same) {
    throw new Error(
      `"${a.name}" and "${b.name}" predict different classes (${a.report.labels.join(', ')} vs ${b.report.labels.join(', ')}); only models with the same classes can be compared`,
    );
  }
  return compareEvaluations(
    { name: a.name, predictions: a.report.predictions },
    { name: b.name, predictions: b.report.predictions },
    a.report.labels,
  );
}

function byClipId(side: NamedPredictions): Map<string, ClipPrediction> {
  const map = new Map<string, ClipPrediction>();
  for (const p of side.predictions) {
    if (map.has(p.clipId)) throw new Error(`"${side.name}" has clip ${p.clipId} more than once`);
    map.set(p.clipId, p);
  }
  return map;
}
