import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkArgs, type ArgSpec } from '../../main/api/args';

const spec = {
  runId: { kind: 'runId' },
  name: { kind: 'runName', optional: true },
  checkpoint: { kind: 'enum', values: ['best', 'final'] },
  force: { kind: 'boolean', optional: true },
  fold: { kind: 'integer', min: 1, optional: true },
  seeds: { kind: 'list', of: { kind: 'integer', min: 0 }, maxItems: 3, minItems: 1, unique: 'seed', optional: true },
  baseline: { kind: 'string', pattern: /^[cf][1-9]\d{0,3}$/, shape: 'a row like c1 or f2', optional: true },
  ref: { kind: 'record', fields: { runId: { kind: 'runId' } }, optional: true },
  config: { kind: 'json' },
} as const satisfies ArgSpec;

const ok = { runId: 'run-1', checkpoint: 'best' };
const fails = (raw: unknown) => expect(() => checkArgs('req', spec, raw));

describe('checkArgs', () => {
  it('passes checked values through and leaves absent optional fields out', () => {
    const args = checkArgs('req', spec, { ...ok, force: true, seeds: [0, 2], ref: { runId: 'a' }, extra: 1 });
    expect(args).toEqual({ runId: 'run-1', checkpoint: 'best', force: true, seeds: [0, 2], ref: { runId: 'a' } });
    const typed: 'best' | 'final' = args.checkpoint;
    expect(typed).toBe('best');
  });

  it('names the request and the field of the first problem', () => {
    fails('x').toThrow('req: arguments must be an object');
    fails({ checkpoint: 'best' }).toThrow("req: 'runId' is required");
    fails({ ...ok, runId: '../etc' }).toThrow(`req: 'runId' is not a run id: "../etc"`);
    fails({ ...ok, checkpoint: 'middle' }).toThrow(`req: 'checkpoint' must be one of best, final (got "middle")`);
    fails({ ...ok, force: 'yes' }).toThrow("req: 'force' must be true or false");
    fails({ ...ok, fold: 0 }).toThrow("req: 'fold' must be a whole number ≥ 1");
    fails({ ...ok, fold: 1.5 }).toThrow("req: 'fold' must be a whole number ≥ 1");
    fails({ ...ok, seeds: [] }).toThrow("req: 'seeds' needs at least 1 entries");
    fails({ ...ok, seeds: [1, 2, 3, 4] }).toThrow("req: 'seeds' has more than 3 entries");
    fails({ ...ok, seeds: [1, 1] }).toThrow("req: 'seeds' lists a seed twice");
    fails({ ...ok, seeds: [1, -1] }).toThrow("req: 'seeds[1]' must be a whole number ≥ 0");
    fails({ ...ok, baseline: 'x1' }).toThrow(`req: 'baseline' must be a row like c1 or f2 (got "x1")`);
    fails({ ...ok, ref: { runId: 3 } }).toThrow("req (ref): 'runId' must be a non-empty string");
    fails({ ...ok, name: 'x'.repeat(5000) }).toThrow("req: 'name' is too long");
    fails({ ...ok, runId: '  ' }).toThrow(expect.objectContaining({ code: 'invalid-arguments' }));
  });

  it('checks objects for field tables, feature overrides and alternative shapes', () => {
    const table = {
      config: { kind: 'object', without: ['seed', 'split'], because: 'a study sets them' },
      features: { kind: 'features' },
      file: {
        kind: 'record',
        fields: { path: { kind: 'string', optional: true }, data: { kind: 'string', optional: true } },
        oneOf: [['path'], ['data']],
      },
      parallel: { kind: 'integer', min: 1, max: 64, optional: true },
    } as const satisfies ArgSpec;
    const args = checkArgs('req', table, { config: { epochs: 3 }, file: { path: 'a.wav' } });
    expect(args.features.nMfcc).toBeGreaterThan(0);
    expect(args.config).toEqual({ epochs: 3 });
    const check = (raw: object) => () => checkArgs('req', table, { config: {}, file: { path: 'a.wav' }, ...raw });
    expect(check({ config: { split: {} } })).toThrow("req: the config may not set 'seed' or 'split': a study sets them");
    expect(check({ config: [] })).toThrow('req (config): arguments must be an object');
    expect(check({ features: { nMfcc: 'many' } })).toThrow(/^req \(features\): .*nMfcc/);
    expect(check({ file: { path: 'a.wav', data: 'AAAA' } })).toThrow('req (file): must be {path} or {data}');
    expect(check({ file: {} })).toThrow('req (file): must be {path} or {data}');
    expect(check({ parallel: 0 })).toThrow("req: 'parallel' must be a whole number from 1 to 64 (got 0)");
  });

  it('checks that a folder exists before the handler sees it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'args-'));
    writeFileSync(join(dir, 'file'), '');
    const folder = { root: { kind: 'path', exists: 'folder' } } as const satisfies ArgSpec;
    expect(checkArgs('req', folder, { root: dir })).toEqual({ root: dir });
    expect(() => checkArgs('req', folder, { root: join(dir, 'missing') })).toThrow(expect.objectContaining({ code: 'not-found' }));
    expect(() => checkArgs('req', folder, { root: join(dir, 'file') })).toThrow(`req: not a folder: ${join(dir, 'file')}`);
  });
});
