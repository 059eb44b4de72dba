import { createHash } from 'node:crypto';
import type { ScanResult } from './types';

/** A short hash of a scanned dataset's clips (id, label, speaker, size): it changes when the data does. */
export function datasetFingerprint(scan: ScanResult): string {
  const hash = createHash('sha256');
  for (const clip of scan.clips) hash.update(`${clip.id}\t${clip.label}\t${clip.speaker}\t${clip.sizeBytes}\n`);
  return hash.digest('hex').slice(0, 16);
}
