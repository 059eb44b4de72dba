import type { CheckpointManifest } from '../../runs/types';
import type { OnnxExport } from './onnxProto';

/** What export.json holds: everything needed to feed the model and read its output. */
export interface ExportDescription {
  format: 'onnx';
  opset: number;
  model: string;
  checkpoint: string;
  epoch: number;
  labels: string[];
  /** One example as the workbench feeds it: [rows, frames, 1], frames the padded length it trained on. */
  inputShape: number[];
  /** A feature matrix per clip (the networks) or a vector of functionals (the classical classifiers). */
  inputKind: OnnxExport['inputKind'];
  inputs: OnnxExport['inputs'];
  output: OnnxExport['output'];
  framesFixedBy: string | null;
  featureConfig: CheckpointManifest['featureConfig'];
  /** The feature configuration's hash, as `ser features` prints it. */
  featureConfigHash: string;
  /** The name of each feature row (of each value of a vector), in input order. */
  featureNames: string[];
  normalization: CheckpointManifest['normalization'];
  standardizer: CheckpointManifest['standardizer'] | null;
  /** Added to the std before dividing (features/standardize.ts). */
  standardizerEpsilon: number;
}
