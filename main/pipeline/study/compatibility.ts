/**
 * Which grid cells pair a model with a representation it reads and a normalisation that keeps it
 * (schema/names.ts trainingInputProblem decides for one cell); the others are left out of the study
 * with their reason.
 */
import { trainingInputProblem, type ModelName } from '../../schema/names';
import type { CellOverrides } from './gridTypes';

/** A grid cell the study leaves out, and why. */
export interface ExcludedCell {
  overrides: CellOverrides;
  reason: string;
}

/**
 * Splits the grid's cells into those the study trains and those it leaves out. A cell's model,
 * normalisation, representation and pooling are its overrides' values, or else the base configs'.
 */
export function partitionCells(
  cells: readonly CellOverrides[],
  base: { model: string; normalization: string; representation: string; encoderPooling?: string },
): { kept: CellOverrides[]; excluded: ExcludedCell[] } {
  const kept: CellOverrides[] = [];
  const excluded: ExcludedCell[] = [];
  for (const overrides of cells) {
    const model = String(overrides.model ?? base.model);
    const representation = String(overrides['features.representation'] ?? base.representation);
    const pooling = String(overrides['features.encoderPooling'] ?? base.encoderPooling ?? 'mean-std');
    const normalization = String(overrides.normalization ?? base.normalization);
    const reason = trainingInputProblem({ model: model as ModelName, normalization }, { representation, encoderPooling: pooling });
    if (reason) excluded.push({ overrides, reason });
    else kept.push(overrides);
  }
  return { kept, excluded };
}
