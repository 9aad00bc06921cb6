import sharp from 'sharp';
import type { ImageValue } from '../../src/core/values';

/**
 * Benchmark inputs rendered here with sharp (librsvg), so the benchmarks need no downloads: text-line
 * crops like those detect.text + image.crop produce, a document page, and a photo-sized image.
 */
const WORDS = [
  'Invoice',
  'Total',
  'SWITCHYARD',
  '2026',
  'Hello World',
  'Order number 48213',
  'Due date: 12/01/2027',
  'Quantity',
  'Unit price',
  'Subtotal 1,280.00 EUR',
  'Thank you for your business',
  'Page 3 of 7',
  'Shipping address',
  'Reference AB-77-1934',
  'VAT 20%',
  'Customer support',
  'Terms and conditions apply',
  'Paid',
  'Balance',
  'Account 0042 7781 2210',
  'Notes',
  'Signature',
  'Delivery in 3-5 days',
  'Discount',
];

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** One text line, tightly cropped with a 4 px margin, at 28-36 px font size. */
export async function renderLine(text: string, fontSize: number): Promise<ImageValue> {
  const width = Math.ceil(text.length * fontSize * 0.7) + 40;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${fontSize * 2}"><rect width="100%" height="100%" fill="#fff"/><text x="10" y="${Math.round(fontSize * 1.4)}" font-family="DejaVu Sans" font-size="${fontSize}" fill="#111">${escapeXml(text)}</text></svg>`;
  const png = await sharp(Buffer.from(svg))
    .flatten({ background: '#ffffff' })
    .trim({ background: '#ffffff' })
    .extend({ top: 4, bottom: 4, left: 4, right: 4, background: '#ffffff' })
    .png()
    .toBuffer();
  return { base64: `data:image/png;base64,${png.toString('base64')}` };
}

/** `count` distinct line crops. */
export async function lineCrops(count: number): Promise<ImageValue[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => renderLine(WORDS[i % WORDS.length] ?? 'text', 28 + (i % 3) * 4)));
}

/** A 960x720 page with 16 lines of text, for the text detector. */
export async function documentPage(): Promise<ImageValue> {
  const lines = WORDS.slice(0, 16)
    .map(
      (w, i) =>
        `<text x="${40 + (i % 2) * 440}" y="${60 + Math.floor(i / 2) * 80}" font-family="DejaVu Sans" font-size="30" fill="#111">${escapeXml(w)}</text>`,
    )
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="960" height="720"><rect width="100%" height="100%" fill="#fff"/>${lines}</svg>`;
  const png = await sharp(Buffer.from(svg)).flatten({ background: '#ffffff' }).png().toBuffer();
  return { base64: png.toString('base64') };
}

/** A 768x576 JPEG of smooth noise: NanoDet's cost does not depend on what the picture shows. */
export async function photoSizedImage(): Promise<ImageValue> {
  const width = 768;
  const height = 576;
  const data = Buffer.alloc(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (Math.sin(i / 977) * 127 + 128 + (i % 13)) & 0xff;
  const jpeg = await sharp(data, { raw: { width, height, channels: 3 } })
    .jpeg()
    .toBuffer();
  return { base64: jpeg.toString('base64') };
}
