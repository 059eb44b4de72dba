/**
 * Splits the audio part of a native FLAC stream into its frames. A frame runs from one frame
 * header to the next; a boundary counts only where a valid header (sync code and CRC-8) starts and
 * the bytes before it end with their own CRC-16, so sync-like bytes inside a frame are not taken
 * for a boundary. One pass over the bytes, whatever their size.
 *
 * The decoder package's own parser (codec-parser) stops at the end of the stream one frame too
 * early when the last frame is short, so valid files were refused as truncated; the frames found
 * here go to the decoder directly.
 */

function crcTable(polynomial: number, bits: 8 | 16): Uint16Array {
  const top = 1 << (bits - 1);
  const mask = (1 << bits) - 1;
  const table = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte << (bits - 8);
    for (let k = 0; k < 8; k++) crc = (crc & top ? (crc << 1) ^ polynomial : crc << 1) & mask;
    table[byte] = crc;
  }
  return table;
}

/** FLAC's CRC-8 (x^8 + x^2 + x + 1) and CRC-16 (x^16 + x^15 + x^2 + 1), both starting at 0. */
const CRC8 = crcTable(0x07, 8);
const CRC16 = crcTable(0x8005, 16);

function crc8(bytes: Uint8Array, from: number, to: number): number {
  let crc = 0;
  for (let i = from; i < to; i++) crc = CRC8[crc ^ bytes[i]];
  return crc;
}

/**
 * Length of the frame header at `at` (sync code up to and including its CRC-8), or 0 when no valid
 * header starts there.
 */
export function flacFrameHeaderLength(bytes: Uint8Array, at: number): number {
  if (at + 6 > bytes.length) return 0;
  // Sync: 14 bits 11111111111110, then a reserved 0 bit; then the blocking strategy bit.
  if (bytes[at] !== 0xff || (bytes[at + 1] & 0xfe) !== 0xf8) return 0;
  const blockSizeCode = bytes[at + 2] >> 4;
  const rateCode = bytes[at + 2] & 0x0f;
  if (blockSizeCode === 0 || rateCode === 0x0f) return 0; // reserved / invalid
  if ((bytes[at + 3] & 0x01) !== 0 || bytes[at + 3] >> 4 >= 0x0b) return 0; // reserved bit, reserved channel codes
  // The frame or sample number, UTF-8 coded in 1 to 7 bytes.
  const lead = bytes[at + 4];
  let numberLength = 1;
  if (lead >= 0x80) {
    if (lead < 0xc0 || lead === 0xff) return 0;
    for (let mask = 0x40; lead & mask && numberLength < 7; mask >>= 1) numberLength++;
  }
  let length = 4 + numberLength;
  if (blockSizeCode === 0x06) length += 1;
  else if (blockSizeCode === 0x07) length += 2;
  if (rateCode === 0x0c) length += 1;
  else if (rateCode === 0x0d || rateCode === 0x0e) length += 2;
  if (at + length + 1 > bytes.length) return 0;
  return crc8(bytes, at, at + length) === bytes[at + length] ? length + 1 : 0;
}

/** An ID3v1 tag: 128 bytes at the very end, starting with "TAG". */
function id3v1Length(bytes: Uint8Array, from: number): number {
  const at = bytes.length - 128;
  return at >= from && bytes[at] === 0x54 && bytes[at + 1] === 0x41 && bytes[at + 2] === 0x47 ? 128 : 0;
}

/**
 * The frames of a FLAC stream whose first frame header is at `start`. A last frame that does not
 * end with a valid CRC-16 (a cut-off file) is left out, so the caller's sample count shows what is
 * missing; a damaged frame that is followed by more frame headers is kept whole to the end, so the
 * decoder reports it.
 */
export function splitFlacFrames(bytes: Uint8Array, start: number): Uint8Array[] {
  const end = bytes.length - id3v1Length(bytes, start);
  const frames: Uint8Array[] = [];
  let frameStart = start;
  let crc = 0;
  let summed = frameStart; // crc covers bytes[frameStart, summed)
  let headerAfterStart = false;
  for (let p = frameStart + flacFrameHeaderLength(bytes, frameStart) + 2; p <= end; p++) {
    const atEnd = p === end;
    if (!atEnd && (bytes[p] !== 0xff || (bytes[p + 1] & 0xfe) !== 0xf8)) continue;
    const headerLength = atEnd ? 0 : flacFrameHeaderLength(bytes, p);
    if (!atEnd && headerLength === 0) continue;
    for (; summed < p - 2; summed++) crc = ((crc << 8) & 0xffff) ^ CRC16[(crc >> 8) ^ bytes[summed]];
    if (crc !== ((bytes[p - 2] << 8) | bytes[p - 1])) {
      headerAfterStart ||= !atEnd;
      continue;
    }
    frames.push(bytes.subarray(frameStart, p));
    if (atEnd) return frames;
    frameStart = p;
    crc = 0;
    summed = p;
    headerAfterStart = false;
    p += headerLength + 1; // with the loop's p++: the shortest frame is its header and a CRC-16
  }
  if (headerAfterStart) frames.push(bytes.subarray(frameStart, end));
  return frames;
}
