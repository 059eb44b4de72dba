/** What feature extraction reports while it runs (plain data). */

export interface ExtractionProgress {
  phase: 'cache' | 'extract' | 'done';
  total: number;
  done: number;
  fromCache: number;
  computed: number;
  failed: number;
  clipsPerSecond: number;
  etaS: number;
}
