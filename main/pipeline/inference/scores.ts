/** Turns a model's logits for one clip into class probabilities and a ranking. */

export interface RankedLabel {
  label: string;
  probability: number;
}

export interface Scores {
  /** The most probable label. */
  emotion: string;
  /** Its probability. */
  confidence: number;
  /** Softmax probability of every class, keyed by label, summing to 1. */
  probabilities: Record<string, number>;
  /** All classes, most probable first (ties keep the manifest's label order). */
  ranked: RankedLabel[];
}

/** Softmax in float64, shifted by the largest logit so large logits cannot overflow. */
export function softmax(logits: ArrayLike<number>): number[] {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
  const exps = Array.from(logits, (x) => Math.exp(x - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

export function scoresFromLogits(logits: ArrayLike<number>, labels: readonly string[]): Scores {
  if (logits.length !== labels.length) {
    throw new Error(`The model gave ${logits.length} scores for ${labels.length} labels`);
  }
  for (let i = 0; i < logits.length; i++) {
    if (!Number.isFinite(logits[i])) throw new Error(`The model gave a non-finite score (${logits[i]}) for "${labels[i]}"`);
  }
  const probs = softmax(logits);
  const ranked = labels.map((label, i) => ({ label, probability: probs[i] })).sort((a, b) => b.probability - a.probability);
  const probabilities: Record<string, number> = {};
  labels.forEach((label, i) => (probabilities[label] = probs[i]));
  return { emotion: ranked[0].label, confidence: ranked[0].probability, probabilities, ranked };
}
