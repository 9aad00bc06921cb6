import { meanInsideQuad, minAreaRect, rectCorners, type Point, type RotatedRect } from './quad-geometry';

/** The DB ("Differentiable Binarization") post-processing parameters; names follow the block's config. */
export interface DbParams {
  /** A pixel is text when its probability exceeds this. */
  binaryThreshold: number;
  /** A region is kept when the mean probability inside its rectangle reaches this. */
  boxScore: number;
  /** The detector predicts shrunk text cores; each is grown by area * unclipRatio / perimeter. */
  unclipRatio: number;
  /** Most regions kept (the highest scoring). */
  maxBoxes: number;
}

/** Regions thinner than this (in map pixels) are noise, as in PaddleOCR (`min_size = 3`). */
const MIN_REGION_SIDE = 3;

export interface DbRegion {
  /** Corners in map pixels: top-left, top-right, bottom-right, bottom-left. */
  quad: [Point, Point, Point, Point];
  score: number;
}

/**
 * Turns a DB probability map into text regions, as PaddleOCR's DBPostProcess does: threshold into a
 * bitmap, take each connected region (8-connected, the outer contour's worth), fit the minimum-area
 * rectangle, score it by the mean probability inside, drop thin or weak ones, then grow ("unclip") the
 * rectangle by `area * unclipRatio / perimeter`. Growing a rectangle by offsetting its outline (what
 * PaddleOCR does with pyclipper) and taking the minimum-area rectangle again gives the same rectangle with
 * every side moved out by that distance, so this computes it directly.
 */
export function dbPostprocess(map: Float32Array, width: number, height: number, params: DbParams): DbRegion[] {
  const regions: DbRegion[] = [];
  for (const hullPoints of regionOutlines(map, width, height, params.binaryThreshold)) {
    const rect = minAreaRect(hullPoints);
    if (Math.min(rect.width, rect.height) < MIN_REGION_SIDE) continue;
    const score = meanInsideQuad(map, width, height, rectCorners(rect));
    if (score < params.boxScore) continue;
    const grown = unclip(rect, params.unclipRatio);
    if (Math.min(grown.width, grown.height) < MIN_REGION_SIDE + 2) continue;
    regions.push({ quad: rectCorners(grown), score });
  }
  regions.sort((a, b) => b.score - a.score);
  return regions.slice(0, params.maxBoxes);
}

function unclip(rect: RotatedRect, ratio: number): RotatedRect {
  const area = rect.width * rect.height;
  const perimeter = 2 * (rect.width + rect.height);
  const distance = perimeter === 0 ? 0 : (area * ratio) / perimeter;
  return { ...rect, width: rect.width + 2 * distance, height: rect.height + 2 * distance };
}

/**
 * Labels the connected regions of `map > threshold` and yields, per region, the leftmost and rightmost
 * pixel of each of its rows: the convex hull of those equals the hull of the whole region, at a fraction
 * of the points.
 */
function* regionOutlines(map: Float32Array, width: number, height: number, threshold: number): Generator<Point[]> {
  const labels = new Int32Array(width * height); // 0 = unvisited
  const stack = new Int32Array(width * height);
  let next = 0;
  for (let start = 0; start < map.length; start++) {
    if (labels[start] !== 0 || (map[start] as number) <= threshold) continue;
    next += 1;
    const rowMin = new Map<number, number>();
    const rowMax = new Map<number, number>();
    let top = 0;
    stack[top++] = start;
    labels[start] = next;
    while (top > 0) {
      const index = stack[--top] as number;
      const x = index % width;
      const y = (index - x) / width;
      const lo = rowMin.get(y);
      if (lo === undefined || x < lo) rowMin.set(y, x);
      const hi = rowMax.get(y);
      if (hi === undefined || x > hi) rowMax.set(y, x);
      for (let dy = -1; dy <= 1; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          if (nx < 0 || nx >= width || (dx === 0 && dy === 0)) continue;
          const neighbour = ny * width + nx;
          if (labels[neighbour] !== 0 || (map[neighbour] as number) <= threshold) continue;
          labels[neighbour] = next;
          stack[top++] = neighbour;
        }
      }
    }
    const points: Point[] = [];
    for (const [y, lo] of rowMin) {
      points.push([lo, y]);
      const hi = rowMax.get(y) as number;
      if (hi !== lo) points.push([hi, y]);
    }
    yield points;
  }
}
