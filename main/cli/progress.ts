/**
 * A terminal progress bar on stderr. Draws in place on a TTY; elsewhere (pipes, CI logs) it
 * prints nothing until `finish`, so captured output stays clean.
 */
export interface ProgressBar {
  update(done: number, total: number, detail?: string): void;
  finish(line?: string): void;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}

export function renderBar(done: number, total: number, width: number): string {
  const fraction = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(fraction * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}%`;
}

export function createProgressBar(label: string, stream: NodeJS.WriteStream = process.stderr): ProgressBar {
  const interactive = Boolean(stream.isTTY);
  let lastDraw = 0;
  // A bar that never drew leaves nothing to clear: clearing anyway wrote a line of spaces.
  let drawn = false;
  return {
    update(done, total, detail = '') {
      if (!interactive) return;
      const now = Date.now();
      if (now - lastDraw < 80 && done < total) return;
      lastDraw = now;
      const columns = stream.columns || 100;
      const line = `${label} ${renderBar(done, total, 30)} ${done}/${total} ${detail}`;
      stream.write(`\r${line.slice(0, columns - 1).padEnd(columns - 1)}`);
      drawn = true;
    },
    finish(line) {
      if (drawn) stream.write('\r' + ' '.repeat((stream.columns || 100) - 1) + '\r');
      drawn = false;
      if (line) stream.write(line + '\n');
    },
  };
}
