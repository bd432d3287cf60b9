import { inflateSync } from 'node:zlib';

/** Decode the XML entities vega writes into text. */
function unescapeXml(s: string): string {
  return s
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

/**
 * Inner markup of every leaf mark group whose class starts with `cls` (e.g. 'mark-rect role-mark').
 * Vega's leaf mark groups hold no nested <g>, so the first </g> closes them.
 */
export function markGroups(svg: string, cls: string): string[] {
  const re = new RegExp(`<g class="${cls}[^"]*"[^>]*>(.*?)</g>`, 'g');
  return [...svg.matchAll(re)].map((m) => m[1]);
}

/** Number of `<tag ` elements inside the mark groups of class `cls`. */
export function countMarks(svg: string, cls: string, tag = 'path'): number {
  let n = 0;
  for (const inner of markGroups(svg, cls)) n += (inner.match(new RegExp(`<${tag}[ >]`, 'g')) ?? []).length;
  return n;
}

/** Text content of the <text> elements in mark groups of class `cls`. */
export function texts(svg: string, cls: string): string[] {
  const out: string[] = [];
  for (const inner of markGroups(svg, cls)) {
    for (const m of inner.matchAll(/<text[^>]*>(.*?)<\/text>/g)) out.push(unescapeXml(m[1]));
  }
  return out;
}

export interface DecodedPng {
  width: number;
  height: number;
  /** RGBA, 8 bits per channel, row after row. */
  pixels: Uint8Array;
}

/**
 * A minimal PNG decoder (8-bit RGBA or RGB, not interlaced — what resvg writes), written out here so
 * the tests read the bytes renderPng produced rather than trusting the encoder.
 */
export function decodePng(png: Uint8Array): DecodedPng {
  const buf = Buffer.from(png);
  let pos = 8;
  let width = 0;
  let height = 0;
  let colorType = 6;
  const idat: Buffer[] = [];
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos);
    const type = buf.toString('ascii', pos + 4, pos + 8);
    const data = buf.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      if (data[8] !== 8 || data[12] !== 0) throw new Error('decodePng: only 8-bit, non-interlaced images');
      colorType = data[9];
    } else if (type === 'IDAT') {
      idat.push(data);
    }
    pos += 12 + len;
  }
  const bpp = colorType === 6 ? 4 : colorType === 2 ? 3 : 0;
  if (bpp === 0) throw new Error(`decodePng: colour type ${colorType} not handled`);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * bpp;
  const out = new Uint8Array(width * height * bpp);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const src = y * (stride + 1) + 1;
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? out[y * stride + x - bpp] : 0;
      const b = y > 0 ? out[(y - 1) * stride + x] : 0;
      const c = x >= bpp && y > 0 ? out[(y - 1) * stride + x - bpp] : 0;
      let pred = 0;
      if (filter === 1) pred = a;
      else if (filter === 2) pred = b;
      else if (filter === 3) pred = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      out[y * stride + x] = (raw[src + x] + pred) & 0xff;
    }
  }
  if (bpp === 4) return { width, height, pixels: out };
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    rgba.set(out.subarray(3 * i, 3 * i + 3), 4 * i);
    rgba[4 * i + 3] = 255;
  }
  return { width, height, pixels: rgba };
}

/** Number of dark pixels (luma < 128) in the rectangle [x0, x1) × [y0, y1). */
export function darkPixels(img: DecodedPng, x0 = 0, y0 = 0, x1 = img.width, y1 = img.height): number {
  let n = 0;
  for (let y = y0; y < Math.min(y1, img.height); y++) {
    for (let x = x0; x < Math.min(x1, img.width); x++) {
      const i = 4 * (y * img.width + x);
      const luma = 0.299 * img.pixels[i] + 0.587 * img.pixels[i + 1] + 0.114 * img.pixels[i + 2];
      if (luma < 128) n++;
    }
  }
  return n;
}
