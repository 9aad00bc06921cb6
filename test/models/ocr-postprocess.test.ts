import { ctcGreedyDecode } from '../../gpu-worker/src/models/ocr/ctc-decode';
import { dbPostprocess } from '../../gpu-worker/src/models/ocr/db-postprocess';
import { minAreaRect, type Point } from '../../gpu-worker/src/models/ocr/quad-geometry';
import { sortReadingOrder } from '../../gpu-worker/src/models/ocr/reading-order';
import { detectionInputSize } from '../../gpu-worker/src/models/ocr/text-detector';
import { recognitionInputWidth } from '../../gpu-worker/src/models/ocr/text-recognizer';

describe('OCR post-processing (pure)', () => {
  test('minAreaRect recovers a rotated rectangle from its pixels', () => {
    const angle = 0.3;
    const points: Point[] = [];
    for (let u = -20; u <= 20; u++) {
      for (let v = -5; v <= 5; v++) {
        points.push([100 + u * Math.cos(angle) - v * Math.sin(angle), 50 + u * Math.sin(angle) + v * Math.cos(angle)]);
      }
    }
    const rect = minAreaRect(points);
    expect(rect.cx).toBeCloseTo(100, 5);
    expect(rect.cy).toBeCloseTo(50, 5);
    expect([rect.width, rect.height].sort((a, b) => a - b)).toEqual([expect.closeTo(10, 5), expect.closeTo(40, 5)]);
  });

  test('DB: two text cores become two boxes, scored and grown by area * unclipRatio / perimeter', () => {
    const width = 200;
    const height = 100;
    const map = new Float32Array(width * height);
    const fill = (x0: number, y0: number, x1: number, y1: number, p: number): void => {
      for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) map[y * width + x] = p;
    };
    fill(10, 10, 90, 20, 0.9); // 80 x 10 between pixel centres
    fill(120, 60, 180, 80, 0.8);
    fill(5, 90, 6, 91, 0.95); // too small: dropped
    fill(150, 5, 190, 15, 0.4); // above the binary threshold but below boxScore: dropped
    const regions = dbPostprocess(map, width, height, { binaryThreshold: 0.3, boxScore: 0.6, unclipRatio: 1.5, maxBoxes: 10 });
    expect(regions).toHaveLength(2);
    const [first, second] = regions;
    expect(first?.score).toBeCloseTo(0.9, 5);
    expect(second?.score).toBeCloseTo(0.8, 5);
    // 80x10: distance = 800 * 1.5 / 180 = 6.67 on every side.
    const xs = (first?.quad ?? []).map((p) => p[0]);
    const ys = (first?.quad ?? []).map((p) => p[1]);
    expect(Math.min(...xs)).toBeCloseTo(10 - (800 * 1.5) / 180, 3);
    expect(Math.max(...ys)).toBeCloseTo(20 + (800 * 1.5) / 180, 3);
    expect(
      dbPostprocess(map, width, height, { binaryThreshold: 0.3, boxScore: 0.6, unclipRatio: 1.5, maxBoxes: 1 }),
    ).toHaveLength(1);
  });

  test('reading order: lines top to bottom, left to right within a line, despite uneven tops', () => {
    const box = (x: number, y: number, h = 20) => ({ x, y, width: 50, height: h });
    const sorted = sortReadingOrder([box(300, 103), box(10, 100), box(150, 96, 30), box(10, 160), box(200, 158)]);
    expect(sorted.map((b) => [b.x, b.y])).toEqual([
      [10, 100],
      [150, 96],
      [300, 103],
      [10, 160],
      [200, 158],
    ]);
  });

  test('CTC greedy decoding merges repeats, drops blanks, averages kept probabilities', () => {
    const dictionary = ['', 'a', 'b', ' '];
    // steps: a a blank a b b space
    const steps = [1, 1, 0, 1, 2, 2, 3];
    const probabilities = new Float32Array(steps.length * dictionary.length);
    steps.forEach((c, t) => {
      probabilities.fill(0.1 / 3, t * 4, t * 4 + 4);
      probabilities[t * 4 + c] = 0.9;
    });
    probabilities[3 * 4 + 1] = 0.6; // the second 'a' is less certain
    expect(ctcGreedyDecode(probabilities, 0, steps.length, dictionary)).toEqual({
      text: 'aab ',
      score: (0.9 + 0.6 + 0.9 + 0.9) / 4,
    });
    expect(ctcGreedyDecode(new Float32Array(8), 0, 2, dictionary)).toEqual({ text: '', score: 0 });
  });

  test('input sizes: the detector keeps multiples of 32 within maxSideLen; the recogniser pads to 32s', () => {
    expect(detectionInputSize(1920, 1080, 960)).toEqual({ width: 960, height: 544 });
    expect(detectionInputSize(640, 200, 960)).toEqual({ width: 640, height: 192 });
    expect(detectionInputSize(10, 10, 960)).toEqual({ width: 32, height: 32 });
    expect(detectionInputSize(5000, 100, 1010)).toEqual({ width: 992, height: 32 });
    expect(recognitionInputWidth({ width: 100, height: 48 })).toBe(128);
    expect(recognitionInputWidth({ width: 10, height: 48 })).toBe(64);
    expect(recognitionInputWidth({ width: 100_000, height: 48 })).toBe(3200);
  });
});
