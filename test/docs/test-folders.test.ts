/**
 * Test folders mirror main/: every folder under test/ has a main/ twin (test/pipeline/study/ tests
 * main/pipeline/study/) or sits in a cross-cutting folder that docs/ARCHITECTURE.md's Tests
 * section lists, so a suite cannot drift into a folder that names no part of the engine.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../..');

/** The `- \`test/NAME/\`: why` lines of docs/ARCHITECTURE.md's "## Tests" section. */
function crossCuttingFolders(): string[] {
  const doc = readFileSync(join(ROOT, 'docs/ARCHITECTURE.md'), 'utf8');
  const start = doc.indexOf('\n## Tests');
  if (start < 0) throw new Error('docs/ARCHITECTURE.md has no "## Tests" section');
  const end = doc.indexOf('\n## ', start + 1);
  const section = doc.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/^- `test\/([^`/]+)\/`:/gm)].map((match) => match[1]!);
}

/** Every folder under test/ that holds a file, as a path relative to test/ (empty ones are left over from moves). */
function testFolders(dir = ''): string[] {
  const entries = readdirSync(join(ROOT, 'test', dir), { withFileTypes: true });
  const below = entries.filter((entry) => entry.isDirectory()).flatMap((entry) => testFolders(dir ? `${dir}/${entry.name}` : entry.name));
  return dir && entries.some((entry) => entry.isFile()) ? [dir, ...below] : below;
}

function isMainFolder(path: string): boolean {
  return existsSync(join(ROOT, 'main', path)) && statSync(join(ROOT, 'main', path)).isDirectory();
}

describe('test folders', () => {
  const crossCutting = crossCuttingFolders();

  it('reads the cross-cutting list from docs/ARCHITECTURE.md', () => {
    expect(crossCutting).toContain('hardening');
    expect(crossCutting).toContain('fixtures');
  });

  it('mirror a main/ folder or sit in a documented cross-cutting folder', () => {
    const strays = testFolders().filter((path) => !crossCutting.includes(path.split('/')[0]!) && !isMainFolder(path));
    expect(strays, 'test folders with no main/ twin and not in docs/ARCHITECTURE.md "## Tests"').toEqual([]);
  });

  it('list only cross-cutting folders that exist and have no main/ twin', () => {
    const wrong = crossCutting.filter((name) => !existsSync(join(ROOT, 'test', name)) || isMainFolder(name));
    expect(wrong, 'listed as cross-cutting in docs/ARCHITECTURE.md but missing, or mirroring main/').toEqual([]);
  });

  it('keep no test files at the top of test/', () => {
    const loose = readdirSync(join(ROOT, 'test')).filter((name) => name.endsWith('.ts'));
    expect(loose).toEqual([]);
  });
});
