import { describe, expect, it } from 'vitest';
import {
  CLASSICAL_MODEL_NAMES,
  MODEL_NAMES,
  modelInputKind,
  modelRepresentationProblem,
  NETWORK_MODEL_NAMES,
  normalizationProblem,
  representationInputKind,
  trainingInputProblem,
} from '../../main/schema/names';

describe('which input each model takes', () => {
  it('lists the networks, then the classical classifiers, as model names', () => {
    expect(MODEL_NAMES).toEqual([...NETWORK_MODEL_NAMES, ...CLASSICAL_MODEL_NAMES]);
    for (const model of NETWORK_MODEL_NAMES) expect(modelInputKind(model)).toBe('matrix');
    for (const model of CLASSICAL_MODEL_NAMES) expect(modelInputKind(model)).toBe('vector');
    expect(representationInputKind('mfcc')).toBe('matrix');
    expect(representationInputKind('egemaps-like')).toBe('vector');
    expect(representationInputKind('encoder')).toBe('vector');
    expect(representationInputKind('encoder', 'mean-std')).toBe('vector');
    expect(representationInputKind('encoder', 'frames')).toBe('matrix');
  });

  it('says in one line why a model cannot take a representation, both ways', () => {
    expect(modelRepresentationProblem('crnn', 'logmel')).toBeNull();
    expect(modelRepresentationProblem('svm-rbf', 'compare-like')).toBeNull();
    expect(modelRepresentationProblem('svm-rbf', 'mfcc')).toBe(
      "model 'svm-rbf' classifies feature vectors, but representation 'mfcc' gives matrices: choose a vector representation (egemaps-like, compare-like, or encoder with mean-std pooling)",
    );
    expect(modelRepresentationProblem('crnn', 'egemaps-like')).toBe(
      "model 'crnn' takes feature matrices, but representation 'egemaps-like' gives vectors: choose a classical model (svm-linear, svm-rbf, logreg, knn, mlp), or encoder with frames pooling",
    );
  });

  it('an encoder pooled to mean and std is a vector, its frames a matrix', () => {
    expect(modelRepresentationProblem('svm-linear', 'encoder', 'mean-std')).toBeNull();
    expect(modelRepresentationProblem('crnn', 'encoder', 'frames')).toBeNull();
    expect(modelRepresentationProblem('crnn', 'encoder', 'mean-std')).toBe(
      "model 'crnn' takes feature matrices, but representation 'encoder' with pooling 'mean-std' gives vectors: choose a classical model (svm-linear, svm-rbf, logreg, knn, mlp), or encoder with frames pooling",
    );
    expect(modelRepresentationProblem('mlp', 'encoder', 'frames')).toContain(
      "representation 'encoder' with pooling 'frames' gives matrices",
    );
  });

  it('refuses per-clip normalisation of a vector (one frame: it would become zeros), for every vector representation', () => {
    expect(normalizationProblem('clip', 'egemaps-like')).toBe(
      "normalization 'clip' standardises each clip by its own statistics, but representation 'egemaps-like' gives one vector per clip, which that turns into zeros: choose normalization 'speaker' or 'global'",
    );
    expect(normalizationProblem('clip', 'compare-like')).toContain("representation 'compare-like' gives one vector per clip");
    expect(normalizationProblem('clip', 'encoder', 'mean-std')).toContain(
      "representation 'encoder' with pooling 'mean-std' gives one vector per clip",
    );
    expect(normalizationProblem('clip', 'encoder', 'frames')).toBeNull();
    expect(normalizationProblem('clip', 'mfcc')).toBeNull();
    for (const mode of ['speaker', 'global']) expect(normalizationProblem(mode, 'egemaps-like')).toBeNull();
  });

  it('one rule for a training config and its features: the model first, then the normalisation', () => {
    expect(trainingInputProblem({ model: 'logreg', normalization: 'speaker' }, { representation: 'egemaps-like' })).toBeNull();
    expect(trainingInputProblem({ model: 'logreg', normalization: 'clip' }, { representation: 'egemaps-like' })).toBe(
      normalizationProblem('clip', 'egemaps-like'),
    );
    expect(trainingInputProblem({ model: 'crnn', normalization: 'clip' }, { representation: 'egemaps-like' })).toBe(
      modelRepresentationProblem('crnn', 'egemaps-like'),
    );
    expect(
      trainingInputProblem({ model: 'crnn', normalization: 'clip' }, { representation: 'encoder', encoderPooling: 'frames' }),
    ).toBeNull();
  });
});
