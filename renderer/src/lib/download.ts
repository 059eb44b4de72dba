/**
 * Getting things out of the browser: saving a Blob or text as a download, and drawing a confusion
 * matrix onto an offscreen canvas for a PNG (the on-screen matrix is an HTML grid).
 */
import { confusionCells, type ConfusionMode } from './confusion';

/** Saves a Blob through the browser's download mechanism. */
export function downloadBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.style.display = 'none';
  document.body.appendChild(link);
  link.click();
  link.remove();
  // The click has started the download; the URL can go once the event loop has moved on.
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function downloadText(text: string, fileName: string, type = 'text/plain;charset=utf-8'): void {
  downloadBlob(new Blob([text], { type }), fileName);
}

/** "data:image/png;base64,AAAA" → "AAAA". */
export function dataUrlToBase64(dataUrl: string): string {
  const comma = dataUrl.indexOf(',');
  return comma >= 0 ? dataUrl.slice(comma + 1) : dataUrl;
}

export function canvasPngBlob(canvas: HTMLCanvasElement): Promise<Blob> {
  return new Promise((resolve, reject) => {
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('the image could not be encoded as PNG'))), 'image/png');
  });
}

const CELL = 56;
const PAD = 16;
const SCALE = 2;
const FONT = 'system-ui, -apple-system, "Segoe UI", sans-serif';

/**
 * The confusion matrix drawn the way the Evaluate view shows it (viridis cells, counts or row
 * percentages, class names on both axes), on a white background at 2× for sharp text.
 */
export function renderConfusionPng(
  labels: readonly string[],
  counts: readonly (readonly number[])[],
  mode: ConfusionMode,
  title = '',
): HTMLCanvasElement {
  const cells = confusionCells(labels, counts, mode);
  const k = labels.length;
  const canvas = document.createElement('canvas');
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('this browser cannot draw on a canvas');

  ctx.font = `13px ${FONT}`;
  const labelWidth = Math.max(40, ...labels.map((l) => ctx.measureText(l).width));
  const titleHeight = title ? 28 : 0;
  const left = PAD + 20 + labelWidth + 8; // axis title, class names, gap
  // Column names are slanted up to the right by 36°: room above the matrix and past its right edge.
  const top = PAD + titleHeight + 20 + labelWidth * 0.6 + 8;
  const width = left + k * CELL + Math.max(PAD, labelWidth * 0.81 - CELL / 2 + PAD);
  const height = top + k * CELL + PAD;

  canvas.width = Math.ceil(width * SCALE);
  canvas.height = Math.ceil(height * SCALE);
  ctx.scale(SCALE, SCALE);
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = '#1d2330';
  ctx.textBaseline = 'middle';

  if (title) {
    ctx.font = `bold 14px ${FONT}`;
    ctx.textAlign = 'left';
    ctx.fillText(title, PAD, PAD + 10);
  }

  ctx.font = `12px ${FONT}`;
  ctx.fillStyle = '#667085';
  ctx.textAlign = 'center';
  ctx.fillText(mode === 'counts' ? 'predicted (counts)' : 'predicted (% of true class)', left + (k * CELL) / 2, PAD + titleHeight + 8);
  ctx.save();
  ctx.translate(PAD + 8, top + (k * CELL) / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.fillText('true', 0, 0);
  ctx.restore();

  ctx.font = `13px ${FONT}`;
  ctx.fillStyle = '#1d2330';
  labels.forEach((label, i) => {
    ctx.textAlign = 'right';
    ctx.fillText(label, left - 8, top + i * CELL + CELL / 2);
    ctx.save();
    ctx.translate(left + i * CELL + CELL / 2, top - 8);
    ctx.rotate(-Math.PI / 5);
    ctx.textAlign = 'left';
    ctx.fillText(label, 0, 0);
    ctx.restore();
  });

  ctx.textAlign = 'center';
  for (const row of cells) {
    for (const cell of row) {
      const x = left + cell.col * CELL;
      const y = top + cell.row * CELL;
      ctx.fillStyle = cell.background;
      ctx.fillRect(x, y, CELL, CELL);
      ctx.strokeStyle = '#fff';
      ctx.lineWidth = 1;
      ctx.strokeRect(x + 0.5, y + 0.5, CELL - 1, CELL - 1);
      ctx.fillStyle = cell.color;
      ctx.font = `${cell.diagonal ? 'bold ' : ''}13px ${FONT}`;
      ctx.fillText(cell.text, x + CELL / 2, y + CELL / 2);
    }
  }
  return canvas;
}
