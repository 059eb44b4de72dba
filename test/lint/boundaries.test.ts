import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../..');
const FIXTURES = join(ROOT, 'test/fixtures/lint');

let eslint: ESLint;
beforeAll(async () => {
  eslint = new ESLint({ cwd: ROOT });
  await eslint.lintText('', { filePath: join(ROOT, 'main/warm-up.ts') }); // loads the config and the TypeScript parser
}, 180_000);

interface Problem {
  rule: string | null;
  line: number;
  message: string;
}

/** Lints a fixture as if it lived at `pretendPath` (repo-relative) and returns its errors. */
async function lintAs(fixture: string, pretendPath: string): Promise<Problem[]> {
  const [result] = await eslint.lintText(readFileSync(join(FIXTURES, fixture), 'utf8'), { filePath: join(ROOT, pretendPath) });
  return result!.messages.filter((m) => m.severity === 2).map((m) => ({ rule: m.ruleId, line: m.line, message: m.message }));
}

describe('the layer rule (ser/layers)', () => {
  it('refuses a lower layer importing a higher one, naming both and the order', async () => {
    const problems = await lintAs('runs-imports-training.txt', 'main/runs/fixture.ts');
    expect(problems).toEqual([
      {
        rule: 'ser/layers',
        line: 2,
        message: expect.stringMatching(
          /^main\/runs may not import main\/training: layers only import downwards \(util schema < audio < .* < pipeline < api cli serve/,
        ),
      },
    ]);
  });

  it('accepts imports of the same layer and the layers below, and packages', async () => {
    expect(await lintAs('runs-imports-below.txt', 'main/runs/fixture.ts')).toEqual([]);
  });

  it('resolves imports from nested folders, and checks re-exports and dynamic imports too', async () => {
    const problems = await lintAs('kernel-imports-pipeline.txt', 'main/compute/kernels/fixture.ts');
    expect(problems.map((p) => [p.rule, p.line, p.message.split(':')[0]])).toEqual([
      ['ser/layers', 2, 'main/compute may not import main/pipeline'],
      ['ser/layers', 4, 'main/compute may not import main/training'],
    ]);
  });

  it('refuses the engine importing a door', async () => {
    const problems = await lintAs('pipeline-imports-door.txt', 'main/pipeline/fixture.ts');
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message).toMatch(/^main\/pipeline may not import main\/api \(a door: the engine never imports a door\)/);
  });

  it('lets a door import the engine', async () => {
    expect(await lintAs('pipeline-imports-door.txt', 'main/cli/fixture.ts')).toEqual([]);
  });
});

describe('the renderer', () => {
  it("imports from main/ only the contract's types and main/schema, and nothing Node", async () => {
    const problems = await lintAs('renderer-imports.txt', 'renderer/src/fixture.ts');
    expect(problems.map((p) => [p.rule, p.line])).toEqual([
      ['ser/layers', 5],
      ['ser/layers', 6],
      ['no-restricted-imports', 7],
    ]);
    expect(problems[0]!.message).toContain('values from main/api/contract (import its types only');
    expect(problems[1]!.message).toContain('may not import main/runs/store');
  });

  it('is held to the same rule inside a .vue component', async () => {
    const problems = await lintAs('renderer-component.txt', 'renderer/src/components/Fixture.vue');
    expect(problems.map((p) => [p.rule, p.line])).toEqual([['ser/layers', 3]]);
  });
});

it('main/schema stays Node-free (the renderer reads it)', async () => {
  const problems = await lintAs('schema-imports-node.txt', 'main/schema/fixture.ts');
  expect(problems.map((p) => [p.rule, p.line])).toEqual([
    ['no-restricted-imports', 2],
    ['no-restricted-imports', 3],
    ['ser/layers', 4],
  ]);
});
