/**
 * Pure helpers behind the confusion matrices: what every cell shows and how it is coloured
 * (counts, row-normalised, or the B − A difference), and which clips a selected cell stands for.
 */
import type { ClipPrediction } from '../../../main/api/contract';
import { divergingRgb, textColorOn, viridisRgb, type Rgb } from './colormap';
import { integer, percent } from './format';

export type ConfusionMode = 'counts' | 'normalized';

export interface ConfusionCell {
  row: number;
  col: number;
  trueLabel: string;
  predictedLabel: string;
  /** The number the cell stands for: a count, a row fraction, or a signed difference of counts. */
  value: number;
  text: string;
  /** CSS colours of the cell and of its text. */
  background: string;
  color: string;
  /** The tooltip. */
  title: string;
  diagonal: boolean;
}

/** A selection of clips in the Evaluate view: one matrix cell, or every misclassified clip. */
export type ClipSelection = { kind: 'cell'; trueLabel: string; predictedLabel: string } | { kind: 'misclassified' };

function css([r, g, b]: Rgb): string {
  return `rgb(${r}, ${g}, ${b})`;
}

function plural(count: number, word: string): string {
  return `${integer(count)} ${word}${count === 1 ? '' : 's'}`;
}

/** Each row divided by its sum; a row with no clips stays all zeros. */
export function rowNormalize(counts: readonly (readonly number[])[]): number[][] {
  return counts.map((row) => {
    const sum = row.reduce((a, b) => a + b, 0);
    return row.map((v) => (sum > 0 ? v / sum : 0));
  });
}

/**
 * The cells of a confusion matrix, [true][predicted]. In 'counts' mode the colour scales from 0 to
 * the largest count in the matrix; in 'normalized' mode from 0 to 1 of the true class's clips.
 */
export function confusionCells(
  labels: readonly string[],
  counts: readonly (readonly number[])[],
  mode: ConfusionMode,
  normalized: readonly (readonly number[])[] = rowNormalize(counts),
): ConfusionCell[][] {
  let max = 0;
  for (const row of counts) for (const v of row) max = Math.max(max, v);
  return labels.map((trueLabel, r) =>
    labels.map((predictedLabel, c) => {
      const count = counts[r]?.[c] ?? 0;
      const fraction = normalized[r]?.[c] ?? 0;
      const value = mode === 'counts' ? count : fraction;
      const rgb = viridisRgb(mode === 'counts' ? (max > 0 ? count / max : 0) : fraction);
      return {
        row: r,
        col: c,
        trueLabel,
        predictedLabel,
        value,
        text: mode === 'counts' ? integer(count) : percent(fraction, 0),
        background: css(rgb),
        color: textColorOn(rgb),
        title: `true ${trueLabel} → predicted ${predictedLabel}: ${plural(count, 'clip')} (${percent(fraction)} of ${trueLabel})`,
        diagonal: r === c,
      };
    }),
  );
}

/** A signed count: "+3", "−2", "0". */
export function signedCount(value: number): string {
  if (value > 0) return `+${integer(value)}`;
  if (value < 0) return `−${integer(-value)}`;
  return '0';
}

/**
 * The cells of a difference matrix (B − A counts), coloured by whether the change is good for B:
 * more clips on the diagonal (correct) or fewer off it (errors) is blue, the opposite is red, no
 * change is white; scaled by the largest absolute difference.
 */
export function differenceCells(labels: readonly string[], difference: readonly (readonly number[])[]): ConfusionCell[][] {
  let maxAbs = 0;
  for (const row of difference) for (const v of row) maxAbs = Math.max(maxAbs, Math.abs(v));
  return labels.map((trueLabel, r) =>
    labels.map((predictedLabel, c) => {
      const value = difference[r]?.[c] ?? 0;
      const diagonal = r === c;
      // divergingRgb: negative is blue (better for B), positive red (worse for B).
      const worse = diagonal ? -value : value;
      const rgb = divergingRgb(maxAbs > 0 ? worse / maxAbs : 0);
      const verdict = worse < 0 ? ' (better in B)' : worse > 0 ? ' (worse in B)' : '';
      return {
        row: r,
        col: c,
        trueLabel,
        predictedLabel,
        value,
        text: signedCount(value),
        background: css(rgb),
        color: textColorOn(rgb),
        title: `true ${trueLabel} → predicted ${predictedLabel}: B − A = ${signedCount(value)} clips${verdict}`,
        diagonal,
      };
    }),
  );
}

/** The number of clips of each true class (the row sums), shown beside row-normalised matrices. */
export function rowTotals(counts: readonly (readonly number[])[]): number[] {
  return counts.map((row) => row.reduce((a, b) => a + b, 0));
}

/**
 * Where a key moves the focused cell of a rows × cols grid (roving tabindex): arrows by one cell,
 * stopping at the edges; Home and End to the first and last cell of the row. Other keys: null.
 */
export function moveInGrid(
  position: { row: number; col: number },
  key: string,
  rows: number,
  cols: number,
): { row: number; col: number } | null {
  const clamp = (v: number, n: number) => Math.max(0, Math.min(n - 1, v));
  const { row, col } = position;
  switch (key) {
    case 'ArrowUp':
      return { row: clamp(row - 1, rows), col };
    case 'ArrowDown':
      return { row: clamp(row + 1, rows), col };
    case 'ArrowLeft':
      return { row, col: clamp(col - 1, cols) };
    case 'ArrowRight':
      return { row, col: clamp(col + 1, cols) };
    case 'Home':
      return { row, col: 0 };
    case 'End':
      return { row, col: cols - 1 };
    default:
      return null;
  }
}

/** Highest confidence first; ties in path order so the list is stable. */
export function byConfidenceDesc(a: ClipPrediction, b: ClipPrediction): number {
  return b.confidence - a.confidence || a.path.localeCompare(b.path);
}

/** The clips of one cell (true → predicted), most confident first. */
export function cellClips(predictions: readonly ClipPrediction[], trueLabel: string, predictedLabel: string): ClipPrediction[] {
  return predictions.filter((p) => p.trueLabel === trueLabel && p.predictedLabel === predictedLabel).sort(byConfidenceDesc);
}

/** Every clip the model got wrong, most confident first (the confidently wrong ones are the interesting ones). */
export function misclassifiedClips(predictions: readonly ClipPrediction[]): ClipPrediction[] {
  return predictions.filter((p) => p.trueLabel !== p.predictedLabel).sort(byConfidenceDesc);
}

export function selectionClips(predictions: readonly ClipPrediction[], selection: ClipSelection): ClipPrediction[] {
  return selection.kind === 'misclassified'
    ? misclassifiedClips(predictions)
    : cellClips(predictions, selection.trueLabel, selection.predictedLabel);
}

/** The heading of the clip list: "anger → fear · 3 clips", "Misclassified · 12 clips". */
export function selectionTitle(selection: ClipSelection, count: number): string {
  if (selection.kind === 'misclassified') return `Misclassified · ${plural(count, 'clip')}`;
  const correct = selection.trueLabel === selection.predictedLabel ? ' (correct)' : '';
  return `${selection.trueLabel} → ${selection.predictedLabel}${correct} · ${plural(count, 'clip')}`;
}

export function isSelectedCell(selection: ClipSelection | null, trueLabel: string, predictedLabel: string): boolean {
  return selection?.kind === 'cell' && selection.trueLabel === trueLabel && selection.predictedLabel === predictedLabel;
}
