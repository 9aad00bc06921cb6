/** @jest-environment ./test/support/native-realm-environment.js */
import * as tf from '@tensorflow/tfjs';
import pino from 'pino';
import sharp from 'sharp';
import { BlockType, detectObjectsConfig, type DetectObjectsConfig } from '../../src/core/blocks';
import type { Box, Detection } from '../../src/core/values';
import { createModelBlockHandlers, type ModelBlockHandlers } from '../../gpu-worker/src/models';
import { defaultModelFiles } from '../../gpu-worker/src/models/model-files';
import { prepareNanodetInput } from '../../gpu-worker/src/models/objects/nanodet';
import { NanodetThread } from '../../gpu-worker/src/models/objects/nanodet-thread';
import { decodeImage } from '../../src/images/decode-image';
import { compileImageLoadOptions } from '../../src/images/image-load-options';
import { base64Image, blockContext, darknetPhoto } from '../support/test-images';

let models: ModelBlockHandlers;
const defaults: DetectObjectsConfig = detectObjectsConfig.parse({});

beforeAll(() => {
  models = createModelBlockHandlers({ logger: pino({ level: 'silent' }) });
});
afterAll(async () => {
  await models.dispose();
});

async function detect(photo: string, config: DetectObjectsConfig = defaults): Promise<{ detections: Detection[]; boxes: Box[] }> {
  const handler = models.handlers.get(BlockType.DetectObjects);
  if (!handler) throw new Error('detect.objects is not registered');
  const out = await handler({ image: base64Image(darknetPhoto(photo)) }, config, blockContext());
  return { detections: out.detections as Detection[], boxes: out.boxes as Box[] };
}

/** Intersection over union of two boxes in pixels. */
function iou(a: Box, b: Box): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  if (w <= 0 || h <= 0) return 0;
  return (w * h) / (a.width * a.height + b.width * b.height - w * h);
}

/** Where the objects are, read off the photos by eye (x, y, width, height in pixels). */
const DOG_IN_DOG_JPG: Box = { x: 128, y: 222, width: 188, height: 318 };
const BICYCLE_IN_DOG_JPG: Box = { x: 118, y: 124, width: 452, height: 300 };
const PERSON_IN_PERSON_JPG: Box = { x: 188, y: 98, width: 88, height: 282 };
const HORSE_IN_PERSON_JPG: Box = { x: 398, y: 136, width: 210, height: 212 };

function best(detections: readonly Detection[], label: string, near: Box): Detection | undefined {
  return detections.filter((d) => d.label === label).sort((a, b) => iou(b.box, near) - iou(a.box, near))[0];
}

describe('detect.objects (NanoDet, COCO)', () => {
  test('finds the dog and the bicycle in dog.jpg, where they are', async () => {
    const { detections, boxes } = await detect('dog.jpg');
    const dog = best(detections, 'dog', DOG_IN_DOG_JPG);
    expect(dog).toBeDefined();
    expect(dog?.score).toBeGreaterThanOrEqual(defaults.minScore);
    expect(iou(dog?.box ?? DOG_IN_DOG_JPG, DOG_IN_DOG_JPG)).toBeGreaterThan(0.6);
    const bicycle = best(detections, 'bicycle', BICYCLE_IN_DOG_JPG);
    expect(bicycle?.score).toBeGreaterThan(0.5);
    expect(iou(bicycle?.box ?? BICYCLE_IN_DOG_JPG, BICYCLE_IN_DOG_JPG)).toBeGreaterThan(0.6);
    // boxes mirrors detections, which come best first.
    expect(boxes).toEqual(detections.map((d) => d.box));
    const scores = detections.map((d) => d.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });

  test('finds the person and the horse in person.jpg, boxes inside the image', async () => {
    const { detections } = await detect('person.jpg');
    const person = best(detections, 'person', PERSON_IN_PERSON_JPG);
    expect(person?.score).toBeGreaterThan(0.6);
    expect(iou(person?.box ?? PERSON_IN_PERSON_JPG, PERSON_IN_PERSON_JPG)).toBeGreaterThan(0.7);
    const horse = best(detections, 'horse', HORSE_IN_PERSON_JPG);
    expect(horse?.score).toBeGreaterThan(0.4);
    expect(iou(horse?.box ?? HORSE_IN_PERSON_JPG, HORSE_IN_PERSON_JPG)).toBeGreaterThan(0.6);
    const { width = 0, height = 0 } = await sharp(darknetPhoto('person.jpg')).metadata();
    for (const { box, score } of detections) {
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.y).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(width);
      expect(box.y + box.height).toBeLessThanOrEqual(height);
      expect(box.score).toBe(score);
    }
  });

  test('other photos: the giraffe and zebra, the eagle, the kite flyers', async () => {
    const labels = async (photo: string): Promise<string[]> => (await detect(photo)).detections.map((d) => d.label);
    expect(await labels('giraffe.jpg')).toEqual(expect.arrayContaining(['giraffe', 'zebra']));
    expect((await labels('eagle.jpg'))[0]).toBe('bird');
    const kite = await labels('kite.jpg');
    expect(kite).toContain('kite');
    expect(kite.filter((l) => l === 'person').length).toBeGreaterThanOrEqual(3);
  });

  test('no tensors leak between requests, in the thread the model runs on', async () => {
    const thread = await NanodetThread.start(defaultModelFiles().objectDetector);
    try {
      const input = async (photo: string) =>
        prepareNanodetInput(await decodeImage(darknetPhoto(photo), compileImageLoadOptions()));
      await thread.run(await input('dog.jpg'));
      const before = thread.liveTensors;
      expect(before).toBeGreaterThan(0); // the model's weights
      await thread.run(await input('person.jpg'));
      await thread.run(await input('dog.jpg'));
      expect(thread.liveTensors).toBe(before);
    } finally {
      await thread.dispose();
    }
  });

  test('runs the model off the main thread, whose event loop it would otherwise block', async () => {
    await detect('person.jpg');
    // The model's weights live where it computes: none of them on this thread.
    expect(tf.memory().numTensors).toBe(0);
  });

  test('minScore and maxDetections are honoured', async () => {
    const strict = await detect('dog.jpg', { ...defaults, minScore: 0.6 });
    expect(strict.detections.length).toBeGreaterThan(0);
    for (const d of strict.detections) expect(d.score).toBeGreaterThanOrEqual(0.6);
    expect(strict.detections.map((d) => d.label)).not.toContain('dog');
    const one = await detect('dog.jpg', { ...defaults, maxDetections: 1 });
    expect(one.detections).toHaveLength(1);
    expect(one.detections[0]?.label).toBe('bicycle');
  });
});
