/** The confusion-matrix PNG the engine draws for every export (app and CLI alike). */
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { renderConfusionPng } from '../../main/evaluation/confusionPng';
import { glyph, GLYPH_HEIGHT, GLYPH_WIDTH } from '../../main/util/bitmapFont';

/** Width, height and RGB pixels of an 8-bit RGB PNG without filters (what Raster writes). */
function decode(png: Uint8Array): { width: number; height: number; pixel: (x: number, y: number) => number[] } {
  const bytes = Buffer.from(png);
  expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  let offset = 8;
  let width = 0;
  let height = 0;
  const data: Buffer[] = [];
  while (offset < bytes.length) {
    const length = bytes.readUInt32BE(offset);
    const type = bytes.toString('latin1', offset + 4, offset + 8);
    const body = bytes.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      expect([...body.subarray(8, 13)]).toEqual([8, 2, 0, 0, 0]);
    }
    if (type === 'IDAT') data.push(body);
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(data));
  expect(raw.length).toBe((width * 3 + 1) * height);
  return { width, height, pixel: (x, y) => [...raw.subarray(y * (width * 3 + 1) + 1 + x * 3, y * (width * 3 + 1) + 4 + x * 3)] };
}

describe('renderConfusionPng', () => {
  it('draws a valid PNG whose cells carry the colour of the true class share', () => {
    const png = renderConfusionPng(
      ['anger', 'neutral', 'sadness'],
      [
        [5, 0, 0],
        [1, 3, 0],
        [0, 2, 2],
      ],
      'run-1 · best · UAR 72.2 % · 13 test clips',
    );
    const { width, height, pixel } = decode(png);
    expect(width).toBeGreaterThan(3 * 72);
    expect(height).toBeGreaterThan(3 * 72);
    const colours = new Set<string>();
    for (let y = 0; y < height; y += 3) for (let x = 0; x < width; x += 3) colours.add(pixel(x, y).join(','));
    // 100 % (anger → anger) is viridis' yellow, 0 % its dark purple; the background is white.
    expect(colours).toContain('253,231,37');
    expect(colours).toContain('68,1,84');
    expect(colours).toContain('255,255,255');
  });

  it('refuses a matrix that does not match its labels', () => {
    expect(() => renderConfusionPng(['a', 'b'], [[1, 2]], '')).toThrow('is not 2 × 2');
    expect(() => renderConfusionPng([], [], '')).toThrow('1 to 100 classes');
  });
});

describe('the bitmap font', () => {
  it('has a glyph for every printable ASCII character, and a box for others', () => {
    for (let code = 32; code < 127; code++) {
      const rows = glyph(String.fromCharCode(code));
      expect(rows, String.fromCharCode(code)).toHaveLength(GLYPH_HEIGHT);
      for (const row of rows) expect(row).toHaveLength(GLYPH_WIDTH);
    }
    // The box fills the 7 rows above the baseline.
    expect(glyph('é').flat().filter(Boolean).length).toBe(GLYPH_WIDTH * 2 + (7 - 2) * 2);
    // Descenders go below the baseline; other letters stay above it.
    expect(glyph('g')[8]!.some(Boolean)).toBe(true);
    expect(glyph('a').slice(7).flat().some(Boolean)).toBe(false);
  });
});
