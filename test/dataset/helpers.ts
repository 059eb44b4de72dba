import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach } from 'vitest';
import type { Emotion } from '../../main/dataset';

/** Creates a temporary folder holding the given files (relative paths; empty unless content is given). */
export async function makeTree(files: (string | [string, string])[]): Promise<string> {
  const root = await fsp.mkdtemp(join(tmpdir(), 'ser-dataset-'));
  for (const file of files) {
    const [relPath, content] = typeof file === 'string' ? [file, ''] : file;
    const path = join(root, relPath);
    await fsp.mkdir(dirname(path), { recursive: true });
    await fsp.writeFile(path, content);
  }
  return root;
}

export async function removeTree(root: string): Promise<void> {
  await fsp.rm(root, { recursive: true, force: true });
}

/** A `tree(files)` for one test file: every tree it makes is removed after each test. */
export function useTempTrees(): (files: (string | [string, string])[]) => Promise<string> {
  const roots: string[] = [];
  afterEach(async () => {
    await Promise.all(roots.splice(0).map(removeTree));
  });
  return async (files) => {
    const root = await makeTree(files);
    roots.push(root);
    return root;
  };
}

/** EmoDB-style names for every (speaker, emotion letter) pair, `perPair` versions each. */
export function emodbNames(speakers: string[], letters: string, perPair = 1): string[] {
  const names: string[] = [];
  for (const speaker of speakers) {
    for (const letter of letters) {
      for (let v = 0; v < perPair; v++) names.push(`${speaker}a0${1 + (v % 9)}${letter}${'abcdefgh'[Math.floor(v / 9)]}.wav`);
    }
  }
  return names;
}

export interface FakeClip {
  id: string;
  label: Emotion;
  speaker: string;
}

/** A random corpus: `speakers` speakers, each with its own class mix and clip count. */
export function randomCorpus(
  next: () => number,
  speakers: number,
  labels: Emotion[] = ['anger', 'happiness', 'neutral', 'sadness'],
): FakeClip[] {
  const clips: FakeClip[] = [];
  for (let s = 0; s < speakers; s++) {
    const speaker = `spk${String(s).padStart(2, '0')}`;
    const count = 5 + Math.floor(next() * 40);
    const weights = labels.map(() => 0.2 + next());
    const sum = weights.reduce((a, b) => a + b, 0);
    for (let i = 0; i < count; i++) {
      let r = next() * sum;
      let c = 0;
      while (r > weights[c]! && c < labels.length - 1) r -= weights[c++]!;
      clips.push({ id: `${speaker}/${i}.wav`, label: labels[c]!, speaker });
    }
  }
  return clips;
}
