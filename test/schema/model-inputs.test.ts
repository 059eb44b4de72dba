import { describe, expect, it } from 'vitest';
import {
  CLASSICAL_MODEL_NAMES,
  MODEL_NAMES,
  modelInputKind,
  modelRepresentationProblem,
  NETWORK_MODEL_NAMES,
  representationInputKind,
} from '../../main/schema/names';

describe('which input each model takes', () => {
  it('lists the networks, then the classical classifiers, as model names', () => {
    expect(MODEL_NAMES).toEqual([...NETWORK_MODEL_NAMES, ...CLASSICAL_MODEL_NAMES]);
    for (const model of NETWORK_MODEL_NAMES) expect(modelInputKind(model)).toBe('matrix');
    for (const model of CLASSICAL_MODEL_NAMES) expect(modelInputKind(model)).toBe('vector');
    expect(representationInputKind('mfcc')).toBe('matrix');
    expect(representationInputKind('egemaps-like')).toBe('vector');
  });

  it('says in one line why a model cannot take a representation, both ways', () => {
    expect(modelRepresentationProblem('crnn', 'logmel')).toBeNull();
    expect(modelRepresentationProblem('svm-rbf', 'compare-like')).toBeNull();
    expect(modelRepresentationProblem('svm-rbf', 'mfcc')).toBe(
      "model 'svm-rbf' classifies feature vectors, but representation 'mfcc' gives matrices: choose a vector representation (egemaps-like, compare-like)",
    );
    expect(modelRepresentationProblem('crnn', 'egemaps-like')).toBe(
      "model 'crnn' takes feature matrices, but representation 'egemaps-like' gives vectors: choose a classical model (svm-linear, svm-rbf, logreg, knn, mlp)",
    );
  });
});
