/** How numbers, durations and dates are written everywhere in the UI. */

/** 0.7034 → "70.3 %". */
export function percent(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  return `${(value * 100).toFixed(digits)} %`;
}

/** A signed difference of two fractions in percentage points: 0.021 → "+2.1 pp". */
export function deltaPoints(value: number, digits = 1): string {
  if (!Number.isFinite(value)) return '–';
  const points = value * 100;
  const sign = points > 0 ? '+' : points < 0 ? '−' : '±';
  return `${sign}${Math.abs(points).toFixed(digits)} pp`;
}

/** 3.456 → "3.46"; large values get thousands separators. */
export function number(value: number | null | undefined, digits = 2): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function integer(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** A count with its noun in the right number: (1, 'speaker') → "1 speaker", (3, 'class', 'classes') → "3 classes". */
export function count(value: number, singular: string, plural = `${singular}s`): string {
  return `${integer(value)} ${Math.round(value) === 1 ? singular : plural}`;
}

/** Seconds as "0.8 s", "42 s", "3 min 05 s", "1 h 02 min". */
export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '–';
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min`;
  return `${m} min ${String(s).padStart(2, '0')} s`;
}

/** ETA text for a progress line: "ETA 42 s", or "" when unknown. */
export function eta(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds <= 0) return '';
  return `ETA ${duration(seconds)}`;
}

/** ISO date → "2026-11-24 14:03". */
export function dateTime(iso: string | undefined): string {
  if (!iso) return '–';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** The last component of a path, for either separator. */
export function baseName(path: string): string {
  const parts = path.split(/[\\/]/).filter(Boolean);
  return parts.at(-1) ?? path;
}

/** A 95 % interval as "[61.2, 78.9] %". */
export function interval(range: readonly [number, number] | undefined, digits = 1): string {
  if (!range) return '';
  return `[${(range[0] * 100).toFixed(digits)}, ${(range[1] * 100).toFixed(digits)}] %`;
}

/** An error of any shape as one line for the user. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A classical classifier's hyper-parameters: "C=0.1, gamma=0.5". */
export function hyperParameterText(hyperParameters: Record<string, number>): string {
  return Object.entries(hyperParameters)
    .map(([name, value]) => `${name}=${value}`)
    .join(', ');
}
