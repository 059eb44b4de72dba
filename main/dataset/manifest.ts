import { promises as fsp } from 'node:fs';
import { dirname, isAbsolute, join, normalize, relative, resolve, sep } from 'node:path';
import { NON_BLOCKING_READ, specialFileKind } from '../audio';
import { parseCsv } from './csv';
import { DatasetError } from './errors';
import { normalizeEmotionLabel } from './labels';
import type { ManifestEntries } from './schemes';
import type { Gender, ParsedName, SkippedFile } from './types';
import { isAudioFileName } from './walk';

const COLUMN_NAMES = {
  path: ['path', 'file', 'filename', 'filepath', 'file_path'],
  label: ['label', 'emotion'],
  speaker: ['speaker', 'speaker_id', 'actor', 'actor_id'],
  gender: ['gender', 'sex'],
} as const;
type Column = keyof typeof COLUMN_NAMES;

export type ManifestColumns = Partial<Record<Column, number>>;

/** Finds the manifest columns in a header row (case-insensitive, with a few common aliases). */
export function findManifestColumns(header: readonly string[]): ManifestColumns {
  const names = header.map((cell) => cell.trim().toLowerCase().replace(/\s+/g, '_'));
  const columns: ManifestColumns = {};
  for (const column of Object.keys(COLUMN_NAMES) as Column[]) {
    const index = names.findIndex((name) => (COLUMN_NAMES[column] as readonly string[]).includes(name));
    if (index >= 0) columns[column] = index;
  }
  return columns;
}

export function isManifestHeader(header: readonly string[]): boolean {
  const columns = findManifestColumns(header);
  return columns.path !== undefined && columns.label !== undefined;
}

export interface ManifestRow {
  /** Row number as a spreadsheet shows it: the header is row 1. */
  row: number;
  relPath: string;
  path: string;
  outcome: ParsedName | { error: string };
}

export interface Manifest extends ManifestEntries {
  /** Rows that name a file, in file order (a row with a bad label is here with its error). */
  rows: ManifestRow[];
  /** Rows that could not be tied to a file at all (empty path, duplicate path). */
  problems: SkippedFile[];
}

/** Converts an absolute path into the dataset's relPath form (relative to root, forward slashes). */
export function toRelPath(root: string, path: string): string {
  return relative(root, path).split(sep).join('/');
}

function parseGender(raw: string): Gender | null | undefined {
  const value = raw.trim().toLowerCase();
  if (value === '') return undefined;
  if (['f', 'female', 'w', 'woman'].includes(value)) return 'female';
  if (['m', 'male', 'man'].includes(value)) return 'male';
  return null;
}

/** Enough of a CSV file to hold its header row. */
const HEADER_BYTES = 64 * 1024;

/**
 * The text of a CSV file, or only its first `limit` bytes. Opened non-blocking and checked to be
 * a regular file first, so a FIFO named .csv is refused instead of waiting for a writer.
 */
async function readCsvText(path: string, limit = Infinity): Promise<string> {
  const handle = await fsp.open(path, NON_BLOCKING_READ);
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new DatasetError(`the manifest ${path} is ${specialFileKind(stat)}, not a regular file`);
    if (limit >= stat.size) return await handle.readFile('utf8');
    const head = Buffer.alloc(limit);
    const { bytesRead } = await handle.read(head, 0, limit, 0);
    return head.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

async function readCsvFile(path: string): Promise<string[][]> {
  let text: string;
  try {
    text = await readCsvText(path);
  } catch (err) {
    if (err instanceof DatasetError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new DatasetError(
      code === 'ENOENT' ? `manifest not found: ${path}` : `manifest ${path} could not be read: ${(err as Error).message}`,
    );
  }
  try {
    return parseCsv(text);
  } catch (err) {
    throw new DatasetError(`the manifest ${path} is not valid CSV: ${(err as Error).message}`);
  }
}

/**
 * Reads a manifest `path,label[,speaker][,gender]`: header row required, paths relative to the
 * manifest's folder or absolute. A missing required column fails the whole manifest; a bad row
 * (unknown label or gender, duplicate path, not an audio file) is kept with its reason so the
 * scan can report it as skipped. Whether each file exists is checked by the scan.
 */
export async function readManifest(manifestPath: string, root: string): Promise<Manifest> {
  const records = await readCsvFile(manifestPath);
  const header = records[0];
  if (!header) throw new DatasetError(`manifest ${manifestPath} is empty; expected a header row path,label[,speaker][,gender]`);
  const columns = findManifestColumns(header);
  const missing = (['path', 'label'] as const).filter((column) => columns[column] === undefined);
  if (missing.length > 0) {
    throw new DatasetError(
      `manifest ${manifestPath} has no ${missing.map((c) => `'${c}'`).join(' or ')} column ` +
        `(header: ${header.join(', ')}); expected a header row path,label[,speaker][,gender]`,
    );
  }

  const baseDir = dirname(manifestPath);
  const rows: ManifestRow[] = [];
  const problems: SkippedFile[] = [];
  const rowOfPath = new Map<string, number>();
  const cell = (record: string[], column: Column): string => {
    const index = columns[column];
    return index === undefined ? '' : (record[index] ?? '').trim();
  };

  for (let i = 1; i < records.length; i++) {
    const record = records[i]!;
    const row = i + 1;
    const rawPath = cell(record, 'path');
    if (rawPath === '') {
      problems.push({ relPath: `${toRelPath(root, manifestPath)} row ${row}`, reason: `row ${row}: empty path` });
      continue;
    }
    const path = isAbsolute(rawPath) ? normalize(rawPath) : resolve(baseDir, rawPath);
    const relPath = toRelPath(root, path);
    const firstRow = rowOfPath.get(path);
    if (firstRow !== undefined) {
      problems.push({ relPath, reason: `row ${row}: duplicate of row ${firstRow}` });
      continue;
    }
    rowOfPath.set(path, row);
    rows.push({ row, relPath, path, outcome: parseRow(record, row) });
  }

  function parseRow(record: string[], row: number): ParsedName | { error: string } {
    const rawPath = cell(record, 'path');
    if (!isAudioFileName(rawPath)) return { error: `row ${row}: not an audio file (.wav .flac .mp3 .ogg)` };
    const rawLabel = cell(record, 'label');
    if (rawLabel === '') return { error: `row ${row}: empty label` };
    const label = normalizeEmotionLabel(rawLabel);
    if (!label) return { error: `row ${row}: unknown label '${rawLabel}'` };
    const parsed: ParsedName = { label, speaker: cell(record, 'speaker') };
    const gender = parseGender(cell(record, 'gender'));
    if (gender === null) return { error: `row ${row}: unknown gender '${cell(record, 'gender')}' (use female/male or leave empty)` };
    if (gender) parsed.gender = gender;
    return parsed;
  }

  const entries = new Map(rows.map((r) => [r.relPath, r.outcome] as const));
  return { path: manifestPath, entries, rows, problems };
}

/**
 * CSV files directly in root whose header has path and label columns, sorted by name. Only the
 * header row is read here, so a manifest with a broken row further down is still found (and its
 * parse error reported when it is read) instead of being passed over for the naming schemes.
 */
export async function findRootManifests(root: string): Promise<string[]> {
  const names = (await fsp.readdir(root)).filter((name) => !name.startsWith('.') && name.toLowerCase().endsWith('.csv'));
  const manifests: string[] = [];
  for (const name of names.sort()) {
    const path = join(root, name);
    try {
      const text = await readCsvText(path, HEADER_BYTES);
      const header = parseCsv(/^[^\r\n]*/.exec(text)![0])[0];
      if (header && isManifestHeader(header)) manifests.push(path);
    } catch {
      // Not a regular file, not readable, or no CSV header row: not a manifest.
    }
  }
  return manifests;
}
