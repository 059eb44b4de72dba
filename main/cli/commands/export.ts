import { EXPORT_FORMATS, exportOnnx } from '../../pipeline/export/exportOnnx';
import { CliError, parseChoice, parseCommandArgs, printJson, requirePositional } from '../args';

export const exportUsage =
  'export RUN_OR_CHECKPOINT --format onnx [--checkpoint best|final] [--out DIR] [--force] [--json]   ' +
  '(default folder: RUN/exports/onnx-CHECKPOINT)';

export async function exportCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs(argv, {
    format: { type: 'string' },
    checkpoint: { type: 'string' },
    out: { type: 'string' },
    force: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  const source = requirePositional(positionals, 0, 'run or checkpoint folder (export RUN --format onnx)');
  if (positionals.length > 1) throw new CliError('export takes one run or checkpoint folder');
  if (values.format === undefined) throw new CliError(`--format is required (one of ${EXPORT_FORMATS.join(', ')})`);
  parseChoice(values.format, 'format', EXPORT_FORMATS);
  const result = await exportOnnx({
    source,
    checkpoint: parseChoice(values.checkpoint, 'checkpoint', ['best', 'final'] as const),
    ...(values.out !== undefined && { out: values.out }),
    force: values.force === true,
  });
  if (values.json) {
    printJson(result);
    return;
  }
  if (result.note) process.stderr.write(`note: ${result.note}\n`);
  const frames =
    result.inputKind === 'vector'
      ? 'one feature vector per clip, batch dynamic'
      : result.framesFixedBy
        ? `frames fixed by ${result.framesFixedBy}`
        : 'batch and frames dynamic';
  process.stdout.write(`${result.modelName} exported to ONNX (opset ${result.opset}; ${frames})\n${result.dir}\n`);
}
