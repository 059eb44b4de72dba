import { promises as fsp } from 'node:fs';
import { basename, resolve } from 'node:path';
import { readCremaDDemographics } from './demographics';
import { DatasetError } from './errors';
import { sortEmotions } from './labels';
import { findRootManifests, readManifest, type Manifest } from './manifest';
import { createCremaDScheme, createCsvScheme, emodbScheme, folderPerClassScheme, ravdessScheme, saveeScheme, tessScheme } from './schemes';
import { compareIds, compareNatural } from './sort';
import { isParsed, type Clip, type LabelScheme, type ParsedName, type ScanResult, type SchemeName, type SkippedFile } from './types';
import { walkAudioFiles, type WalkedFile, type WalkResult } from './walk';

export type { Clip, ScanResult, SchemeName, SkippedFile } from './types';

export interface ScanOptions {
  /** 'auto' (default) detects the scheme; a name forces it. */
  scheme?: SchemeName | 'auto';
  /** A CSV manifest (absolute, or relative to root); implies the csv scheme. */
  manifest?: string;
}

function formatShare(count: number, total: number): string {
  return `${Math.floor((1000 * count) / total) / 10}%`;
}

function toClip(file: WalkedFile, parsed: ParsedName): Clip {
  const clip: Clip = {
    id: file.relPath,
    path: file.path,
    relPath: file.relPath,
    label: parsed.label,
    speaker: parsed.speaker,
    sizeBytes: file.sizeBytes,
    mtimeMs: file.mtimeMs,
  };
  if (parsed.gender) clip.gender = parsed.gender;
  if (parsed.meta) clip.meta = parsed.meta;
  return clip;
}

function finish(root: string, scheme: SchemeName, detection: string, clips: Clip[], skipped: SkippedFile[]): ScanResult {
  clips.sort((a, b) => compareIds(a.id, b.id));
  skipped.sort((a, b) => compareIds(a.relPath, b.relPath));
  const speakers = [...new Set(clips.map((clip) => clip.speaker).filter((speaker) => speaker !== ''))].sort(compareNatural);
  return { root, scheme, detection, clips, skipped, labels: sortEmotions(clips.map((clip) => clip.label)), speakers };
}

function examples(skipped: SkippedFile[]): string {
  const shown = skipped.slice(0, 3).map((s) => `${s.relPath}: ${s.reason}`);
  return shown.length > 0 ? ` (for example ${shown.join('; ')})` : '';
}

/** The file-name schemes in tie-break order: specific corpora first, the generic folder scheme last. */
async function nameSchemes(root: string): Promise<{ schemes: LabelScheme[]; notes: Partial<Record<SchemeName, string>> }> {
  const notes: Partial<Record<SchemeName, string>> = {};
  let cremaD = createCremaDScheme();
  try {
    const demographics = await readCremaDDemographics(root);
    if (demographics) {
      cremaD = createCremaDScheme(demographics.genderByActor);
      notes['crema-d'] = `genders from ${demographics.file}`;
    }
  } catch (err) {
    notes['crema-d'] = `genders unknown: ${(err as Error).message}`;
  }
  return { schemes: [cremaD, ravdessScheme, emodbScheme, tessScheme, saveeScheme, folderPerClassScheme], notes };
}

function applyScheme(root: string, walk: WalkResult, scheme: LabelScheme, detection: string): ScanResult {
  const clips: Clip[] = [];
  const skipped: SkippedFile[] = [...walk.problems];
  for (const file of walk.files) {
    const outcome = scheme.parse(file.relPath);
    if (outcome === null) skipped.push({ relPath: file.relPath, reason: `name does not follow ${scheme.describe}` });
    else if (isParsed(outcome)) clips.push(toClip(file, outcome));
    else skipped.push({ relPath: file.relPath, reason: outcome.error });
  }
  if (clips.length === 0) {
    throw new DatasetError(
      `none of the ${walk.files.length} audio files in ${root} could be read with the ${scheme.name} scheme` +
        `, which expects ${scheme.describe}${examples(skipped)}`,
    );
  }
  return finish(root, scheme.name, detection, clips, skipped);
}

async function applyManifest(root: string, walk: WalkResult, manifest: Manifest, detection: string): Promise<ScanResult> {
  const scheme = createCsvScheme(manifest);
  const clips: Clip[] = [];
  const skipped: SkippedFile[] = [...walk.problems, ...manifest.problems];
  const stats = await Promise.all(manifest.rows.map((row) => fsp.stat(row.path).catch(() => null)));
  manifest.rows.forEach((row, i) => {
    const stat = stats[i]!;
    if (!isParsed(row.outcome)) skipped.push({ relPath: row.relPath, reason: row.outcome.error });
    else if (!stat) skipped.push({ relPath: row.relPath, reason: `row ${row.row}: file not found (${row.path})` });
    else if (!stat.isFile()) skipped.push({ relPath: row.relPath, reason: `row ${row.row}: not a file (${row.path})` });
    else {
      const file = { relPath: row.relPath, path: row.path, sizeBytes: stat.size, mtimeMs: stat.mtimeMs };
      clips.push(toClip(file, row.outcome));
    }
  });
  const manifestName = basename(manifest.path);
  for (const file of walk.files) {
    if (scheme.parse(file.relPath) === null) {
      skipped.push({ relPath: file.relPath, reason: `not listed in the manifest ${manifestName}` });
    }
  }
  if (clips.length === 0) {
    throw new DatasetError(`the manifest ${manifest.path} lists no usable audio files${examples(skipped)}`);
  }
  return finish(root, 'csv', detection, clips, skipped);
}

function autoDetect(root: string, walk: WalkResult, schemes: LabelScheme[]): { scheme: LabelScheme; detection: string } {
  const total = walk.files.length;
  const ranked = schemes
    .map((scheme, priority) => ({
      scheme,
      priority,
      parsed: walk.files.filter((file) => isParsed(scheme.parse(file.relPath))).length,
    }))
    .sort((a, b) => b.parsed - a.parsed || a.priority - b.priority);
  const best = ranked[0]!;
  const runnerUp = ranked[1]!;
  const runnerUpText = `runner-up ${runnerUp.scheme.name} ${formatShare(runnerUp.parsed, total)}`;
  if (best.parsed === 0) {
    throw new DatasetError(
      `no known naming scheme fits the ${total} audio files in ${root} (tried CREMA-D, RAVDESS, EmoDB, TESS, SAVEE ` +
        `and one folder per emotion). Sort the files into folders named after emotions, or add a CSV manifest ` +
        `with columns path,label[,speaker][,gender].`,
    );
  }
  if (best.parsed * 2 <= total) {
    throw new DatasetError(
      `no naming scheme fits most of the ${total} audio files in ${root}: the best, ${best.scheme.name}, reads ` +
        `${best.parsed} (${formatShare(best.parsed, total)}), ${runnerUpText}. Choose the scheme explicitly or ` +
        `add a CSV manifest.`,
    );
  }
  // Folder-per-class loses ties: a corpus scheme reads the same labels and also knows speakers.
  if (runnerUp.parsed === best.parsed && runnerUp.scheme.name !== 'folder-per-class') {
    throw new DatasetError(
      `the files in ${root} fit both ${best.scheme.name} and ${runnerUp.scheme.name} equally ` +
        `(${formatShare(best.parsed, total)}); choose the scheme explicitly.`,
    );
  }
  return {
    scheme: best.scheme,
    detection:
      `auto-detected ${best.scheme.name}: ${best.parsed} of ${total} audio files ` +
      `(${formatShare(best.parsed, total)}) follow ${best.scheme.describe}; ${runnerUpText}`,
  };
}

async function checkRoot(root: string): Promise<void> {
  let stat;
  try {
    stat = await fsp.stat(root);
  } catch {
    throw new DatasetError(`dataset folder not found: ${root}`);
  }
  if (!stat.isDirectory()) throw new DatasetError(`the dataset must be a folder, but ${root} is a file`);
}

/**
 * Reads a dataset folder: lists its audio files, decides how labels and speakers are encoded
 * (CSV manifest at the root, else the naming scheme that reads a clear majority of the files, or
 * the scheme the caller names), and returns one clip per readable file plus every file that was
 * left out, with why.
 */
export async function scanDataset(root: string, options: ScanOptions = {}): Promise<ScanResult> {
  const absRoot = resolve(root);
  await checkRoot(absRoot);
  const schemeOption = options.scheme ?? 'auto';
  if (options.manifest && schemeOption !== 'auto' && schemeOption !== 'csv') {
    throw new DatasetError(`a manifest was given with the ${schemeOption} scheme; a manifest implies the csv scheme`);
  }
  const walk = await walkAudioFiles(absRoot);

  let manifestPath: string | null = options.manifest ? resolve(absRoot, options.manifest) : null;
  let manifestReason = manifestPath ? `manifest ${manifestPath} given explicitly` : '';
  if (!manifestPath && (schemeOption === 'auto' || schemeOption === 'csv')) {
    const found = await findRootManifests(absRoot);
    if (found.length > 1) {
      throw new DatasetError(`several CSV manifests in ${absRoot} (${found.map((f) => basename(f)).join(', ')}); choose one explicitly`);
    }
    if (found.length === 1) {
      manifestPath = found[0]!;
      manifestReason = `CSV manifest ${basename(manifestPath)} at the dataset root (path and label columns)`;
    } else if (schemeOption === 'csv') {
      throw new DatasetError(`the csv scheme needs a manifest, and ${absRoot} has no CSV with path and label columns`);
    }
  }
  if (manifestPath) {
    const manifest = await readManifest(manifestPath, absRoot);
    return applyManifest(absRoot, walk, manifest, manifestReason);
  }

  if (walk.files.length === 0) {
    const others = walk.otherFileCount > 0 ? ` (${walk.otherFileCount} other files were found)` : '';
    throw new DatasetError(`no audio files (.wav .flac .mp3 .ogg) in ${absRoot}${others}`);
  }
  const { schemes, notes } = await nameSchemes(absRoot);
  let chosen: { scheme: LabelScheme; detection: string };
  if (schemeOption === 'auto') {
    chosen = autoDetect(absRoot, walk, schemes);
  } else {
    const scheme = schemes.find((s) => s.name === schemeOption);
    if (!scheme) throw new DatasetError(`unknown scheme '${schemeOption}'`);
    chosen = { scheme, detection: `scheme ${scheme.name} chosen explicitly` };
  }
  const note = notes[chosen.scheme.name];
  return applyScheme(absRoot, walk, chosen.scheme, note ? `${chosen.detection}; ${note}` : chosen.detection);
}
