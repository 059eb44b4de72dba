/** The split a training config would make of a dataset, as a part × class count table (nothing is trained). */
import { scanDataset, splitFromConfig, type SchemeName } from '../dataset';
import { splitCounts, type SplitCounts } from '../dataset/splitCounts';
import { resolveTrainingConfig } from '../training/config';

/** `overrides` is untrusted (a request's JSON): the engine's resolver checks it first. */
export async function previewSplit(root: string, scheme: SchemeName | 'auto', overrides: unknown): Promise<SplitCounts> {
  const config = resolveTrainingConfig(overrides);
  const scan = await scanDataset(root, { scheme });
  return splitCounts(splitFromConfig(scan.clips, config), scan.clips, scan.labels);
}
