/** @jest-environment ./test/support/native-realm-environment.js */
import pino from 'pino';
import sharp from 'sharp';
import type { BlockHandler } from '../../src/blocks/block-handler';
import { BlockType, detectTextConfig, type DetectTextConfig } from '../../src/core/blocks';
import type { Box, RecognizedText, TextDirection } from '../../src/core/values';
import { createModelBlockHandlers, type ModelBlockHandlers } from '../../gpu-worker/src/models';
import { toTextDirection } from '../../gpu-worker/src/models/ocr/text-direction';
import { cpuBlockHandlers } from '../../worker/blocks/cpu';
import { base64Image, blockContext, humanScreenshot, normaliseText, renderText } from '../support/test-images';

// One set of models for the whole file: loading them is the expensive part.
let models: ModelBlockHandlers;
const defaults: DetectTextConfig = detectTextConfig.parse({});

beforeAll(() => {
  models = createModelBlockHandlers({ logger: pino({ level: 'silent' }), device: 'cpu' });
});
afterAll(async () => {
  await models.dispose();
});

function handler(type: BlockType): BlockHandler {
  const found = models.handlers.get(type) ?? cpuBlockHandlers.get(type);
  if (!found) throw new Error(`no handler for ${type}`);
  return found;
}

async function detect(image: Buffer, config: DetectTextConfig = defaults): Promise<Box[]> {
  const out = await handler(BlockType.DetectText)({ image: base64Image(image) }, config, blockContext());
  return out.boxes as Box[];
}

/** detect.text -> image.crop -> recognize.text, as a workflow wires them. */
async function read(image: Buffer): Promise<{ boxes: Box[]; texts: RecognizedText[] }> {
  const boxes = await detect(image);
  const crops = await handler(BlockType.ImageCrop)(
    { image: base64Image(image), boxes },
    { padding: 0, format: 'png' },
    blockContext(),
  );
  const out = await handler(BlockType.RecognizeText)({ images: crops.images }, {}, blockContext());
  return { boxes, texts: out.texts as RecognizedText[] };
}

describe('detect.text + image.crop + recognize.text', () => {
  test('reads rendered lines, in reading order', async () => {
    const image = await renderText(640, 220, [
      { text: 'SWITCHYARD 2026', x: 40, y: 80, fontSize: 48 },
      { text: 'Hello World', x: 40, y: 170, fontSize: 40 },
    ]);
    const { boxes, texts } = await read(image);
    expect(boxes).toHaveLength(2);
    // The detector runs on a 32-multiple resize; boxes come back in the 640x220 image's own pixels.
    const [first, second] = boxes as [Box, Box];
    expect(first.y).toBeLessThan(second.y);
    expect(first.x).toBeGreaterThanOrEqual(25);
    expect(first.x).toBeLessThanOrEqual(50);
    expect(first.y + first.height).toBeLessThanOrEqual(100);
    expect(first.width).toBeGreaterThan(380);
    expect(first.width).toBeLessThan(520);
    expect(second.y).toBeGreaterThan(120);
    for (const box of boxes) {
      expect(box.score).toBeGreaterThanOrEqual(defaults.boxScore);
      expect(box.points).toHaveLength(4);
    }
    // The Chinese/English PP-OCRv4 model tends to drop the space between words: compare without spaces.
    expect(normaliseText(texts[0]?.text ?? '')).toBe('switchyard2026');
    expect(texts[0]?.text.replace(/\s/g, '')).toBe('SWITCHYARD2026');
    expect(normaliseText(texts[1]?.text ?? '')).toBe('helloworld');
    for (const text of texts) expect(text.score).toBeGreaterThan(0.8);
  });

  test('reads a real screenshot (TypeDoc index of @vladmandic/human)', async () => {
    const image = humanScreenshot('screenshot-typedoc.png');
    const { width, height } = await sharp(image).metadata();
    const { boxes, texts } = await read(image);
    // 96 identifiers and 10 headings are visible; the detector finds one box per word or so.
    expect(boxes.length).toBeGreaterThanOrEqual(90);
    expect(boxes.length).toBeLessThanOrEqual(140);
    for (const box of boxes) {
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.y).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(width ?? 0);
      expect(box.y + box.height).toBeLessThanOrEqual(height ?? 0);
    }
    const read_ = texts.map((t) => normaliseText(t.text));
    // Reading order: the page starts with its first heading.
    expect(read_[0]).toBe('constructors');
    const headings = [
      'Constructors',
      'Properties',
      'Methods',
      'Namespaces',
      'Enumerations',
      'Classes',
      'Interfaces',
      'Type Aliases',
    ];
    for (const heading of headings) expect(read_).toContain(normaliseText(heading));
    // Identifiers carry an icon glyph the model reads as a stray character: match by containment.
    const identifiers = [
      'constructor',
      'faceTriangulation',
      'performance',
      'segmentation',
      'validate',
      'warmup',
      'GraphModel',
      'WebCam',
      'BodyKeypoint',
      'FaceDescriptionConfig',
      'SegmentationConfig',
      'BodyAnnotationBlazePose',
      'ExternalCanvas',
      'FingerDirection',
      'GestureResult',
      'ImageObjects',
      'SegmentationEnum',
      'WarmupEnum',
    ];
    const found = identifiers.filter((word) => read_.some((text) => text.includes(normaliseText(word))));
    expect(found.length).toBeGreaterThanOrEqual(identifiers.length - 2);
  });

  test('reads light-on-dark UI text (the demo menu screenshot)', async () => {
    const { texts } = await read(humanScreenshot('screenshot-menu.png'));
    const read_ = texts.map((t) => normaliseText(t.text));
    for (const word of ['DISPLAY', 'INPUT', 'OPTIONS', 'MODELS', 'BACKEND', 'FACE DETECT', 'ROTATION DETECTION', 'GESTURES']) {
      expect(read_).toContain(normaliseText(word));
    }
  });

  test('config is honoured: maxBoxes caps the output, a high boxScore drops regions', async () => {
    const image = humanScreenshot('screenshot-typedoc.png');
    expect(await detect(image, { ...defaults, maxBoxes: 5 })).toHaveLength(5);
    const strict = await detect(image, { ...defaults, boxScore: 0.95 });
    const all = await detect(image);
    expect(strict.length).toBeLessThan(all.length);
    for (const box of strict) expect(box.score).toBeGreaterThanOrEqual(0.95);
  });
});

describe('classify.text_direction', () => {
  /** A tight crop of one rendered line, as detect.text + image.crop produce. */
  async function lineImage(text: string): Promise<Buffer> {
    const page = await renderText(520, 64, [{ text, x: 12, y: 44, fontSize: 32 }]);
    return sharp(page)
      .trim({ background: '#ffffff' })
      .extend({ top: 4, bottom: 4, left: 4, right: 4, background: '#ffffff' })
      .png()
      .toBuffer();
  }

  test('tells upright lines from lines rotated 180 degrees', async () => {
    const lines = ['Switchyard reads text', 'Invoice number 4821', 'The quick brown fox', 'Total due: 1,280.00 EUR'];
    const upright = await Promise.all(lines.map(lineImage));
    const rotated = await Promise.all(upright.map((png) => sharp(png).rotate(180).png().toBuffer()));
    const out = await handler(BlockType.ClassifyTextDirection)(
      { images: [...upright, ...rotated].map(base64Image) },
      { minScore: 0.9 },
      blockContext(),
    );
    const directions = out.directions as TextDirection[];
    expect(directions.map((d) => d.angle)).toEqual([0, 0, 0, 0, 180, 180, 180, 180]);
    for (const d of directions) expect(d.score).toBeGreaterThanOrEqual(0.9);
  });

  test('an upside-down page: detect, crop, classify says 180 for every line', async () => {
    const page = await renderText(640, 220, [
      { text: 'SWITCHYARD 2026', x: 40, y: 80, fontSize: 48 },
      { text: 'Hello World', x: 40, y: 170, fontSize: 40 },
    ]);
    const upsideDown = await sharp(page).rotate(180).png().toBuffer();
    const boxes = await detect(upsideDown);
    expect(boxes).toHaveLength(2);
    const crops = await handler(BlockType.ImageCrop)(
      { image: base64Image(upsideDown), boxes },
      { padding: 0, format: 'png' },
      blockContext(),
    );
    const out = await handler(BlockType.ClassifyTextDirection)({ images: crops.images }, { minScore: 0.9 }, blockContext());
    expect((out.directions as TextDirection[]).map((d) => d.angle)).toEqual([180, 180]);
  });

  test('minScore gates the 180 verdict; below it the answer is 0 with the upright probability', async () => {
    const rotated = await sharp(await lineImage('Invoice number 4821'))
      .rotate(180)
      .png()
      .toBuffer();
    const out = await handler(BlockType.ClassifyTextDirection)(
      { images: [base64Image(rotated)] },
      { minScore: 0.5 },
      blockContext(),
    );
    expect((out.directions as TextDirection[])[0]?.angle).toBe(180);
    // The gate itself, on probabilities the model could give:
    expect(toTextDirection([0.2, 0.8], 0.9)).toEqual({ angle: 0, score: 0.2 });
    expect(toTextDirection([0.2, 0.8], 0.8)).toEqual({ angle: 180, score: 0.8 });
    expect(toTextDirection([0.6, 0.4], 0.1)).toEqual({ angle: 0, score: 0.6 });
  });

  test('reports progress per image; an empty list gives an empty answer', async () => {
    const ctx = blockContext();
    const images = await Promise.all(['one', 'two', 'three'].map(lineImage));
    await handler(BlockType.ClassifyTextDirection)({ images: images.map(base64Image) }, { minScore: 0.9 }, ctx);
    expect(ctx.progress).toHaveLength(3);
    expect(ctx.progress[ctx.progress.length - 1]).toBe(1);
    const out = await handler(BlockType.ClassifyTextDirection)({ images: [] }, { minScore: 0.9 }, blockContext());
    expect(out.directions).toEqual([]);
  });
});
