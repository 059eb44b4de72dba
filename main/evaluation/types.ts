/** One clip's prediction from an evaluation pass; `probabilities` is aligned with the model's labels. */
export interface ClipPrediction {
  clipId: string;
  path: string;
  speaker: string;
  trueLabel: string;
  predictedLabel: string;
  confidence: number;
  probabilities: number[];
}
