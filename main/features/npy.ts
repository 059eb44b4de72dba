/**
 * NumPy `.npy` (format 1.0) for float32 arrays, little-endian, C order — readable by `numpy.load`.
 */
import { writeFileAtomic } from '../util/fs';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

export function encodeNpyFloat32(data: Float32Array, shape: number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) {
    throw new Error(`npy: shape [${shape.join(', ')}] holds ${count} values but ${data.length} were given`);
  }
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // magic(6) + version(2) + header length(2) + header, padded with spaces to a multiple of 64, ending in \n.
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const body = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  // Float32Array is host-endian; every platform we ship on is little-endian, as `<f4` declares.
  out.set(body, 10 + header.length);
  return out;
}

export function decodeNpyFloat32(bytes: Uint8Array): { data: Float32Array; shape: number[] } {
  if (!MAGIC.every((b, i) => bytes[i] === b)) throw new Error('npy: not a .npy file');
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset).getUint16(8, true);
  const header = String.fromCharCode(...bytes.subarray(10, 10 + headerLength));
  if (!header.includes("'descr': '<f4'")) throw new Error(`npy: only little-endian float32 is supported (${header.trim()})`);
  const shapeMatch = /'shape': \(([^)]*)\)/.exec(header);
  if (!shapeMatch) throw new Error('npy: header has no shape');
  const shape = shapeMatch[1]!
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  const start = 10 + headerLength;
  const body = bytes.slice(start);
  return { data: new Float32Array(body.buffer, 0, body.byteLength / 4), shape };
}

export async function writeNpyFloat32(path: string, data: Float32Array, shape: number[]): Promise<void> {
  await writeFileAtomic(path, encodeNpyFloat32(data, shape));
}
