/**
 * The confusion matrix as a PNG, drawn by the engine so an export from the app and from the CLI
 * hold the same image: viridis cells coloured by the share of the true class, each with its count
 * and that share, class names on both axes and a title line.
 */
import { Raster, textHeight, textWidth, type Rgb } from '../util/raster';
import { viridisRgb } from '../schema/viridis';

const INK: Rgb = [29, 35, 48];
const MUTED: Rgb = [102, 112, 133];
const WHITE: Rgb = [255, 255, 255];
const PAD = 24;
const CELL = 72;
const TEXT = 2;
const SMALL = 1;
const GAP = 10;

/** Largest matrix drawn (a 100-class image is already 7 000 px wide). */
export const MAX_IMAGE_CLASSES = 100;

export function renderConfusionPng(labels: readonly string[], confusion: readonly (readonly number[])[], title: string): Uint8Array {
  const k = labels.length;
  if (k === 0 || k > MAX_IMAGE_CLASSES) throw new Error(`a confusion-matrix image takes 1 to ${MAX_IMAGE_CLASSES} classes, got ${k}`);
  if (confusion.length !== k || confusion.some((row) => row.length !== k)) {
    throw new Error(`the confusion matrix is not ${k} × ${k} (one row and column per class)`);
  }
  const lineHeight = textHeight(TEXT);
  const labelWidth = Math.max(...labels.map((label) => textWidth(label, TEXT)));
  const axisTitle = 'predicted (count and % of the true class)';
  const titleBottom = title ? PAD + lineHeight + GAP : PAD;
  const top = titleBottom + lineHeight + GAP + labelWidth + GAP;
  const left = PAD + lineHeight + GAP + labelWidth + GAP;
  const width = Math.max(left + k * CELL + PAD, textWidth(title, TEXT) + 2 * PAD, left + textWidth(axisTitle, TEXT) + PAD);
  const height = top + k * CELL + PAD;
  const image = new Raster(width, height);

  if (title) image.text(title, PAD, PAD, TEXT, INK);
  image.text(axisTitle, left, titleBottom, TEXT, MUTED);
  const trueTitle = 'true';
  image.textUp(trueTitle, PAD, top + (k * CELL + textWidth(trueTitle, TEXT)) / 2, TEXT, MUTED);

  labels.forEach((label, i) => {
    // Row names right-aligned before the matrix; column names reading upwards above it.
    image.text(label, left - GAP - textWidth(label, TEXT), top + i * CELL + (CELL - lineHeight) / 2, TEXT, INK);
    image.textUp(label, left + i * CELL + (CELL - lineHeight) / 2, top - GAP, TEXT, INK);
  });

  confusion.forEach((row, r) => {
    const total = row.reduce((sum, value) => sum + value, 0);
    row.forEach((count, c) => {
      const share = total > 0 ? count / total : 0;
      const background = viridisRgb(share);
      const x = left + c * CELL;
      const y = top + r * CELL;
      image.fillRect(x, y, CELL, CELL, background);
      // Thin white lines between cells.
      image.fillRect(x, y, CELL, 1, WHITE);
      image.fillRect(x, y, 1, CELL, WHITE);
      const luminance = 0.2126 * background[0] + 0.7152 * background[1] + 0.0722 * background[2];
      const color = luminance > 140 ? INK : WHITE;
      const countText = String(count);
      const shareText = `${Math.round(share * 100)}%`;
      const block = lineHeight + 6 + textHeight(SMALL);
      const blockTop = y + (CELL - block) / 2;
      image.text(countText, x + (CELL - textWidth(countText, TEXT)) / 2, blockTop, TEXT, color);
      image.text(shareText, x + (CELL - textWidth(shareText, SMALL)) / 2, blockTop + lineHeight + 6, SMALL, color);
    });
  });
  return image.toPng();
}
