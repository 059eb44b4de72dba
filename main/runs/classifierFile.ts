/**
 * `classifier.json`: the fitted classical classifier of a checkpoint (beside manifest.json, in
 * place of a tfjs model.json): which classifier, its chosen hyper-parameters, the inner
 * cross-validation that chose them, and its fitted parameters as plain numbers. The shape of the
 * parameters is checked by the classifier that reads them (models/classical).
 */
import { isClassicalModel, type ClassicalModelName } from '../schema/names';
import { isObject, type JsonObject, type VersionedFormat } from '../util/versionedJson';

export const CLASSIFIER_FILE = 'classifier.json';

export interface InnerCvRecord {
  /** The speakers of each inner fold (test speakers are never among them). */
  folds: string[][];
  /** Every candidate with the UAR of its pooled out-of-fold predictions. */
  candidates: { hyperParameters: Record<string, number>; uar: number }[];
}

export interface ClassifierFile {
  model: ClassicalModelName;
  numClasses: number;
  /** Length of the feature vectors it takes. */
  dims: number;
  hyperParameters: Record<string, number>;
  innerCv: InnerCvRecord;
  parameters: JsonObject;
}

const isNumberRecord = (v: unknown): v is Record<string, number> =>
  isObject(v) && Object.values(v).every((x) => typeof x === 'number' && Number.isFinite(x));

function validateClassifier(c: JsonObject): ClassifierFile {
  if (typeof c.model !== 'string' || !isClassicalModel(c.model)) throw new Error(`model ${JSON.stringify(c.model)} is not a classical classifier`);
  if (!Number.isInteger(c.numClasses) || (c.numClasses as number) < 2) throw new Error('numClasses must be an integer ≥ 2');
  if (!Number.isInteger(c.dims) || (c.dims as number) < 1) throw new Error('dims must be a positive integer');
  if (!isNumberRecord(c.hyperParameters)) throw new Error('hyperParameters must map names to finite numbers');
  const inner = c.innerCv;
  if (
    !isObject(inner) ||
    !Array.isArray(inner.folds) ||
    !inner.folds.every((f) => Array.isArray(f) && f.every((s) => typeof s === 'string')) ||
    !Array.isArray(inner.candidates) ||
    !inner.candidates.every((x) => isObject(x) && isNumberRecord(x.hyperParameters) && typeof x.uar === 'number')
  )
    throw new Error('innerCv must hold the folds (speaker lists) and the candidates with their UAR');
  if (!isObject(c.parameters)) throw new Error('parameters must be an object');
  return c as unknown as ClassifierFile;
}

export const CLASSIFIER_FORMAT: VersionedFormat<ClassifierFile> = {
  name: 'classifier file',
  current: 1,
  migrate: {},
  validate: validateClassifier,
};
