/**
 * Where the app reads and writes, and which paths a request may touch. File access is confined to
 * what the user opened: dataset folders they opened, the runs folder, files they picked or
 * uploaded, and the bundled demo set. Paths are compared after resolving symlinks, so neither
 * `../` nor a link can reach outside.
 */
import { realpathSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { BackendName } from '../compute/backend-info';
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

function isInside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel) && rel.split(sep)[0] !== '..');
}

export class Workspace {
  runsDir: string;
  readonly cacheDir: string;
  readonly uploadsDir: string;
  readonly demoDatasetPath: string;
  backendPreference: BackendName | 'auto';
  private readonly roots = new Set<string>();
  private readonly files = new Set<string>();

  constructor(options: WorkspaceOptions) {
    this.runsDir = resolve(options.runsDir);
    this.cacheDir = resolve(options.cacheDir);
    this.uploadsDir = resolve(options.uploadsDir);
    this.demoDatasetPath = resolve(options.demoDatasetPath);
    this.backendPreference = options.backendPreference ?? 'auto';
    for (const root of [this.runsDir, this.uploadsDir, this.demoDatasetPath]) this.allowFolder(root);
  }

  async ensureFolders(): Promise<void> {
    await mkdir(this.runsDir, { recursive: true });
    await mkdir(this.uploadsDir, { recursive: true });
  }

  setRunsDir(dir: string): void {
    this.runsDir = resolve(dir);
    this.allowFolder(this.runsDir);
  }

  /** The user opened this folder (a dataset, a runs folder): paths inside it may be read. */
  allowFolder(path: string): void {
    this.roots.add(realOrResolved(path));
  }

  /** The user picked this file. */
  allowFile(path: string): void {
    this.files.add(realOrResolved(path));
  }

  /** The real path of `path` if a request may read it; a 'forbidden' ApiError otherwise. */
  confine(path: string, request: string): string {
    if (path.includes('\0')) throw new ApiError('invalid-arguments', `${request}: the path contains a NUL byte`);
    const real = realOrResolved(path);
    if (this.files.has(real)) return real;
    for (const root of this.roots) if (isInside(real, root)) return real;
    throw new ApiError('forbidden', `${request}: ${path} is outside the folders opened in this session (open its dataset or run folder first)`);
  }

  uploadPath(name: string): string {
    return join(this.uploadsDir, name);
  }
}
