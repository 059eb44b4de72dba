/**
 * A full disk in the middle of a write: the caller gets the system's clear ENOSPC error, the old
 * file is untouched and no temporary file is left behind.
 */
import { promises as fsp, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { writeFileAtomic, writeJsonAtomic } from '../../main/util/fs';

function enospc(): NodeJS.ErrnoException {
  return Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
}

/** Makes the next opened file accept `bytes` bytes and then fail as a full disk would. */
function fillDiskAfter(bytes: number): void {
  const realOpen = fsp.open.bind(fsp);
  vi.spyOn(fsp, 'open').mockImplementation(async (...args: Parameters<typeof fsp.open>) => {
    const handle = await realOpen(...args);
    handle.writeFile = async (data: string | Uint8Array) => {
      const buffer = typeof data === 'string' ? Buffer.from(data) : data;
      await handle.write(buffer.subarray(0, bytes));
      throw enospc();
    };
    return handle;
  });
}

describe('writes on a full disk', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ser-full-disk-'));
  afterEach(() => vi.restoreAllMocks());

  it('leaves the previous file intact and cleans up', async () => {
    const target = join(dir, 'run.json');
    writeFileSync(target, '{"status":"done"}\n');
    fillDiskAfter(5);
    await expect(writeJsonAtomic(target, { status: 'running', big: 'x'.repeat(10_000) })).rejects.toMatchObject({
      code: 'ENOSPC',
      message: expect.stringContaining('no space left on device'),
    });
    expect(readFileSync(target, 'utf8')).toBe('{"status":"done"}\n');
    expect(readdirSync(dir)).toEqual(['run.json']);
  });

  it('a new file is simply not created', async () => {
    fillDiskAfter(0);
    await expect(writeFileAtomic(join(dir, 'features.bin'), new Uint8Array(1024))).rejects.toMatchObject({ code: 'ENOSPC' });
    expect(readdirSync(dir)).toEqual(['run.json']);
    rmSync(dir, { recursive: true, force: true });
  });
});
