/** What is recorded about a pretrained encoder (plain data: run.json, checkpoints, the app's run details). */

/**
 * What the cache, run.json and checkpoints know an encoder by: the model file's hash and the
 * layer it gives, not the folder it was read from.
 */
export interface EncoderIdentity {
  name: string;
  /** The model file, relative to the folder. */
  file: string;
  sha256: string;
  /** The hidden state used (the config's -1 resolved to the last layer). */
  layer: number;
  layers: number;
  hiddenSize: number;
  doNormalize: boolean;
}

/**
 * What run.json and checkpoints record of an encoder: its identity, the folder it was read from,
 * and, when clips were computed, which layer output it gave and where it ran.
 */
export interface EncoderProvenance extends EncoderIdentity {
  dir: string;
  /** "layer 2 of 2 (last_hidden_state: …)". */
  layerNote?: string;
  /** The execution provider that ran it, and those skipped with the reason. */
  provider?: { name: string; skipped: { name: string; reason: string }[] };
}
