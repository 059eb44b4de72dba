#!/usr/bin/env node
/**
 * Draws the SER Workbench icon — a speech waveform on a rounded indigo square — and writes it as
 * PNG at every size the installers need:
 *
 *   resources/build/icons/<n>x<n>.png   n = 16 32 48 64 128 256 512 1024   (Linux; electron-builder's layout)
 *   resources/build/icon.png            1024 × 1024                          (macOS .icns and Windows .ico are derived from it)
 *
 * Pure Node: the shape is evaluated analytically with 4×4 supersampling per pixel, and the PNG is
 * encoded by hand (RGBA 8-bit, filter 0, zlib deflate, CRC-32). Deterministic: the same bytes every run.
 *
 *   node scripts/make-icons.mjs [outDir]     (default: resources/build next to this script's repo)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

export const ICON_SIZES = [16, 32, 48, 64, 128, 256, 512, 1024];

// ---------------------------------------------------------------------------------------------
// PNG encoding

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(bytes) {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** RGBA pixels (width × height × 4, row-major) → PNG bytes. */
export function encodePng(width, height, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // colour type: RGBA
  ihdr[10] = 0; // deflate
  ihdr[11] = 0; // adaptive filtering
  ihdr[12] = 0; // no interlace
  const stride = width * 4;
  const raw = Buffer.alloc(height * (stride + 1));
  for (let y = 0; y < height; y++) {
    raw[y * (stride + 1)] = 0; // filter: none
    Buffer.from(rgba.buffer, rgba.byteOffset + y * stride, stride).copy(raw, y * (stride + 1) + 1);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// ---------------------------------------------------------------------------------------------
// The glyph, in unit coordinates (0,0 top-left .. 1,1 bottom-right)

const MARGIN = 0.06;
const CORNER = 0.2;
/** Bar heights of the waveform, as a share of the icon: a spoken phrase rising and falling. */
const BARS = [0.14, 0.3, 0.52, 0.7, 0.44, 0.6, 0.34, 0.18];
const BAR_HALF_WIDTH = 0.028;
const TOP = [0x4c, 0x6e, 0xf5]; // indigo-blue
const BOTTOM = [0x6a, 0x2c, 0xc9]; // violet
const BAR = [0xff, 0xff, 0xff];
const ACCENT = [0x63, 0xe6, 0xbe]; // the tallest bar: the "emotion" peak

function insideRoundedSquare(x, y) {
  const lo = MARGIN;
  const hi = 1 - MARGIN;
  if (x < lo || x > hi || y < lo || y > hi) return false;
  const cx = Math.min(Math.max(x, lo + CORNER), hi - CORNER);
  const cy = Math.min(Math.max(y, lo + CORNER), hi - CORNER);
  return (x - cx) ** 2 + (y - cy) ** 2 <= CORNER ** 2;
}

/** Index of the bar (a vertical capsule) covering (x, y), or -1. */
function barAt(x, y) {
  const span = 0.6;
  const left = 0.5 - span / 2;
  const step = span / (BARS.length - 1);
  const i = Math.round((x - left) / step);
  if (i < 0 || i >= BARS.length) return -1;
  const cx = left + i * step;
  const half = BARS[i] / 2 - BAR_HALF_WIDTH;
  const dy = Math.max(Math.abs(y - 0.5) - Math.max(half, 0), 0);
  return (x - cx) ** 2 + dy ** 2 <= BAR_HALF_WIDTH ** 2 ? i : -1;
}

function colourAt(x, y) {
  if (!insideRoundedSquare(x, y)) return null;
  const bar = barAt(x, y);
  if (bar >= 0) return bar === BARS.indexOf(Math.max(...BARS)) ? ACCENT : BAR;
  const t = Math.min(1, Math.max(0, (x + y) / 2));
  return TOP.map((a, k) => a + (BOTTOM[k] - a) * t);
}

/** The icon at `size` × `size`, RGBA, anti-aliased by 4×4 supersampling. */
export function renderIcon(size) {
  const SS = 4;
  const rgba = new Uint8Array(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let covered = 0;
      for (let sy = 0; sy < SS; sy++) {
        for (let sx = 0; sx < SS; sx++) {
          const colour = colourAt((px + (sx + 0.5) / SS) / size, (py + (sy + 0.5) / SS) / size);
          if (!colour) continue;
          r += colour[0];
          g += colour[1];
          b += colour[2];
          covered++;
        }
      }
      const at = (py * size + px) * 4;
      if (covered > 0) {
        rgba[at] = Math.round(r / covered);
        rgba[at + 1] = Math.round(g / covered);
        rgba[at + 2] = Math.round(b / covered);
        rgba[at + 3] = Math.round((255 * covered) / (SS * SS));
      }
    }
  }
  return rgba;
}

export function writeIcons(outDir) {
  const written = [];
  mkdirSync(join(outDir, 'icons'), { recursive: true });
  for (const size of ICON_SIZES) {
    const png = encodePng(size, size, renderIcon(size));
    const path = join(outDir, 'icons', `${size}x${size}.png`);
    writeFileSync(path, png);
    written.push(path);
    if (size === 1024) {
      writeFileSync(join(outDir, 'icon.png'), png);
      written.push(join(outDir, 'icon.png'));
    }
  }
  return written;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const outDir = resolve(process.argv[2] ?? join(repo, 'resources', 'build'));
  for (const path of writeIcons(outDir)) console.log(path);
}
