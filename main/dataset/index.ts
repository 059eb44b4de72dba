export { EMOTIONS, normalizeEmotionLabel, sortEmotions, type Emotion } from './labels';
export { DatasetError } from './errors';
export {
  SCHEME_NAMES,
  type Clip,
  type Gender,
  type LabelScheme,
  type ParsedName,
  type ParseOutcome,
  type ScanResult,
  type SchemeName,
  type SkippedFile,
} from './types';
export { createCremaDScheme, createCsvScheme, emodbScheme, folderPerClassScheme, ravdessScheme, saveeScheme, tessScheme } from './schemes';
export { parseCsv } from './csv';
export { readManifest, findRootManifests, type Manifest, type ManifestRow } from './manifest';
export { AUDIO_EXTENSIONS, isAudioFileName } from './walk';
export { scanDataset, type ScanOptions } from './scan';
export {
  formatSummaryTable,
  probeClips,
  summarizeDataset,
  type AudioFacts,
  type DatasetSummary,
  type ProbeAudio,
  type SummarizeOptions,
  type ValueCount,
} from './summary';
export {
  groupKFold,
  randomStratifiedSplit,
  speakerSplit,
  splitFromConfig,
  validateSplit,
  type GroupKFoldOptions,
  type RandomSplitOptions,
  type Split,
  type SplitClip,
  type SplitPart,
  type SpeakerSplitOptions,
} from './split';
export { datasetFingerprint } from './fingerprint';
