import sharp from 'sharp';
import type { BlockHandler } from '../../src/blocks/block-handler';
import {
  BlockType,
  detectionsFilterConfig,
  imageAnnotateConfig,
  type DetectionsFilterConfig,
  type ImageAnnotateConfig,
} from '../../src/core/blocks';
import { NodeErrorCode, NonRetryableNodeError } from '../../src/core/errors';
import type { Box, Detection, ImageValue } from '../../src/core/values';
import { compileImageLoadOptions, cropRectForBox, loadImage, type RawImage } from '../../src/images';
import { cpuBlockHandlers } from '../../worker/blocks/cpu';
import { blockContext } from '../support/test-images';

function handler(type: BlockType): BlockHandler {
  const found = cpuBlockHandlers.get(type);
  if (!found) throw new Error(`no handler for ${type}`);
  return found;
}

const decode = (value: ImageValue): Promise<RawImage> =>
  loadImage(value, compileImageLoadOptions(), new AbortController().signal);

/** A 100x60 image whose pixel at (x, y) is (x, y, 77): crops can be checked pixel by pixel. */
async function gradient(): Promise<ImageValue> {
  const width = 100;
  const height = 60;
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set([x, y, 77], (y * width + x) * 3);
  }
  const png = await sharp(data, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
  return { base64: png.toString('base64') };
}

async function crop(image: ImageValue, boxes: unknown, padding = 0, format = 'png'): Promise<ImageValue[]> {
  const out = await handler(BlockType.ImageCrop)({ image, boxes }, { padding, format }, blockContext());
  return out.images as ImageValue[];
}

async function expectInvalidInput(promise: Promise<unknown>, message: RegExp): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(NonRetryableNodeError);
  expect((err as NonRetryableNodeError).code).toBe(NodeErrorCode.InvalidInput);
  expect((err as Error).message).toMatch(message);
}

describe('image.crop', () => {
  test('crops each box, in order, with the right pixels', async () => {
    const image = await gradient();
    const [a, b] = await crop(image, [
      { x: 10, y: 5, width: 20, height: 8 },
      { x: 50, y: 30, width: 7, height: 3 },
    ]);
    const first = await decode(a as ImageValue);
    expect(first).toMatchObject({ width: 20, height: 8 });
    expect([...first.data.subarray(0, 3)]).toEqual([10, 5, 77]); // top-left pixel is the image's (10, 5)
    const second = await decode(b as ImageValue);
    expect(second).toMatchObject({ width: 7, height: 3 });
    expect([...second.data.subarray(second.data.length - 3)]).toEqual([56, 32, 77]); // bottom-right is (56, 32)
  });

  test('padding grows every side; the result is clamped to the image', async () => {
    const image = await gradient();
    const [padded, corner, whole] = await crop(
      image,
      [
        { x: 40, y: 20, width: 10, height: 10 },
        { x: 95, y: 55, width: 20, height: 20 }, // runs past the bottom-right corner
        { x: -50, y: -50, width: 500, height: 500 },
      ],
      5,
    );
    expect(await decode(padded as ImageValue)).toMatchObject({ width: 20, height: 20 });
    const clamped = await decode(corner as ImageValue);
    expect(clamped).toMatchObject({ width: 10, height: 10 }); // 90..100 x 50..60
    expect([...clamped.data.subarray(0, 3)]).toEqual([90, 50, 77]);
    expect(await decode(whole as ImageValue)).toMatchObject({ width: 100, height: 60 });
  });

  test('fractional boxes round outward', () => {
    expect(cropRectForBox({ x: 10.6, y: 4.2, width: 5.1, height: 2.2 }, 100, 60, 0)).toEqual({
      left: 10,
      top: 4,
      width: 6,
      height: 3,
    });
  });

  test('a tilted text box (points) comes out levelled, sized by its sides', async () => {
    // A 40x10 rectangle rotated by 30 degrees around (50, 30).
    const angle = Math.PI / 6;
    const corner = (u: number, v: number): [number, number] => [
      50 + u * Math.cos(angle) - v * Math.sin(angle),
      30 + u * Math.sin(angle) + v * Math.cos(angle),
    ];
    const points = [corner(-20, -5), corner(20, -5), corner(20, 5), corner(-20, 5)];
    const xs = points.map((p) => p[0]);
    const ys = points.map((p) => p[1]);
    const box: Box = {
      x: Math.min(...xs),
      y: Math.min(...ys),
      width: Math.max(...xs) - Math.min(...xs),
      height: Math.max(...ys) - Math.min(...ys),
      points,
    };
    const [levelled] = await crop(await gradient(), [box]);
    expect(await decode(levelled as ImageValue)).toMatchObject({ width: 40, height: 10 });
  });

  test('png, jpeg or webp as configured', async () => {
    for (const format of ['png', 'jpeg', 'webp']) {
      const [out] = await crop(await gradient(), [{ x: 0, y: 0, width: 8, height: 8 }], 0, format);
      expect((out as { base64: string }).base64.startsWith(`data:image/${format};base64,`)).toBe(true);
      expect((await sharp(Buffer.from((out as { base64: string }).base64.split(',')[1] ?? '', 'base64')).metadata()).format).toBe(
        format,
      );
    }
  });

  test('no boxes, no crops; a box outside the image or a malformed box is INVALID_INPUT', async () => {
    const image = await gradient();
    expect(await crop(image, [])).toEqual([]);
    await expectInvalidInput(
      crop(image, [
        { x: 0, y: 0, width: 5, height: 5 },
        { x: 200, y: 0, width: 5, height: 5 },
      ]),
      /boxes\[1\].*outside/,
    );
    await expectInvalidInput(crop(image, [{ x: 0, y: 0, width: -5, height: 5 }]), /negative/);
    await expectInvalidInput(crop(image, [{ x: '1', y: 0, width: 5, height: 5 }]), /numeric/);
    await expectInvalidInput(crop(image, 'all of them'), /list of boxes/);
  });
});

describe('detections.filter', () => {
  const box = (x: number): Box => ({ x, y: 0, width: 10, height: 10 });
  const detections: Detection[] = [
    { label: 'dog', score: 0.46, box: box(1) },
    { label: 'bicycle', score: 0.72, box: box(2) },
    { label: 'truck', score: 0.31, box: box(3) },
    { label: 'dog', score: 0.9, box: box(4) },
  ];
  const filter = async (config: Partial<DetectionsFilterConfig>) =>
    handler(BlockType.DetectionsFilter)({ detections }, detectionsFilterConfig.parse(config), blockContext());

  test('defaults keep everything, in order', async () => {
    const out = await filter({});
    expect(out).toEqual({ detections, boxes: detections.map((d) => d.box), count: 4 });
  });

  test('labels keep only those labels; minScore is inclusive', async () => {
    expect(await filter({ labels: ['dog'] })).toMatchObject({ count: 2, boxes: [box(1), box(4)] });
    expect(await filter({ minScore: 0.46 })).toMatchObject({ count: 3 });
    expect(await filter({ labels: ['dog', 'truck'], minScore: 0.5 })).toEqual({
      detections: [detections[3]],
      boxes: [box(4)],
      count: 1,
    });
    expect(await filter({ labels: ['Dog'] })).toMatchObject({ count: 0, detections: [], boxes: [] });
  });

  test('malformed detections are INVALID_INPUT', async () => {
    const run = (value: unknown) =>
      handler(BlockType.DetectionsFilter)({ detections: value }, detectionsFilterConfig.parse({}), blockContext());
    await expectInvalidInput(run([{ label: 'dog', score: 'high', box: box(1) }]), /detections\[0\].score/);
    await expectInvalidInput(run([{ label: 'dog', score: 0.5 }]), /detections\[0\].box/);
  });
});

describe('image.annotate', () => {
  const defaults: ImageAnnotateConfig = imageAnnotateConfig.parse({});
  const annotate = async (inputs: Record<string, unknown>, config: Partial<ImageAnnotateConfig> = {}) =>
    (await handler(BlockType.ImageAnnotate)(inputs, { ...defaults, ...config }, blockContext())).image as { base64: string };

  async function pixels(value: ImageValue): Promise<RawImage> {
    return decode(value);
  }

  test('draws detections and boxes: a valid PNG of the same size that differs where drawn', async () => {
    const image = await gradient();
    const detections: Detection[] = [{ label: 'dog <&>', score: 0.87, box: { x: 20, y: 20, width: 30, height: 25 } }];
    const out = await annotate({ image, detections, boxes: [{ x: 70, y: 5, width: 20, height: 20 }] });
    expect(out.base64.startsWith('data:image/png;base64,')).toBe(true);
    const meta = await sharp(Buffer.from(out.base64.split(',')[1] ?? '', 'base64')).metadata();
    expect(meta).toMatchObject({ format: 'png', width: 100, height: 60 });
    const before = await pixels(image);
    const after = await pixels(out);
    const at = (img: RawImage, x: number, y: number) => [
      ...img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3),
    ];
    // On the detection's left edge the stroke colour (#ff3b30) replaced the gradient; inside, nothing changed.
    expect(at(after, 20, 35)).toEqual([0xff, 0x3b, 0x30]);
    expect(at(after, 35, 35)).toEqual(at(before, 35, 35));
    // The plain box's edge too.
    expect(at(after, 80, 25)).toEqual([0xff, 0x3b, 0x30]);
    // The caption sits above the box: its background is painted there.
    expect(at(after, 22, 12)).not.toEqual(at(before, 22, 12));
  });

  test('colour, line width and format follow the config; no captions when labels is false', async () => {
    const image = await gradient();
    const detections: Detection[] = [{ label: 'cat', score: 0.5, box: { x: 20, y: 30, width: 30, height: 20 } }];
    const out = await annotate({ image, detections }, { color: '#00ff00', lineWidth: 6, labels: false });
    const after = await pixels(out);
    const before = await pixels(image);
    const at = (img: RawImage, x: number, y: number) => [
      ...img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3),
    ];
    expect(at(after, 18, 40)).toEqual([0, 255, 0]); // 2 px outside the edge: only a 6 px stroke reaches it
    expect(at(after, 30, 20)).toEqual(at(before, 30, 20)); // no caption above the box
    const webp = await annotate({ image, detections }, { format: 'webp' });
    expect(webp.base64.startsWith('data:image/webp;base64,')).toBe(true);
  });

  test('with nothing to draw the image comes back unchanged in content', async () => {
    const image = await gradient();
    expect(await pixels(await annotate({ image }))).toEqual(await pixels(image));
  });

  test('bad inputs are INVALID_INPUT', async () => {
    await expectInvalidInput(annotate({}), /inputs.image/);
    await expectInvalidInput(annotate({ image: await gradient(), boxes: [{}] }), /boxes\[0\]/);
  });
});

test('cpuBlockHandlers covers exactly the CPU blocks', () => {
  expect([...cpuBlockHandlers.keys()].sort()).toEqual(
    [BlockType.DetectionsFilter, BlockType.ImageAnnotate, BlockType.ImageCrop].sort(),
  );
});
