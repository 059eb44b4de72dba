import { AudioError } from './errors';

/** Sample rates outside this range are not recordings but broken or hostile headers. */
export const MIN_SAMPLE_RATE = 1000;
export const MAX_SAMPLE_RATE = 768_000;

/**
 * Refuses a sample rate outside MIN_SAMPLE_RATE..MAX_SAMPLE_RATE; `source` says where the rate was
 * read (e.g. 'the "fmt " chunk'), so the message points at the part of the file that is wrong.
 */
export function checkSampleRate(sampleRate: number, file: string, source: string): void {
  if (sampleRate >= MIN_SAMPLE_RATE && sampleRate <= MAX_SAMPLE_RATE) return;
  throw new AudioError('corrupt', file, `${source} declares a sample rate of ${sampleRate} Hz, outside the supported 1 kHz to 768 kHz`);
}
