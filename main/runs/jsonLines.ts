import { promises as fsp } from 'node:fs';

/** Appends one JSON line and flushes it to disk. */
export async function appendJsonLine(path: string, value: unknown): Promise<void> {
  // After a crash the file may end in a torn line; start on a fresh line so the new one stays readable.
  const prefix = (await endsWithNewline(path)) ? '' : '\n';
  const handle = await fsp.open(path, 'a');
  try {
    await handle.writeFile(prefix + JSON.stringify(value) + '\n');
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Reads a JSON-lines file of objects, skipping lines that do not parse (a torn last line after a crash). */
export async function readJsonLines(path: string): Promise<{ lines: Record<string, unknown>[]; skipped: number }> {
  let text: string;
  try {
    text = await fsp.readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { lines: [], skipped: 0 };
    throw err;
  }
  const lines: Record<string, unknown>[] = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const value: unknown = JSON.parse(line);
      if (value && typeof value === 'object' && !Array.isArray(value)) {
        lines.push(value as Record<string, unknown>);
        continue;
      }
    } catch {
      // counted below
    }
    skipped++;
  }
  return { lines, skipped };
}

async function endsWithNewline(path: string): Promise<boolean> {
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw err;
  }
  try {
    const { size } = await handle.stat();
    if (size === 0) return true;
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, size - 1);
    return last[0] === 0x0a;
  } finally {
    await handle.close();
  }
}
