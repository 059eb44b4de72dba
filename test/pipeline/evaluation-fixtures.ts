import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { buildEvaluationReport, type EvaluationReport } from '../../main/evaluation/report';
import { writeEvaluation } from '../../main/evaluation/file';

/** A real report over six clips; `shift` moves the predictions so two reports disagree on some clips. */
export function sampleReport(checkpoint: string, labels = ['anger', 'neutral', 'sadness'], shift = 0): EvaluationReport {
  const clips = Array.from({ length: 6 }, (_, i) => ({
    id: `c${i}`,
    path: `/data/c${i}.wav`,
    speaker: `s${i % 2}`,
    label: labels[i % labels.length]!,
  }));
  const k = labels.length;
  const probabilities = new Float32Array(clips.length * k);
  clips.forEach((_, i) => {
    for (let c = 0; c < k; c++) probabilities[i * k + c] = 0.1;
    probabilities[i * k + ((i + (i < 3 ? 0 : shift)) % k)] = 0.8;
  });
  return buildEvaluationReport({
    checkpoint,
    labels,
    clips,
    probabilities,
    dataset: { root: '/data', scheme: 'emodb', part: 'test' },
    splitDescription: 'test split',
    leaksSpeakers: false,
    seed: 1,
  });
}

/** A run folder `<runsDir>/<id>` holding run.json and stored evaluations (no checkpoints). */
export async function runWithEvaluations(runsDir: string, id: string, reports: Record<string, EvaluationReport>): Promise<string> {
  const dir = join(runsDir, id);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'run.json'), JSON.stringify({ id, status: 'done' }));
  for (const [name, report] of Object.entries(reports)) await writeEvaluation(dir, name, report);
  return dir;
}

/** A valid PNG of `width` × `height` grey noise (incompressible, so its size follows the pixels). */
export function noisePng(width: number, height: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (bytes: Buffer) => {
    let c = 0xffffffff;
    for (const b of bytes) c = crcTable[(c ^ b) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(body.length + 8);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc(body), body.length + 4);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 0; // greyscale
  const raw = Buffer.alloc((width + 1) * height);
  let seed = 12345;
  for (let y = 0; y < height; y++) {
    for (let x = 1; x <= width; x++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      raw[y * (width + 1) + x] = seed >>> 24;
    }
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
