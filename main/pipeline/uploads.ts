/**
 * Audio the user hands over as bytes (serve mode's file picker, drag and drop) is stored under the
 * uploads folder before prediction, named by its content hash and a sanitised form of its name.
 */
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { writeFileAtomic } from '../util/fs';

/** Largest file accepted for prediction as uploaded bytes. */
export const MAX_UPLOAD_BYTES = 50 * 1024 * 1024;

/** A file name safe to store: no folders, no control or odd characters, bounded length. */
export function safeFileName(name: string): string {
  const base = basename(name.replace(/\\/g, '/'))
    .replace(/[^A-Za-z0-9._ -]/g, '_')
    .replace(/^\.+/, '_');
  return (base || 'upload').slice(-120);
}

/** Stores the bytes of an uploaded file and returns the path they were written to. */
export async function storeUpload(uploadsDir: string, name: string, bytes: Uint8Array): Promise<string> {
  if (bytes.length > MAX_UPLOAD_BYTES) throw new Error(`${name}: larger than ${MAX_UPLOAD_BYTES / 1024 / 1024} MB`);
  const hash = createHash('sha1').update(bytes).digest('hex').slice(0, 10);
  const path = join(uploadsDir, `${hash}-${safeFileName(name)}`);
  await mkdir(uploadsDir, { recursive: true });
  await writeFileAtomic(path, bytes);
  return path;
}
