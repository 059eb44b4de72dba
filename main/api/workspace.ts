/**
 * Where the app reads and writes, and which paths a request may touch (compared by real path, so
 * neither `../` nor a link escapes). The rule: a request reads exactly (a) the clips listed by
 * `dataset.open` or by an evaluation shown this session — wherever they live (a study member's
 * evaluation: only those under the dataset root its study records), and nothing else beside them;
 * (b) files inside run folders (holding run.json) of the runs folder, and the app's own uploads and
 * demo folders, and inside member run folders of the studies listed (those in the runs folder and
 * those opened); (c) files the user picked or opened the app with. Opening or
 * choosing a folder never makes the folder as a whole readable.
 */
import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { BackendName } from '../schema/backend';
import { studyRunsDir } from '../pipeline/study/paths';
import { RUN_FILE, STUDY_FILE, STUDY_FOLDERS } from '../schema/files';
import { ApiError } from './validate';

export interface WorkspaceOptions {
  runsDir: string;
  cacheDir: string;
  /** Files uploaded for prediction (serve mode and drag-and-drop) are stored here. */
  uploadsDir: string;
  demoDatasetPath: string;
  backendPreference?: BackendName | 'auto';
}

function realOrResolved(path: string): string {
  const absolute = resolve(path);
  try {
    return realpathSync(absolute);
  } catch {
    return absolute;
  }
}

/** `child` below `parent`, as its path segments (empty when equal); null when outside. */
function segmentsBelow(child: string, parent: string): string[] | null {
  const rel = relative(parent, child);
  if (rel === '') return [];
  if (isAbsolute(rel) || rel.split(sep)[0] === '..') return null;
  return rel.split(sep);
}

export class Workspace {
  runsDir: string;
  readonly cacheDir: string;
  readonly uploadsDir: string;
  readonly demoDatasetPath: string;
  backendPreference: BackendName | 'auto';
  private readonly files = new Set<string>();
  private readonly datasetRoots = new Set<string>();
  private readonly openedStudies = new Set<string>();
  private readonly encoderDirs = new Set<string>();

  constructor(options: WorkspaceOptions) {
    this.runsDir = resolve(options.runsDir);
    this.cacheDir = resolve(options.cacheDir);
    this.uploadsDir = resolve(options.uploadsDir);
    this.demoDatasetPath = resolve(options.demoDatasetPath);
    this.backendPreference = options.backendPreference ?? 'auto';
    this.datasetRoots.add(realOrResolved(this.demoDatasetPath));
  }

  async ensureFolders(): Promise<void> {
    await mkdir(this.runsDir, { recursive: true });
    await mkdir(this.uploadsDir, { recursive: true });
  }

  setRunsDir(dir: string): void {
    this.runsDir = resolve(dir);
  }

  /** `dataset.open` listed these clips: they may be read, and the folder itself named by features and training requests. */
  allowDataset(root: string, clipPaths: Iterable<string>): void {
    this.datasetRoots.add(realOrResolved(root));
    for (const path of clipPaths) this.files.add(realOrResolved(path));
  }

  /** The user picked, dropped or opened the app with this file (or an evaluation shown to them lists it). */
  allowFile(path: string): void {
    this.files.add(realOrResolved(path));
  }

  /**
   * A study member's evaluation lists these clips: only those under the dataset root the study
   * records may be read (a study folder from elsewhere must not make any other path readable).
   */
  allowStudyClips(datasetRoot: string, clipPaths: Iterable<string>): void {
    const root = realOrResolved(datasetRoot);
    for (const path of clipPaths) {
      const real = realOrResolved(path);
      const below = segmentsBelow(real, root);
      if (below !== null && below.length > 0) this.files.add(real);
    }
  }

  /** The user chose this encoder folder (encoders.open): feature configs may name it. */
  allowEncoder(dir: string): void {
    this.encoderDirs.add(realOrResolved(dir));
  }

  /** The real path of an encoder folder the user chose this session; a 'forbidden' ApiError for any other. */
  confineEncoder(dir: string, request: string): string {
    const real = this.realPath(dir, request);
    if (this.encoderDirs.has(real)) return real;
    throw new ApiError(
      'forbidden',
      `${request}: the encoder folder ${dir} was not chosen this session (choose it in the Features form: encoders.open)`,
    );
  }

  /** The user opened this study folder (made elsewhere: CLI, a cluster). */
  allowStudy(dir: string): void {
    this.openedStudies.add(realOrResolved(dir));
  }

  /**
   * Study folders (holding study.json) the app lists: the runs folder itself, its subfolders, the
   * study whose runs/ it is, and those opened — real paths, in that order, without repeats.
   */
  studyDirs(): string[] {
    const runsDir = realOrResolved(this.runsDir);
    const candidates = [runsDir];
    try {
      for (const entry of readdirSync(runsDir, { withFileTypes: true }))
        if (entry.isDirectory()) candidates.push(join(runsDir, entry.name));
    } catch {
      // A runs folder not created yet holds no studies.
    }
    if (basename(runsDir) === STUDY_FOLDERS.runs) candidates.push(dirname(runsDir));
    const found = candidates.filter((dir) => existsSync(join(dir, STUDY_FILE)));
    return [...new Set([...found, ...this.openedStudies])];
  }

  /** The real path of a listed study folder; a 'forbidden' ApiError for any other folder. */
  confineStudy(dir: string, request: string): string {
    const real = this.realPath(dir, request);
    if (this.studyDirs().includes(real)) return real;
    throw new ApiError(
      'forbidden',
      `${request}: ${dir} is not a study this session lists (open it with studies.open, or choose its runs folder)`,
    );
  }

  /** The real path of `path` if a request may read it; a 'forbidden' ApiError otherwise. */
  confine(path: string, request: string): string {
    const real = this.realPath(path, request);
    if (this.files.has(real) || this.datasetRoots.has(real) || this.inRunFolder(real) || this.inStudyMember(real) || this.inAppFolder(real))
      return real;
    throw new ApiError(
      'forbidden',
      `${request}: ${path} is outside what this session opened (the clips of opened datasets, run folders, files you picked)`,
    );
  }

  private realPath(path: string, request: string): string {
    if (path.includes('\0')) throw new ApiError('invalid-arguments', `${request}: the path contains a NUL byte`);
    return realOrResolved(path);
  }

  private inAppFolder(real: string): boolean {
    return [this.uploadsDir, this.demoDatasetPath].some((folder) => segmentsBelow(real, realOrResolved(folder)) !== null);
  }

  private inRunFolder(real: string, runsDir = realOrResolved(this.runsDir)): boolean {
    const below = segmentsBelow(real, runsDir);
    return below !== null && below.length > 0 && existsSync(join(runsDir, below[0]!, RUN_FILE));
  }

  private inStudyMember(real: string): boolean {
    return this.studyDirs().some((study) => this.inRunFolder(real, studyRunsDir(study)));
  }
}
