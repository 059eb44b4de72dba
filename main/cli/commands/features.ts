import { scanDataset } from '../../dataset';
import { describeFeatureConfig, resolveFeatureConfig, type EncoderProvenance } from '../../features/config';
import { extractFeatures, type FeatureSet } from '../../features/extract';
import { resolveFrames } from '../../features/frames';
import { writeNpyFloat32 } from '../../features/npy';
import { FEATURE_FIELDS } from '../../schema/featureFields';
import { representationInputKind } from '../../schema/names';
import { writeJsonAtomic } from '../../util/fs';
import {
  CliError,
  fieldOptions,
  fieldOverrides,
  fieldUsage,
  parseCommandArgs,
  parseNumberOption,
  parseSchemeOption,
  printJson,
  requirePositional,
} from '../args';
import { createProgressBar, formatDuration } from '../progress';

export const featuresUsage = [
  'features DIR [options]',
  ...fieldUsage(FEATURE_FIELDS),
  '    --export FILE.npy                  write the raw matrices and a JSON sidecar',
  '    --cache-dir D                      feature cache folder',
  '    --workers N                        extraction threads (default: the cores)',
  '    --scheme S                         label scheme (default auto)',
  '    --json                             print the report as JSON',
].join('\n');

export async function featuresCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs(argv, {
    ...fieldOptions(FEATURE_FIELDS),
    export: { type: 'string' },
    'cache-dir': { type: 'string' },
    workers: { type: 'string' },
    scheme: { type: 'string' },
    json: { type: 'boolean' },
  });
  const root = requirePositional(positionals, 0, 'dataset folder (features DIR)');
  let config;
  try {
    config = resolveFeatureConfig(fieldOverrides(FEATURE_FIELDS, values));
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  if (values.export && !values.export.endsWith('.npy')) throw new CliError(`--export must name a .npy file, got '${values.export}'`);

  const scan = await scanDataset(root, { scheme: parseSchemeOption(values.scheme) ?? 'auto' });
  const frames = await resolveFrames(config, scan.clips);
  config = frames.config;
  const bar = createProgressBar('features');
  const set = await extractFeatures(scan, config, {
    cacheRoot: values['cache-dir'],
    workers: parseNumberOption(values.workers, 'workers', { integer: true, min: 1 }),
    onProgress: (p) => bar.update(p.done, p.total, `clips  ${p.clipsPerSecond.toFixed(0)} clips/s  ETA ${formatDuration(p.etaS)}`),
  });
  bar.finish();
  for (const problem of set.cacheProblems) process.stderr.write(`ser features: warning: ${problem}\n`);

  let exported: { npy: string; sidecar: string } | undefined;
  if (values.export) exported = await exportFeatureSet(set, values.export);

  const report = {
    root: scan.root,
    scheme: scan.scheme,
    configHash: set.configHash,
    config: set.config,
    shape: isVectorSet(set) ? [set.clips.length, set.rows] : [set.clips.length, set.rows, set.frames],
    encoder: set.encoder,
    clips: set.stats.total,
    fromCache: set.stats.fromCache,
    computed: set.stats.computed,
    failed: set.failed,
    elapsedMs: set.stats.elapsedMs,
    cacheDir: set.cacheDir,
    cacheProblems: set.cacheProblems,
    notes: set.notes,
    exported,
    /** CPU time of this process (worker threads included), ms. */
    cpuMs: Math.round((process.resourceUsage().userCPUTime + process.resourceUsage().systemCPUTime) / 1000),
    /** Peak resident memory of this process (worker threads included), MiB. */
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
  if (values.json) {
    printJson(report);
    return;
  }
  const seconds = set.stats.elapsedMs / 1000;
  process.stdout.write(
    [
      `dataset   ${scan.root} (${scan.scheme})`,
      `features  ${describeFeatureConfig(set.config)}  [config ${set.configHash}]`,
      ...(frames.note ? [`          ${frames.note}`] : []),
      ...(set.encoder ? [`encoder   ${describeEncoder(set.encoder)}`] : []),
      `clips     ${set.stats.total}: ${set.stats.fromCache} from cache, ${set.stats.computed} computed, ${set.failed.length} failed`,
      `time      ${seconds.toFixed(2)} s (${(set.stats.total / Math.max(seconds, 1e-3)).toFixed(0)} clips/s)`,
      `cache     ${set.cacheDir}`,
      ...(exported ? [`exported  ${exported.npy} [${report.shape.join(', ')}] float32 + ${exported.sidecar}`] : []),
      ...set.failed.map((f) => `skipped   ${f.relPath}: ${f.reason}`),
      ...set.notes.map((n) => `note      ${n.relPath}: ${n.note}`),
    ].join('\n') + '\n',
  );
}

/** A set of one vector per clip: functionals, or an encoder pooled to mean and std. */
function isVectorSet(set: FeatureSet): boolean {
  return representationInputKind(set.config.representation, set.config.encoderPooling) === 'vector';
}

/** "tiny (onnx/model.onnx, sha256 1a2b3c4d5e6f), layer 2 of 2 (…), on cpu (skipped cuda: …)". */
export function describeEncoder(encoder: EncoderProvenance): string {
  const where = encoder.provider
    ? `, on ${encoder.provider.name}${encoder.provider.skipped.length > 0 ? ` (skipped ${encoder.provider.skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')})` : ''}`
    : ', every clip from the cache';
  return `${encoder.name} (${encoder.file}, sha256 ${encoder.sha256.slice(0, 12)}), ${encoder.layerNote ?? `layer ${encoder.layer} of ${encoder.layers}`}${where}`;
}

/**
 * Raw (unstandardised) matrices as .npy [clips, rows, frames] — or [clips, dims] for a vector
 * representation — plus a JSON sidecar in the same order.
 */
export async function exportFeatureSet(set: FeatureSet, npyPath: string): Promise<{ npy: string; sidecar: string }> {
  const sidecar = npyPath.replace(/\.npy$/, '.json');
  const vector = isVectorSet(set);
  const shape = vector ? [set.clips.length, set.rows] : [set.clips.length, set.rows, set.frames];
  await writeNpyFloat32(npyPath, set.data, shape);
  await writeJsonAtomic(sidecar, {
    shape,
    layout: vector
      ? '[clip][dimension], float32, raw (unstandardised) vectors; dimension names in rows'
      : '[clip][row][frame], float32, raw (unstandardised), zero-padded/truncated to frames',
    rows: set.rowNames,
    config: set.config,
    configHash: set.configHash,
    files: set.clips.map((c) => c.path),
    labels: set.clips.map((c) => c.label),
    speakers: set.clips.map((c) => c.speaker),
    validFrames: Array.from(set.validFrames),
    failed: set.failed,
    notes: set.notes,
    ...(set.encoder && { encoder: set.encoder }),
  });
  return { npy: npyPath, sidecar };
}
