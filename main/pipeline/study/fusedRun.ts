/** One fold of a study's fusion as a fused run in the runs folder (Runs, Evaluate and Predict take it). */
import { join, resolve } from 'node:path';
import type { CheckpointName, RunRecord } from '../../runs/types';
import { writeFusedRun } from '../fusedRun';
import { readStudy } from './format';
import { studyCells } from './members';
import { listStudyMembers } from './status';

export interface StudyFusedRunOptions {
  /** The fused cells' keys (c1, c3; one key with seedsAveraged for a seed ensemble). */
  cells: string[];
  /** 0-based fold. */
  fold: number;
  /** The seed whose members are fused (default the study's first); ignored with seedsAveraged. */
  seed?: number;
  /** Fuse every seed's member of each cell. */
  seedsAveraged?: boolean;
  checkpoint?: CheckpointName;
  /** Where the run folder goes. */
  runsDir: string;
}

export async function saveStudyFusedRun(dir: string, options: StudyFusedRunOptions): Promise<RunRecord> {
  const studyDir = resolve(dir);
  const study = await readStudy(studyDir);
  if (!Number.isInteger(options.fold) || options.fold < 0 || options.fold >= study.folds.length)
    throw new Error(`fold must be 1..${study.folds.length}, got ${options.fold + 1}`);
  const seed = options.seed ?? study.seeds[0]!;
  if (!options.seedsAveraged && !study.seeds.includes(seed))
    throw new Error(`the study has no seed ${seed} (seeds ${study.seeds.join(', ')})`);
  const cells = studyCells(study);
  const { members } = await listStudyMembers(studyDir, study);
  const runDirs = options.cells.flatMap((key) => {
    const cell = cells.find((c) => `c${c.index + 1}` === key);
    if (!cell) throw new Error(`there is no cell ${key}: the study's cells are c1..c${cells.length}`);
    const chosen = members.filter((m) => m.cell === cell.index && m.fold === options.fold && (options.seedsAveraged || m.seed === seed));
    const unfinished = chosen.find((m) => m.state !== 'done' || !m.runDir);
    if (chosen.length === 0 || unfinished)
      throw new Error(`cell ${key} has no finished member for fold ${options.fold + 1}${options.seedsAveraged ? '' : `, seed ${seed}`}`);
    return chosen.map((m) => m.runDir!);
  });
  if (runDirs.length < 2) throw new Error('a fused run needs at least two members: choose two cells, or a cell with several seeds');
  const what = `${options.cells.join('-')}-fold${options.fold + 1}${options.seedsAveraged ? '-seeds' : `-seed${seed}`}`;
  const id = `${study.name}-fused-${what}`.replace(/[^A-Za-z0-9._-]/g, '_');
  return writeFusedRun(runDirs, join(options.runsDir, id), { checkpoint: options.checkpoint });
}
