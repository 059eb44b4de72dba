/**
 * Which representations a model reads (Node-free: the study plan and the new-study form share it).
 * Classical models (SVM, logistic regression, k-NN, MLP) take utterance-level feature vectors; the
 * CNNs take matrices (MFCC, log-mel).
 */
import { isClassicalModel, isVectorRepresentation } from './names';

/** Why `model` cannot read `representation`, or null when it can. */
export function incompatibility(model: string, representation: string): string | null {
  const classical = isClassicalModel(model);
  if (classical === isVectorRepresentation(representation)) return null;
  return classical
    ? `${model} takes feature vectors (egemaps-like, compare-like), not the ${representation} matrix`
    : `${model} takes matrices (mfcc, logmel), not the ${representation} feature vector`;
}
