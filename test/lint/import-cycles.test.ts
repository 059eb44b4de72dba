/**
 * No import circles among main/'s files: every relative import (type-only ones included, since
 * they tie two modules' meanings together just the same) must leave the graph acyclic. Dynamic
 * `import()` is not counted: it runs late and is the way to load a module on demand.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../..');
const MAIN = join(ROOT, 'main');

const STATIC_IMPORT = /^\s*(?:import|export)\b[^;'"]*?\bfrom\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]/gm;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.ts$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The file a relative specifier names ('./job' → job.ts or job/index.ts); undefined if none. */
function resolveRelative(from: string, specifier: string): string | undefined {
  const base = resolve(dirname(from), specifier.replace(/\.js$/, ''));
  return [`${base}.ts`, join(base, 'index.ts'), base].find((path) => existsSync(path) && statSync(path).isFile());
}

export function relativeImports(file: string, text: string): string[] {
  const targets = new Set<string>();
  for (const match of text.matchAll(STATIC_IMPORT)) {
    const specifier = match[1] ?? match[2]!;
    if (!specifier.startsWith('.')) continue;
    const target = resolveRelative(file, specifier);
    if (target) targets.add(target);
  }
  return [...targets];
}

/** Every strongly connected group of more than one module (or a module importing itself), each sorted. */
export function importCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter++);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, index.get(next)!));
    }
    if (low.get(node) !== index.get(node)) return;
    const group: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      group.push(member);
    } while (member !== node);
    if (group.length > 1 || (graph.get(node) ?? []).includes(node)) cycles.push(group.sort());
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return cycles;
}

describe('import cycles', () => {
  it('finds a circle, and only the modules in it', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a', 'd']],
      ['d', []],
      ['e', ['e']],
    ]);
    expect(importCycles(graph)).toEqual([['a', 'b', 'c'], ['e']]);
  });

  it('reads static, re-exporting and type-only imports across lines, not dynamic ones', () => {
    const file = join(MAIN, 'pipeline/fixture.ts');
    const text = [
      "import type { PreparedPart } from '../features/prepare';",
      'import {',
      '  runTrainingJob,',
      "} from './job';",
      "export { datasetFingerprint } from '../dataset/fingerprint';",
      "const later = await import('./remote');",
      "import * as tf from '@tensorflow/tfjs';",
    ].join('\n');
    expect(relativeImports(file, text).map((path) => relative(MAIN, path))).toEqual([
      'features/prepare.ts',
      'pipeline/job.ts',
      'dataset/fingerprint.ts',
    ]);
  });

  it("main/'s modules import each other without a circle", () => {
    const graph = new Map(sourceFiles(MAIN).map((file) => [file, relativeImports(file, readFileSync(file, 'utf8'))]));
    expect(graph.size).toBeGreaterThan(100);
    const cycles = importCycles(graph).map((group) => group.map((path) => relative(ROOT, path)));
    expect(cycles).toEqual([]);
  });
});
