import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { parseCsv } from './csv';
import type { Gender } from './types';

export interface CremaDDemographics {
  file: string;
  genderByActor: Map<string, Gender>;
}

/**
 * CREMA-D keeps speaker sex in VideoDemographics.csv (columns ActorID, Sex). Returns null when the
 * file is not directly in root; throws when it is there but has no ActorID/Sex columns.
 */
export async function readCremaDDemographics(root: string): Promise<CremaDDemographics | null> {
  const name = (await fsp.readdir(root)).find((entry) => entry.toLowerCase() === 'videodemographics.csv');
  if (!name) return null;
  const file = join(root, name);
  const [header, ...records] = parseCsv(await fsp.readFile(file, 'utf8'));
  const columns = (header ?? []).map((cell) => cell.trim().toLowerCase());
  const actorColumn = columns.indexOf('actorid');
  const sexColumn = columns.indexOf('sex');
  if (actorColumn < 0 || sexColumn < 0) throw new Error(`${name} has no ActorID and Sex columns`);
  const genderByActor = new Map<string, Gender>();
  for (const record of records) {
    const actor = (record[actorColumn] ?? '').trim();
    const sex = (record[sexColumn] ?? '').trim().toLowerCase();
    if (sex === 'male' || sex === 'female') genderByActor.set(actor, sex);
  }
  return { file: name, genderByActor };
}
