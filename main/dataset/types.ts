import type { SchemeName } from '../schema/datasetSchemes';
import type { Emotion } from './labels';

export { SCHEME_NAMES, type SchemeName } from '../schema/datasetSchemes';

export type Gender = 'female' | 'male';

/** What a scheme reads from one file's path. */
export interface ParsedName {
  label: Emotion;
  /** '' when the scheme cannot tell the speaker. */
  speaker: string;
  gender?: Gender;
  meta?: Record<string, string>;
}

/**
 * A scheme's verdict on one path: parsed; `{ error }` when the name is close enough to the scheme
 * that it must be reported rather than ignored (e.g. an unknown emotion code); null when the path
 * simply does not follow this scheme.
 */
export type ParseOutcome = ParsedName | { error: string } | null;

export interface LabelScheme {
  name: SchemeName;
  /** One line for the researcher: the naming pattern this scheme reads. */
  describe: string;
  /** relPath: relative to the dataset root, forward slashes. */
  parse(relPath: string): ParseOutcome;
}

export interface Clip {
  /** relPath with forward slashes: the stable key used by splits, caches and reports. */
  id: string;
  /** Absolute path. */
  path: string;
  /** Relative to the dataset root, forward slashes (same as id). */
  relPath: string;
  label: Emotion;
  /** '' if unknown. */
  speaker: string;
  gender?: Gender;
  sizeBytes: number;
  mtimeMs: number;
  meta?: Record<string, string>;
}

export interface SkippedFile {
  relPath: string;
  reason: string;
}

export interface ScanResult {
  root: string;
  scheme: SchemeName;
  /** How the scheme was chosen, in words (includes the runner-up share when auto-detected). */
  detection: string;
  /** Sorted by id. */
  clips: Clip[];
  skipped: SkippedFile[];
  /** Labels present, in canonical order. */
  labels: Emotion[];
  /** Known speakers, sorted ('' for unknown is not listed). */
  speakers: string[];
}

export function isParsed(outcome: ParseOutcome): outcome is ParsedName {
  return outcome !== null && !('error' in outcome);
}
