import type { ClipPrediction } from './types';

export interface LabelAlignment {
  /** Classes both the model and the data have, in the model's order. */
  shared: string[];
  /** Data classes the model cannot predict: their clips are excluded from metrics but counted. */
  unknownToModel: string[];
  /** Model classes with no clips in the data (zero support: they drop out of UAR and macro-F1). */
  absentFromData: string[];
}

export function alignLabels(modelLabels: readonly string[], dataLabels: readonly string[]): LabelAlignment {
  const model = new Set(modelLabels);
  const data = new Set(dataLabels);
  return {
    shared: modelLabels.filter((l) => data.has(l)),
    unknownToModel: [...data].filter((l) => !model.has(l)),
    absentFromData: modelLabels.filter((l) => !data.has(l)),
  };
}

export interface FilteredPredictions {
  /** Clips whose true label the model knows; score these against the model's labels. */
  kept: ClipPrediction[];
  /** Clips whose true label the model cannot predict. */
  excluded: ClipPrediction[];
  /** Excluded clip counts per true label. */
  excludedByLabel: Record<string, number>;
  total: number;
}

/** Splits cross-corpus predictions into those that can be scored and those the model could never get right. */
export function filterToModelLabels(predictions: readonly ClipPrediction[], modelLabels: readonly string[]): FilteredPredictions {
  const known = new Set(modelLabels);
  const kept: ClipPrediction[] = [];
  const excluded: ClipPrediction[] = [];
  const excludedByLabel: Record<string, number> = {};
  for (const p of predictions) {
    if (known.has(p.trueLabel)) {
      kept.push(p);
    } else {
      excluded.push(p);
      excludedByLabel[p.trueLabel] = (excludedByLabel[p.trueLabel] ?? 0) + 1;
    }
  }
  return { kept, excluded, excludedByLabel, total: predictions.length };
}
