// Draws media/icon.png (128×128 RGBA) without an image library: the shapes are signed-distance functions,
// sampled 4×4 per pixel for anti-aliasing, and the PNG is encoded with node:zlib. Rerun to regenerate:
//   node scripts/package-icon.mjs
import { deflateSync } from 'node:zlib';
import { writeFileSync, mkdirSync } from 'node:fs';

const N = 128;

// Signed distances (negative inside).
const roundedBox = (x, y, cx, cy, hw, hh, r) => {
  const qx = Math.abs(x - cx) - hw + r;
  const qy = Math.abs(y - cy) - hh + r;
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r;
};
const circle = (x, y, cx, cy, r) => Math.hypot(x - cx, y - cy) - r;
const segment = (x, y, ax, ay, bx, by, r) => {
  const px = x - ax, py = y - ay, dx = bx - ax, dy = by - ay;
  const h = Math.max(0, Math.min(1, (px * dx + py * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - dx * h, py - dy * h) - r;
};
const triangle = (x, y, [ax, ay], [bx, by], [cx, cy]) => {
  // Inside when on the same side of all three edges; the distance is approximate but fine for 4×4 coverage.
  const e = (x0, y0, x1, y1) => ((x1 - x0) * (y - y0) - (y1 - y0) * (x - x0)) / Math.hypot(x1 - x0, y1 - y0);
  const d = [e(ax, ay, bx, by), e(bx, by, cx, cy), e(cx, cy, ax, ay)];
  const s = Math.sign(d[0] + d[1] + d[2]);
  return -Math.min(...d.map((v) => v * s));
};

/** Colour of the icon at a sample point, as straight RGBA in 0..1, painted back to front. */
function sample(x, y) {
  let c = [0, 0, 0, 0];
  const over = (rgb, a) => {
    const outA = a + c[3] * (1 - a);
    if (outA === 0) return;
    c = [0, 1, 2].map((i) => (rgb[i] * a + c[i] * c[3] * (1 - a)) / outA).concat(outA);
  };
  // Tile: deep indigo to teal diagonal gradient.
  if (roundedBox(x, y, 64, 64, 62, 62, 22) < 0) {
    const t = (x + y) / (2 * N);
    over([0.12 + 0.0 * t, 0.16 + 0.42 * t, 0.42 + 0.18 * t], 1);
  }
  // Chat bubble with a tail.
  const bubble = Math.min(roundedBox(x, y, 64, 56, 42, 30, 14), triangle(x, y, [34, 76], [54, 84], [30, 102]));
  if (bubble < 0) over([0.97, 0.98, 1.0], 1);
  // Inside the bubble: a double-headed arrow, the "stretched context" mark.
  const ink = [0.13, 0.27, 0.55];
  const arrow = Math.min(
    segment(x, y, 38, 56, 90, 56, 4.2),
    triangle(x, y, [28, 56], [42, 44], [42, 68]),
    triangle(x, y, [100, 56], [86, 44], [86, 68]),
  );
  if (arrow < 0) over(ink, 1);
  // Three grouped dots under the arrow: positions folded into groups (SelfExtend's floor(i/G)).
  for (const cx of [52, 64, 76]) if (circle(x, y, cx, 72, 3.6) < 0) over([0.2, 0.62, 0.6], 1);
  return c;
}

const rows = [];
for (let py = 0; py < N; py++) {
  const row = Buffer.alloc(1 + N * 4); // filter byte 0 (None) per scanline
  for (let px = 0; px < N; px++) {
    const acc = [0, 0, 0, 0];
    for (let sy = 0; sy < 4; sy++)
      for (let sx = 0; sx < 4; sx++) {
        const s = sample(px + (sx + 0.5) / 4, py + (sy + 0.5) / 4);
        for (let i = 0; i < 3; i++) acc[i] += s[i] * s[3];
        acc[3] += s[3];
      }
    const a = acc[3] / 16;
    for (let i = 0; i < 3; i++) row[1 + px * 4 + i] = a > 0 ? Math.round((acc[i] / acc[3]) * 255) : 0;
    row[1 + px * 4 + 3] = Math.round(a * 255);
  }
  rows.push(row);
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (buf) => {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type, data) => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
};
const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(N, 0);
ihdr.writeUInt32BE(N, 4);
ihdr[8] = 8; // bit depth
ihdr[9] = 6; // colour type RGBA
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', ihdr),
  chunk('IDAT', deflateSync(Buffer.concat(rows), { level: 9 })),
  chunk('IEND', Buffer.alloc(0)),
]);
mkdirSync('media', { recursive: true });
writeFileSync('media/icon.png', png);
console.log(`media/icon.png: ${N}x${N}, ${png.length} bytes`);
