/**
 * The README's layout section cannot go stale: every folder it lists exists, and every folder of
 * the top level, of main/ and of renderer/src/ is listed.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../..');
/** Folders that are not the project's own: tools, builds, caches. */
const NOT_SOURCE = new Set(['node_modules', 'out', 'dist', 'runs', 'coverage', 'tmp']);

function layoutEntries(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Layout'));
  const block = /```\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error('README.md has no fenced block under "## Layout"');
  return block[1]!
    .split('\n')
    .map((line) => line.split(/\s+/)[0]!)
    .filter((path) => path.endsWith('/'))
    .map((path) => path.replace(/\/$/, ''));
}

function folders(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true })
    .filter((entry) => (entry.isDirectory() || entry.isSymbolicLink()) && !entry.name.startsWith('.') && !NOT_SOURCE.has(entry.name))
    .filter((entry) => statSync(join(ROOT, dir, entry.name)).isDirectory())
    .map((entry) => (dir === '.' ? entry.name : `${dir}/${entry.name}`));
}

describe("README's layout", () => {
  const listed = layoutEntries();

  it('lists only folders that exist', () => {
    const missing = listed.filter((path) => {
      try {
        return !statSync(join(ROOT, path)).isDirectory();
      } catch {
        return true;
      }
    });
    expect(missing, 'listed in README.md "## Layout" but not in the repository').toEqual([]);
  });

  it('lists every folder of the top level, main/ and renderer/src/', () => {
    const actual = [...folders('.'), ...folders('main'), ...folders('renderer/src')];
    expect(
      actual.filter((path) => !listed.includes(path)),
      'folders missing from README.md "## Layout"',
    ).toEqual([]);
  });
});
