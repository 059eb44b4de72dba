import { resolve } from 'node:path';
import { listRuns } from '../../runs/store';
import { parseCommandArgs, printJson } from '../args';
import { defaultRunsDir } from '../runs-dir';

export const runsUsage = 'runs [--runs-dir D] [--json]';

export async function runsCommand(argv: string[]): Promise<void> {
  const { values } = parseCommandArgs(argv, { 'runs-dir': { type: 'string' }, json: { type: 'boolean' } });
  const runsDir = values['runs-dir'] ? resolve(values['runs-dir']) : defaultRunsDir();
  const runs = await listRuns(runsDir);
  if (values.json) {
    printJson(
      runs.map((run) =>
        run.record ? { ...run.record, dir: run.dir } : { id: run.id, status: 'corrupt', error: run.corrupt.reason, dir: run.dir },
      ),
    );
    return;
  }
  if (runs.length === 0) {
    process.stdout.write(`no runs in ${runsDir}\n`);
    return;
  }
  const rows = runs.map((run) => {
    if (!run.record) return [run.id, 'corrupt', run.corrupt.reason, '-', '-', '-', '-'];
    const { record } = run;
    const best = record.summary?.test.best;
    return [
      run.id,
      record.status,
      record.name,
      String(record.dataset.clips),
      record.bestEpoch !== undefined ? String(record.bestEpoch) : '-',
      best ? (100 * best.accuracy).toFixed(1) : '-',
      best ? (100 * best.uar).toFixed(1) : '-',
    ];
  });
  const header = ['run', 'status', 'name', 'clips', 'best ep', 'test acc %', 'test UAR %'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  process.stdout.write(`${runsDir}\n${line(header)}\n${rows.map(line).join('\n')}\n`);
}
