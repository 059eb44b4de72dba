/**
 * Which grid cells pair a model with a representation it accepts. Node-free (the new-study form
 * shows the same plan): classical models (SVM, logistic regression, k-NN, MLP) take utterance-level
 * feature vectors; the CNNs take matrices (MFCC, log-mel).
 */
import { isClassicalModel, isVectorRepresentation } from '../../schema/names';
import type { CellOverrides } from './gridTypes';

/** Why `model` cannot read `representation`, or null when it can. */
export function incompatibility(model: string, representation: string): string | null {
  const classical = isClassicalModel(model);
  if (classical === isVectorRepresentation(representation)) return null;
  return classical
    ? `${model} takes feature vectors (egemaps-like, compare-like), not the ${representation} matrix`
    : `${model} takes matrices (mfcc, logmel), not the ${representation} feature vector`;
}

/** A grid cell the study leaves out, and why. */
export interface ExcludedCell {
  overrides: CellOverrides;
  reason: string;
}

/**
 * Splits the grid's cells into those the study trains and those it leaves out. A cell's model and
 * representation are its overrides' values, or else the base configs'.
 */
export function partitionCells(
  cells: readonly CellOverrides[],
  base: { model: string; representation: string },
): { kept: CellOverrides[]; excluded: ExcludedCell[] } {
  const kept: CellOverrides[] = [];
  const excluded: ExcludedCell[] = [];
  for (const overrides of cells) {
    const model = String(overrides.model ?? base.model);
    const representation = String(overrides['features.representation'] ?? base.representation);
    const reason = incompatibility(model, representation);
    if (reason) excluded.push({ overrides, reason });
    else kept.push(overrides);
  }
  return { kept, excluded };
}
