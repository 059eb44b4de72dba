/**
 * The Listen panel's pure logic: microphone samples as the 16-bit PCM the engine takes, its form
 * (from the listen field table), the bounded timeline, the chart's series, and one-line messages
 * for what can go wrong with a microphone.
 */
import type { ListenSettings, ListenWindow } from '../../../main/api/contract';
import { defaultsFromTable, type FieldSpec } from '../../../main/schema/fields';
import { LISTEN_FIELDS } from '../../../main/schema/listenFields';
import { checkFieldText } from './trainForm';
import type { LineSeries } from './trainingCharts';
import { emotionColor } from './palette';

/** The timeline keeps this many windows (10 minutes at the default 1 s hop): memory stays fixed however long one listens. */
export const MAX_TIMELINE_WINDOWS = 600;

/** Samples are sent in chunks of about this long: a window's last samples reach the engine this late at most. */
export const CHUNK_S = 0.25;

/** Float samples in [-1, 1] as mono 16-bit little-endian PCM, base64 (what listen.push takes). */
export function pcm16Base64(samples: Float32Array): string {
  const bytes = new Uint8Array(samples.length * 2);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < samples.length; i++) {
    const x = samples[i]!;
    const value = Number.isFinite(x) ? Math.max(-32768, Math.min(32767, Math.round(x * 32768))) : 0;
    view.setInt16(2 * i, value, true);
  }
  let binary = '';
  for (let at = 0; at < bytes.length; at += 0x8000) binary += String.fromCharCode(...bytes.subarray(at, at + 0x8000));
  return btoa(binary);
}

/** Collects microphone buffers and hands them on in chunks of `chunkSamples`. */
export class ChunkCollector {
  private readonly buffer: Float32Array;
  private filled = 0;

  constructor(readonly chunkSamples: number) {
    this.buffer = new Float32Array(chunkSamples);
  }

  /** Adds samples; returns the chunks they complete (copies). */
  add(samples: Float32Array): Float32Array[] {
    const chunks: Float32Array[] = [];
    let at = 0;
    while (at < samples.length) {
      const count = Math.min(samples.length - at, this.chunkSamples - this.filled);
      this.buffer.set(samples.subarray(at, at + count), this.filled);
      this.filled += count;
      at += count;
      if (this.filled === this.chunkSamples) {
        chunks.push(this.buffer.slice());
        this.filled = 0;
      }
    }
    return chunks;
  }

  /** The samples of the chunk not yet complete (a copy; empty when none), and starts over. */
  drain(): Float32Array {
    const rest = this.buffer.slice(0, this.filled);
    this.filled = 0;
    return rest;
  }
}

/** The newest `max` windows of `windows` followed by `added`. */
export function appendWindows(
  windows: readonly ListenWindow[],
  added: readonly ListenWindow[],
  max = MAX_TIMELINE_WINDOWS,
): ListenWindow[] {
  const all = [...windows, ...added];
  return all.length > max ? all.slice(all.length - max) : all;
}

/**
 * One line per class: its probability at each window's end, a gap (NaN) where the gate held the
 * window back, so silence shows as silence.
 */
export function timelineSeries(windows: readonly ListenWindow[], labels: readonly string[]): LineSeries[] {
  return labels.map((label, i) => ({
    label,
    color: emotionColor(label),
    data: windows.map((w) => ({ x: w.endS, y: w.probabilities ? w.probabilities[i]! : Number.NaN })),
  }));
}

export type ListenField = keyof ListenSettings;
/** Field → its text (a boolean for the checkbox). */
export type ListenFormValues = Record<ListenField, string | boolean>;

export const LISTEN_FORM_FIELDS = (Object.keys(LISTEN_FIELDS) as ListenField[]).map((field) => ({
  field,
  spec: LISTEN_FIELDS[field] as FieldSpec,
}));

/** Window and hop left empty mean their automatic length (0 in the settings). */
const AUTO_FIELDS: readonly ListenField[] = ['windowS', 'hopS'];

export function listenFormDefaults(): ListenFormValues {
  const defaults = defaultsFromTable(LISTEN_FIELDS, 'default') as unknown as ListenSettings;
  return {
    windowS: defaults.windowS === 0 ? '' : String(defaults.windowS),
    hopS: defaults.hopS === 0 ? '' : String(defaults.hopS),
    gateDb: String(defaults.gateDb),
    speakerNorm: defaults.speakerNorm,
  };
}

/** A field's text as the settings take it: empty window and hop are 0 (automatic). */
function fieldText(values: ListenFormValues, field: ListenField): string | boolean {
  const value = values[field];
  return AUTO_FIELDS.includes(field) && String(value).trim() === '' ? '0' : value;
}

/** The first invalid field's message, or null. */
export function listenFormError(values: ListenFormValues): string | null {
  for (const { field, spec } of LISTEN_FORM_FIELDS) {
    const message = checkFieldText(spec, fieldText(values, field));
    if (message) return message;
  }
  return null;
}

/** The settings a valid form spells (listen.start's `settings`). */
export function toListenSettings(values: ListenFormValues): ListenSettings {
  const number = (field: ListenField) => Number(String(fieldText(values, field)).trim());
  return { windowS: number('windowS'), hopS: number('hopS'), gateDb: number('gateDb'), speakerNorm: values.speakerNorm === true };
}

/** What the input shows when empty. */
export function listenPlaceholder(field: ListenField): string | undefined {
  return AUTO_FIELDS.includes(field) ? 'auto' : undefined;
}

/** What the browser's refusal to open a microphone means, in one line. */
export function microphoneErrorMessage(err: unknown): string {
  const name = (err as { name?: unknown } | null)?.name;
  switch (name) {
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'No microphone was found: connect one and press Start again.';
    case 'NotAllowedError':
    case 'SecurityError':
      return 'Microphone access was denied: allow it for this page (the browser’s site settings, or the system’s privacy settings) and press Start again.';
    case 'NotReadableError':
    case 'AbortError':
      return 'The microphone could not be opened: another program may be using it.';
    default:
      return `The microphone could not be opened: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/** Why this page cannot ask for a microphone at all, or null when it can. */
export function microphoneUnavailable(context: { isSecureContext: boolean; hasMediaDevices: boolean }): string | null {
  if (!context.isSecureContext) return 'This page cannot use a microphone: open it through localhost (or https), not another address.';
  if (!context.hasMediaDevices) return 'This browser offers no microphone access (navigator.mediaDevices is missing).';
  return null;
}
