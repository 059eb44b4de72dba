/**
 * Audio files the user picks or drops for prediction: which ones are accepted (type and size)
 * and how their bytes travel to the engine (base64).
 */
import type { PredictInput } from '../../../main/api/contract';

export const AUDIO_EXTENSIONS = ['.wav', '.flac', '.ogg', '.mp3'] as const;
/** The `accept` attribute of the file input. */
export const FILE_INPUT_ACCEPT = 'audio/*,.wav,.flac,.ogg,.mp3';
/** The engine refuses uploads above this (MAX_UPLOAD_BYTES in main/api/handlers.ts). */
export const MAX_FILE_BYTES = 50 * 1024 * 1024;

export interface FileProblem {
  code: 'unsupported' | 'too-large' | 'empty';
  message: string;
}

/** ".wav" for "a/B.WAV"; "" when the name has no extension. */
export function fileExtension(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? name;
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot).toLowerCase() : '';
}

function megabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** Why a file cannot be sent for prediction, or null when it can. `size` is unknown for native paths. */
export function checkAudioFile(file: { name: string; size?: number }): FileProblem | null {
  const ext = fileExtension(file.name);
  if (!(AUDIO_EXTENSIONS as readonly string[]).includes(ext)) {
    const what = ext ? `file type "${ext}"` : 'file without an extension';
    return { code: 'unsupported', message: `unsupported ${what}: use ${AUDIO_EXTENSIONS.join(', ')}` };
  }
  if (file.size !== undefined) {
    if (file.size === 0) return { code: 'empty', message: 'the file is empty (0 bytes)' };
    if (file.size > MAX_FILE_BYTES) {
      return { code: 'too-large', message: `the file is ${megabytes(file.size)}; the limit is ${MAX_FILE_BYTES / (1024 * 1024)} MB` };
    }
  }
  return null;
}

/** Bytes → base64, in chunks (String.fromCharCode on a whole 50 MB array overflows the stack). */
export function bytesToBase64(bytes: Uint8Array): string {
  const CHUNK = 0x8000;
  let binary = '';
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  }
  return btoa(binary);
}

/** A picked or dropped file as the engine takes it. */
export async function fileToPredictInput(file: Blob & { name: string }): Promise<PredictInput> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  return { name: file.name, dataBase64: bytesToBase64(bytes) };
}

/** The files of a drop event (folders and other items are left out). */
export function droppedFiles(transfer: DataTransfer | null): File[] {
  return transfer ? Array.from(transfer.files) : [];
}
