import { promises as fsp, type Dirent, type Stats } from 'node:fs';
import { extname, join } from 'node:path';
import { specialFileKind } from '../audio';
import { compareIds } from './sort';
import type { SkippedFile } from './types';

export const AUDIO_EXTENSIONS = ['.wav', '.flac', '.mp3', '.ogg'] as const;

export function isAudioFileName(name: string): boolean {
  return (AUDIO_EXTENSIONS as readonly string[]).includes(extname(name).toLowerCase());
}

export interface WalkedFile {
  /** Relative to the root, forward slashes. */
  relPath: string;
  path: string;
  sizeBytes: number;
  mtimeMs: number;
}

export interface WalkResult {
  /** Audio files, sorted by relPath. */
  files: WalkedFile[];
  /** Links and folders that were not followed and audio-named entries that are not regular files, with why. */
  problems: SkippedFile[];
  /** Files seen that are not audio (text, images, CSVs...). */
  otherFileCount: number;
}

function isIgnoredName(name: string): boolean {
  return name.startsWith('.') || name === '__MACOSX';
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Why a listed file could not be stat'ed. A name that is not valid UTF-8 comes back from readdir with
 * U+FFFD in place of its bad bytes, so no string names the file: say so rather than 'ENOENT'.
 */
function unreadableReason(name: string, err: Error): string {
  if (name.includes('\uFFFD') && (err as NodeJS.ErrnoException).code === 'ENOENT') {
    return 'could not be read: the file name is not valid UTF-8 (undecodable bytes shown as \uFFFD); rename the file';
  }
  return `could not be read: ${err.message}`;
}

/**
 * Lists the audio files under root, recursively. Hidden entries and `__MACOSX` are ignored.
 * The real folder tree is walked first and symbolic links afterwards, so a file keeps its real
 * path as id when a link also points at it. Each real folder and each real file is taken once: a
 * link back to an ancestor (a loop) or a second path to the same folder or file is reported, not
 * followed, so the walk always ends and no recording can appear twice (which would leak across
 * splits).
 */
export async function walkAudioFiles(root: string): Promise<WalkResult> {
  const files: WalkedFile[] = [];
  const problems: SkippedFile[] = [];
  const firstPathOfDir = new Map<string, string>();
  const firstPathOfFile = new Map<string, string>();
  const links: { path: string; relPath: string }[] = [];
  let otherFileCount = 0;

  function addFile(path: string, relPath: string, realPath: string, stat: Stats): void {
    if (!stat.isFile()) {
      skipSpecial(relPath, stat);
      return;
    }
    const first = firstPathOfFile.get(realPath);
    if (first !== undefined) {
      problems.push({ relPath, reason: `same file as '${first}' (linked twice; taken once)` });
      return;
    }
    firstPathOfFile.set(realPath, relPath);
    files.push({ relPath, path, sizeBytes: stat.size, mtimeMs: stat.mtimeMs });
  }

  /** FIFOs, sockets and devices are never opened: reading a FIFO waits for a writer for ever. */
  function skipSpecial(relPath: string, kind: Dirent | Stats): void {
    problems.push({ relPath, reason: `${specialFileKind(kind)}, not a regular file (not opened)` });
  }

  async function enterDir(path: string, relPath: string): Promise<void> {
    const realPath = await fsp.realpath(path);
    const first = firstPathOfDir.get(realPath);
    if (first !== undefined) {
      const isLoop = first === '' || relPath.startsWith(`${first}/`);
      problems.push({
        relPath,
        reason: isLoop
          ? `symbolic link loop back to '${first || '.'}' (not followed)`
          : `links to a folder already scanned as '${first}' (not followed twice)`,
      });
      return;
    }
    firstPathOfDir.set(realPath, relPath);
    await visit(path, relPath, realPath);
  }

  async function visit(dir: string, relDir: string, realDir: string): Promise<void> {
    let entries: Dirent[];
    try {
      entries = await fsp.readdir(dir, { withFileTypes: true });
    } catch (err) {
      problems.push({ relPath: relDir || '.', reason: `folder could not be read: ${errorMessage(err)}` });
      return;
    }
    entries = entries.filter((entry) => !isIgnoredName(entry.name)).sort((a, b) => compareIds(a.name, b.name));
    const audio = entries.filter((entry) => entry.isFile() && isAudioFileName(entry.name));
    otherFileCount += entries.filter((entry) => entry.isFile()).length - audio.length;
    const stats = await Promise.all(audio.map((entry) => fsp.stat(join(dir, entry.name)).catch((err: unknown) => err as Error)));
    audio.forEach((entry, i) => {
      const relPath = relDir ? `${relDir}/${entry.name}` : entry.name;
      const stat = stats[i]!;
      if (stat instanceof Error) problems.push({ relPath, reason: unreadableReason(entry.name, stat) });
      else addFile(join(dir, entry.name), relPath, join(realDir, entry.name), stat);
    });
    for (const entry of entries) {
      const relPath = relDir ? `${relDir}/${entry.name}` : entry.name;
      if (entry.isSymbolicLink()) links.push({ path: join(dir, entry.name), relPath });
      else if (entry.isDirectory()) await enterDir(join(dir, entry.name), relPath);
      else if (!entry.isFile() && isAudioFileName(entry.name)) skipSpecial(relPath, entry);
    }
  }

  async function followLink(path: string, relPath: string): Promise<void> {
    let stat: Stats;
    try {
      stat = await fsp.stat(path);
    } catch {
      problems.push({ relPath, reason: 'broken symbolic link' });
      return;
    }
    if (stat.isDirectory()) await enterDir(path, relPath);
    else if (!isAudioFileName(relPath)) {
      if (stat.isFile()) otherFileCount++;
    } else if (!stat.isFile()) skipSpecial(relPath, stat);
    else addFile(path, relPath, await fsp.realpath(path), stat);
  }

  const realRoot = await fsp.realpath(root);
  firstPathOfDir.set(realRoot, '');
  await visit(root, '', realRoot);
  // Links found while following links are appended and handled in turn.
  for (let i = 0; i < links.length; i++) await followLink(links[i]!.path, links[i]!.relPath);
  files.sort((a, b) => compareIds(a.relPath, b.relPath));
  return { files, problems, otherFileCount };
}
