/**
 * A study's members: grid cell × seed × fold, in a fixed order (a member's index is its Slurm
 * array task id) with deterministic ids (its run folder's name under `<study>/runs/`).
 */
import { resolveTrainingConfig, type TrainingConfig } from '../../training/config';
import type { StudyFile } from './format';
import type { FeatureConfig } from '../../features/config';
import { partitionCells, type ExcludedCell } from './compatibility';
import { applyFeatureOverrides, applyOverrides, cellLabel, expandGrid, type CellOverrides } from './grid';

export interface StudyMember {
  index: number;
  /** Run folder name, e.g. `c1-s2-f03`. */
  id: string;
  cell: number;
  seed: number;
  fold: number;
  overrides: CellOverrides;
}

export interface StudyCell {
  index: number;
  label: string;
  overrides: CellOverrides;
}

/** The grid's cells split into those the study trains and those whose model cannot read the representation or whose normalisation would erase it. */
function gridCells(study: Pick<StudyFile, 'grid' | 'training' | 'features'>) {
  return partitionCells(expandGrid(study.grid), {
    model: study.training.model,
    normalization: study.training.normalization,
    representation: study.features.representation,
    encoderPooling: study.features.encoderPooling,
  });
}

/** The cells the study trains: every combination of the grid's values whose model accepts the representation. */
export function studyCells(study: Pick<StudyFile, 'grid' | 'training' | 'features'>): StudyCell[] {
  return gridCells(study).kept.map((overrides, index) => ({ index, label: cellLabel(overrides), overrides }));
}

/** The grid's cells the study leaves out, each with its reason. */
export function excludedCells(study: Pick<StudyFile, 'grid' | 'training' | 'features'>): (ExcludedCell & { label: string })[] {
  return gridCells(study).excluded.map((cell) => ({ ...cell, label: cellLabel(cell.overrides) }));
}

/** Every member, cell-major, then seed, then fold. */
export function studyMembers(study: StudyFile): StudyMember[] {
  const width = String(study.folds.length).length;
  const members: StudyMember[] = [];
  for (const cell of studyCells(study)) {
    for (const seed of study.seeds) {
      study.folds.forEach((_, fold) => {
        const id = `c${cell.index + 1}-s${seed}-f${String(fold + 1).padStart(width, '0')}`;
        members.push({ index: members.length, id, cell: cell.index, seed, fold, overrides: cell.overrides });
      });
    }
  }
  return members;
}

export function memberAt(study: StudyFile, index: number): StudyMember {
  const members = studyMembers(study);
  if (!Number.isInteger(index) || index < 0 || index >= members.length) {
    throw new Error(`member index must be a whole number in 0..${members.length - 1}, got ${index}`);
  }
  return members[index]!;
}

/** The member's training config: its cell's overrides, its seed, and its fold's speakers as the split. */
export function memberConfig(study: StudyFile, member: StudyMember): TrainingConfig {
  const fold = study.folds[member.fold]!;
  const cell = applyOverrides(study.training, member.overrides);
  return resolveTrainingConfig({ ...cell, seed: member.seed, split: { kind: 'speaker', testSpeakers: fold.test, valSpeakers: fold.val } });
}

/** The member's feature config: the study's, with its cell's `features.*` overrides. */
export function memberFeatureConfig(study: StudyFile, member: Pick<StudyMember, 'overrides'>): FeatureConfig {
  return applyFeatureOverrides(study.features, member.overrides);
}

/** The distinct feature configs the study's cells need (one extraction each), in cell order. */
export function studyFeatureConfigs(study: StudyFile): FeatureConfig[] {
  const configs = new Map<string, FeatureConfig>();
  for (const cell of studyCells(study)) {
    const config = memberFeatureConfig(study, cell);
    configs.set(JSON.stringify(config), config);
  }
  return [...configs.values()];
}
