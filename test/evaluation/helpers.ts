import type { ClipPrediction } from '../../main/evaluation/types';

let nextId = 0;

/** A prediction with just the fields a test cares about; probabilities are a one-hot stand-in. */
export function pred(trueLabel: string, predictedLabel: string, extra: Partial<ClipPrediction> = {}): ClipPrediction {
  const id = `clip-${nextId++}`;
  return {
    clipId: id,
    path: `/data/${id}.wav`,
    speaker: 's1',
    trueLabel,
    predictedLabel,
    confidence: 0.9,
    probabilities: [],
    ...extra,
  };
}
