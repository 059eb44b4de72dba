/**
 * The classical classifiers of feature vectors (linear and RBF SVM, L2 logistic regression, k-NN,
 * a small MLP): training with the inner speaker-grouped cross-validation, the classifier.json they
 * are saved as, and class probabilities from it.
 */
import type { ClassifierFile } from '../../runs/classifierFile';
import type { ClassicalModelName } from '../../schema/names';
import { searchHyperParameters, speakerFolds, type CandidateScore } from './innerCv';
import { knnLearner } from './knn';
import type { ClassifierSettings, Learner, TrainingData } from './learner';
import { logregLearner } from './logreg';
import { mlpLearner } from './mlp';
import { svmLearner } from './svm';
import type { Vectors } from './vectors';

export type { ClassifierSettings, TrainingData } from './learner';
export type { CandidateScore } from './innerCv';
export { vectorsFrom, type Vectors } from './vectors';

const LEARNERS: Record<ClassicalModelName, Learner<unknown>> = {
  'svm-linear': svmLearner('linear') as Learner<unknown>,
  'svm-rbf': svmLearner('rbf') as Learner<unknown>,
  logreg: logregLearner as Learner<unknown>,
  knn: knnLearner as Learner<unknown>,
  mlp: mlpLearner as Learner<unknown>,
};

export const CLASSICAL_TITLES: Record<ClassicalModelName, string> = {
  'svm-linear': 'Linear SVM',
  'svm-rbf': 'RBF SVM',
  logreg: 'Logistic regression (L2)',
  knn: 'k-nearest neighbours',
  mlp: 'MLP (one hidden layer)',
};

export interface ClassifierTrainingOptions extends ClassifierSettings {
  /** Folds of the inner cross-validation (fewer when the data has fewer speakers). */
  innerFolds: number;
  /** The speaker of each example ('' = unknown: a group of its own). */
  speakers: readonly string[];
  /** Before the search: how many candidates it scores on how many folds. */
  onSearchStart?: (candidates: number, folds: number) => void;
  onCandidate?: (score: CandidateScore) => void;
  /** After the search, before the fit on all of the data with the chosen hyper-parameters. */
  onRefit?: (chosen: Record<string, number>) => void;
}

export interface TrainedClassifier {
  file: ClassifierFile;
  /** The chosen candidate's out-of-fold class probabilities of every example (n × numClasses). */
  outOfFold: Float64Array;
}

/**
 * Chooses the hyper-parameters by the inner speaker-grouped cross-validation on `data` (all of it
 * and only it), then fits on all of `data`.
 */
export function trainClassifier(model: ClassicalModelName, data: TrainingData, options: ClassifierTrainingOptions): TrainedClassifier {
  const learner = LEARNERS[model];
  if (data.vectors.n !== options.speakers.length) throw new Error(`${data.vectors.n} examples but ${options.speakers.length} speakers`);
  const folds = speakerFolds(options.speakers, options.innerFolds, data.seed);
  const cache = new Map<string, unknown>();
  const candidates = learner.candidates(options, data.vectors.d);
  options.onSearchStart?.(candidates.length, folds.speakers.length);
  const search = searchHyperParameters(learner, data, folds, candidates, cache, options.onCandidate);
  options.onRefit?.(search.chosen);
  const parameters = learner.fit(data, search.chosen, search.outOfFold, cache);
  const file: ClassifierFile = {
    model,
    numClasses: data.numClasses,
    dims: data.vectors.d,
    hyperParameters: search.chosen,
    innerCv: { folds: folds.speakers, candidates: search.candidates },
    parameters: parameters as ClassifierFile['parameters'],
  };
  return { file, outOfFold: learner.scoresToProbabilities?.(parameters, search.outOfFold) ?? search.outOfFold };
}

/** Throws, naming the problem, when a classifier file's parameters do not fit its classifier. */
export function checkClassifier(file: ClassifierFile): void {
  const learner: Learner<unknown> = LEARNERS[file.model];
  learner.check(file.parameters, file.dims, file.numClasses);
}

/** Class probabilities (n × numClasses) of `vectors` under a fitted classifier. */
export function classifierProbabilities(file: ClassifierFile, vectors: Vectors): Float64Array {
  if (vectors.d !== file.dims) throw new Error(`the classifier takes vectors of ${file.dims} values, got ${vectors.d}`);
  return LEARNERS[file.model].probabilities(file.parameters, vectors, file.numClasses);
}
