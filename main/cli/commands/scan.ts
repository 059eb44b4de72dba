import { probeAudioFile } from '../../audio';
import { formatSummaryTable, scanDataset, summarizeDataset } from '../../dataset';
import { parseCommandArgs, parseSchemeOption, printJson, requirePositional } from '../args';
import { createProgressBar } from '../progress';

export const scanUsage = 'scan DIR [--scheme auto|<scheme>] [--manifest FILE.csv] [--json]';

export async function scanCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs(argv, {
    scheme: { type: 'string' },
    manifest: { type: 'string' },
    json: { type: 'boolean' },
  });
  const root = requirePositional(positionals, 0, 'dataset folder (scan DIR)');
  const scheme = parseSchemeOption(values.scheme);
  const scan = await scanDataset(root, { scheme: scheme ?? 'auto', manifest: values.manifest });
  const bar = createProgressBar('probing');
  const summary = await summarizeDataset(scan, probeAudioFile, {
    onProgress: (done, total) => bar.update(done, total, 'files'),
  });
  bar.finish();
  if (values.json) {
    printJson({
      root: scan.root,
      scheme: scan.scheme,
      detection: scan.detection,
      labels: scan.labels,
      speakers: scan.speakers,
      skipped: scan.skipped,
      summary,
    });
    return;
  }
  process.stdout.write(`${scan.root}\nscheme: ${scan.scheme} (${scan.detection})\n\n`);
  process.stdout.write(formatSummaryTable(summary) + '\n');
  if (scan.skipped.length > 0) {
    process.stdout.write(`\nskipped ${scan.skipped.length} file(s):\n`);
    for (const s of scan.skipped) process.stdout.write(`  ${s.relPath}: ${s.reason}\n`);
  }
}
