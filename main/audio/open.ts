import { closeSync, constants, fstatSync, openSync, promises as fsp, type Stats } from 'node:fs';
import { AudioError } from './errors';

/**
 * Non-blocking, so that opening a FIFO (or a device) returns at once instead of waiting for a
 * writer and holding one of libuv's few file-I/O threads for ever; reads of a regular file are
 * unaffected. Windows has no O_NONBLOCK and no FIFOs.
 */
export const NON_BLOCKING_READ = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/** What a file-system entry that is not a regular file is, for messages ('a named pipe (FIFO)'). */
export function specialFileKind(stat: Pick<Stats, 'isDirectory' | 'isFIFO' | 'isSocket' | 'isCharacterDevice' | 'isBlockDevice'>): string {
  if (stat.isDirectory()) return 'a folder';
  if (stat.isFIFO()) return 'a named pipe (FIFO)';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

function notRegular(stat: Stats, path: string): AudioError {
  return new AudioError('unreadable', path, `it is ${specialFileKind(stat)}, not a regular file`);
}

/** Opens an audio file for reading; anything but a regular file is refused before a byte is read. */
export async function openRegularFile(path: string): Promise<{ handle: fsp.FileHandle; size: number }> {
  const handle = await fsp.open(path, NON_BLOCKING_READ);
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw notRegular(stat, path);
    return { handle, size: stat.size };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/** openRegularFile with synchronous calls, for worker threads; returns the descriptor. */
export function openRegularFileSync(path: string): { fd: number; size: number } {
  const fd = openSync(path, NON_BLOCKING_READ);
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw notRegular(stat, path);
    return { fd, size: stat.size };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}
