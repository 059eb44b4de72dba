/**
 * A small RGB raster for images the engine writes itself (no canvas in Node): filled rectangles,
 * text in the 5 × 7 bitmap font at an integer scale (across, or up the page), and PNG encoding.
 */
import { crc32, deflateSync } from 'node:zlib';
import { glyph, GLYPH_HEIGHT, GLYPH_WIDTH } from './bitmapFont';

export type Rgb = readonly [number, number, number];

/** One character's advance: the glyph and a one-pixel gap, at scale 1. */
export const CHAR_ADVANCE = GLYPH_WIDTH + 1;

export function textWidth(text: string, scale: number): number {
  const chars = [...text].length;
  return chars === 0 ? 0 : (chars * CHAR_ADVANCE - 1) * scale;
}

export function textHeight(scale: number): number {
  return GLYPH_HEIGHT * scale;
}

export class Raster {
  readonly pixels: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
    background: Rgb = [255, 255, 255],
  ) {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
      throw new Error(`an image needs a positive whole size, got ${width} × ${height}`);
    }
    this.pixels = new Uint8Array(width * height * 3);
    this.fillRect(0, 0, width, height, background);
  }

  /** Fills the rectangle, clipped to the image. */
  fillRect(x: number, y: number, w: number, h: number, color: Rgb): void {
    const x0 = Math.max(0, Math.round(x));
    const y0 = Math.max(0, Math.round(y));
    const x1 = Math.min(this.width, Math.round(x + w));
    const y1 = Math.min(this.height, Math.round(y + h));
    for (let row = y0; row < y1; row++) {
      for (let col = x0; col < x1; col++) {
        const i = (row * this.width + col) * 3;
        this.pixels[i] = color[0];
        this.pixels[i + 1] = color[1];
        this.pixels[i + 2] = color[2];
      }
    }
  }

  /** Text across the page with its top-left corner at (x, y). */
  text(text: string, x: number, y: number, scale: number, color: Rgb): void {
    let left = x;
    for (const char of text) {
      glyph(char).forEach((row, r) =>
        row.forEach((ink, c) => {
          if (ink) this.fillRect(left + c * scale, y + r * scale, scale, scale, color);
        }),
      );
      left += CHAR_ADVANCE * scale;
    }
  }

  /** Text reading upwards (turned 90° to the left) with its baseline on x and its first character's bottom at y. */
  textUp(text: string, x: number, y: number, scale: number, color: Rgb): void {
    let bottom = y;
    for (const char of text) {
      glyph(char).forEach((row, r) =>
        row.forEach((ink, c) => {
          // Glyph column c goes up the page, glyph row r goes right.
          if (ink) this.fillRect(x + r * scale, bottom - (c + 1) * scale, scale, scale, color);
        }),
      );
      bottom -= CHAR_ADVANCE * scale;
    }
  }

  /** The image as a PNG file (8-bit RGB, no interlace). */
  toPng(): Uint8Array {
    const stride = this.width * 3;
    const filtered = new Uint8Array((stride + 1) * this.height);
    for (let row = 0; row < this.height; row++) {
      filtered[row * (stride + 1)] = 0; // filter: none
      filtered.set(this.pixels.subarray(row * stride, (row + 1) * stride), row * (stride + 1) + 1);
    }
    const header = Buffer.alloc(13);
    header.writeUInt32BE(this.width, 0);
    header.writeUInt32BE(this.height, 4);
    header.set([8, 2, 0, 0, 0], 8); // bit depth 8, colour type RGB, deflate, adaptive filters, no interlace
    return Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      chunk('IHDR', header),
      chunk('IDAT', deflateSync(filtered)),
      chunk('IEND', Buffer.alloc(0)),
    ]);
  }
}

function chunk(type: string, data: Uint8Array): Buffer {
  const typeAndData = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const out = Buffer.alloc(4 + typeAndData.length + 4);
  out.writeUInt32BE(data.length, 0);
  typeAndData.copy(out, 4);
  out.writeUInt32BE(crc32(typeAndData), 4 + typeAndData.length);
  return out;
}
