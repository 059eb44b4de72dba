/** The confusion-matrix helpers: cell values, colours and tooltips, and the clip lists behind cells. */
import { describe, expect, it } from 'vitest';
import type { ClipPrediction } from '../../main/api/contract';
import {
  cellClips,
  confusionCells,
  differenceCells,
  isSelectedCell,
  misclassifiedClips,
  moveInGrid,
  rowNormalize,
  rowTotals,
  selectionClips,
  selectionTitle,
  signedCount,
} from '../../renderer/src/lib/confusion';
import { dataUrlToBase64 } from '../../renderer/src/lib/download';

const VIRIDIS_MIN = 'rgb(68, 1, 84)';
const VIRIDIS_MAX = 'rgb(253, 231, 37)';

const labels = ['anger', 'fear', 'sadness'];
// sadness has no clips at all (an empty row).
const counts = [
  [6, 2, 0],
  [1, 3, 0],
  [0, 0, 0],
];

function clip(id: string, trueLabel: string, predictedLabel: string, confidence: number): ClipPrediction {
  return {
    clipId: id,
    path: `/data/${id}.wav`,
    speaker: 's1',
    trueLabel,
    predictedLabel,
    confidence,
    probabilities: [confidence, 1 - confidence, 0],
  };
}

const predictions = [
  clip('a1', 'anger', 'anger', 0.9),
  clip('a2', 'anger', 'fear', 0.55),
  clip('a3', 'anger', 'fear', 0.8),
  clip('f1', 'fear', 'anger', 0.7),
  clip('f2', 'fear', 'fear', 0.6),
  clip('f3', 'fear', 'sadness', 0.8),
];

describe('rowNormalize', () => {
  it('divides each row by its sum and keeps empty rows at zero', () => {
    expect(rowNormalize(counts)).toEqual([
      [0.75, 0.25, 0],
      [0.25, 0.75, 0],
      [0, 0, 0],
    ]);
  });
});

describe('confusionCells', () => {
  it('shows counts coloured from 0 to the largest count', () => {
    const cells = confusionCells(labels, counts, 'counts');
    expect(cells).toHaveLength(3);
    expect(cells[0]![0]!).toMatchObject({
      trueLabel: 'anger',
      predictedLabel: 'anger',
      value: 6,
      text: '6',
      background: VIRIDIS_MAX,
      diagonal: true,
    });
    expect(cells[0]![0]!.color).toBe('#111'); // dark text on the bright yellow
    expect(cells[0]![2]!).toMatchObject({ value: 0, text: '0', background: VIRIDIS_MIN, color: '#fff', diagonal: false });
    // 3 of 6 is halfway along the scale: viridis' middle stop.
    expect(cells[1]![1]!.background).toBe('rgb(33, 144, 141)');
    expect(cells[0]![1]!.title).toBe('true anger → predicted fear: 2 clips (25.0 % of anger)');
    expect(cells[1]![0]!.title).toBe('true fear → predicted anger: 1 clip (25.0 % of fear)');
  });

  it('shows row fractions coloured from 0 to 1 in normalised mode, empty rows included', () => {
    const cells = confusionCells(labels, counts, 'normalized');
    expect(cells[0]![0]!).toMatchObject({ value: 0.75, text: '75 %' });
    expect(cells[1]![1]!.value).toBe(0.75);
    // Same fraction, same colour, whatever the counts.
    expect(cells[0]![0]!.background).toBe(cells[1]![1]!.background);
    expect(cells[2]!.map((c) => c.text)).toEqual(['0 %', '0 %', '0 %']);
    expect(cells[2]!.every((c) => c.background === VIRIDIS_MIN)).toBe(true);
    expect(cells[2]![2]!.title).toBe('true sadness → predicted sadness: 0 clips (0.0 % of sadness)');
  });

  it('uses the given normalised matrix when there is one', () => {
    const cells = confusionCells(
      ['a', 'b'],
      [
        [1, 1],
        [0, 2],
      ],
      'normalized',
      [
        [1, 0],
        [0, 1],
      ],
    );
    expect(cells[0]!.map((c) => c.value)).toEqual([1, 0]);
  });

  it('colours an all-zero matrix at the bottom of the scale', () => {
    const cells = confusionCells(
      ['a', 'b'],
      [
        [0, 0],
        [0, 0],
      ],
      'counts',
    );
    expect(cells.flat().every((c) => c.background === VIRIDIS_MIN)).toBe(true);
  });
});

describe('differenceCells', () => {
  it('colours by what the change means for B: fewer errors or more correct clips blue, the opposite red', () => {
    const cells = differenceCells(
      ['a', 'b'],
      [
        [4, -4],
        [0, -2],
      ],
    );
    expect(cells[0]!.map((c) => c.text)).toEqual(['+4', '−4']);
    expect(cells[1]![0]!.text).toBe('0');
    const BLUE = 'rgb(33, 102, 172)';
    const RED = 'rgb(178, 24, 43)';
    expect(cells[0]![0]!.background).toBe(BLUE); // a diagonal gain: more correct clips in B
    expect(cells[0]![1]!.background).toBe(BLUE); // an off-diagonal loss: fewer errors in B
    expect(cells[1]![0]!.background).toBe('rgb(247, 247, 247)'); // no change: white
    expect(cells[1]![1]!.background).not.toBe(BLUE); // a diagonal loss leans red
    expect(cells[0]![1]!.title).toBe('true a → predicted b: B − A = −4 clips (better in B)');
    const newErrors = differenceCells(
      ['a', 'b'],
      [
        [0, 3],
        [0, 0],
      ],
    )[0]![1]!;
    expect(newErrors.background).toBe(RED);
    expect(newErrors.color).toBe('#fff');
    expect(newErrors.title).toContain('(worse in B)');
  });

  it('signs counts', () => {
    expect([signedCount(3), signedCount(-1), signedCount(0)]).toEqual(['+3', '−1', '0']);
  });
});

describe('clip lists', () => {
  it('lists one cell most confident first', () => {
    expect(cellClips(predictions, 'anger', 'fear').map((p) => p.clipId)).toEqual(['a3', 'a2']);
    expect(cellClips(predictions, 'sadness', 'sadness')).toEqual([]);
  });

  it('lists every misclassified clip most confident first, ties in path order', () => {
    expect(misclassifiedClips(predictions).map((p) => p.clipId)).toEqual(['a3', 'f3', 'f1', 'a2']);
  });

  it('follows a selection and titles it', () => {
    expect(selectionClips(predictions, { kind: 'misclassified' })).toHaveLength(4);
    expect(selectionClips(predictions, { kind: 'cell', trueLabel: 'fear', predictedLabel: 'fear' }).map((p) => p.clipId)).toEqual(['f2']);
    expect(selectionTitle({ kind: 'misclassified' }, 4)).toBe('Misclassified · 4 clips');
    expect(selectionTitle({ kind: 'cell', trueLabel: 'anger', predictedLabel: 'fear' }, 1)).toBe('anger → fear · 1 clip');
    expect(selectionTitle({ kind: 'cell', trueLabel: 'fear', predictedLabel: 'fear' }, 0)).toBe('fear → fear (correct) · 0 clips');
    expect(isSelectedCell({ kind: 'cell', trueLabel: 'a', predictedLabel: 'b' }, 'a', 'b')).toBe(true);
    expect(isSelectedCell({ kind: 'misclassified' }, 'a', 'b')).toBe(false);
    expect(isSelectedCell(null, 'a', 'b')).toBe(false);
  });
});

describe('PNG export helpers', () => {
  it('takes the base64 part of a data URL', () => {
    expect(dataUrlToBase64('data:image/png;base64,iVBORw0KGgo=')).toBe('iVBORw0KGgo=');
    expect(dataUrlToBase64('iVBORw0KGgo=')).toBe('iVBORw0KGgo=');
  });
});

describe('rowTotals', () => {
  it('counts the clips of each true class, 0 for an empty row', () => {
    expect(rowTotals(counts)).toEqual([8, 4, 0]);
  });
});

describe('moveInGrid (roving focus in the matrix)', () => {
  it('moves one cell per arrow and stops at the edges', () => {
    expect(moveInGrid({ row: 1, col: 1 }, 'ArrowRight', 3, 3)).toEqual({ row: 1, col: 2 });
    expect(moveInGrid({ row: 1, col: 2 }, 'ArrowRight', 3, 3)).toEqual({ row: 1, col: 2 });
    expect(moveInGrid({ row: 0, col: 0 }, 'ArrowUp', 3, 3)).toEqual({ row: 0, col: 0 });
    expect(moveInGrid({ row: 0, col: 0 }, 'ArrowDown', 3, 3)).toEqual({ row: 1, col: 0 });
    expect(moveInGrid({ row: 2, col: 1 }, 'ArrowLeft', 3, 3)).toEqual({ row: 2, col: 0 });
  });

  it('jumps to the row ends with Home and End and ignores other keys', () => {
    expect(moveInGrid({ row: 1, col: 1 }, 'End', 3, 4)).toEqual({ row: 1, col: 3 });
    expect(moveInGrid({ row: 1, col: 3 }, 'Home', 3, 4)).toEqual({ row: 1, col: 0 });
    expect(moveInGrid({ row: 1, col: 1 }, 'Enter', 3, 3)).toBeNull();
    expect(moveInGrid({ row: 1, col: 1 }, 'Tab', 3, 3)).toBeNull();
  });
});
