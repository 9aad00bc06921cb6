/** Plane geometry for text boxes: convex hulls and minimum-area rotated rectangles. Pure functions. */
export type Point = [number, number];

/** A rotated rectangle: centre, side lengths, and the direction of its `width` side (radians). */
export interface RotatedRect {
  cx: number;
  cy: number;
  width: number;
  height: number;
  angle: number;
}

/** Andrew's monotone chain; returns the hull counter-clockwise (in y-down image coordinates: clockwise on screen). */
export function convexHull(points: readonly Point[]): Point[] {
  const sorted = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (sorted.length <= 2) return sorted;
  const cross = (o: Point, a: Point, b: Point): number => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower: Point[] = [];
  for (const p of sorted) {
    while (lower.length >= 2 && cross(lower[lower.length - 2] as Point, lower[lower.length - 1] as Point, p) <= 0) lower.pop();
    lower.push(p);
  }
  const upper: Point[] = [];
  for (let i = sorted.length - 1; i >= 0; i--) {
    const p = sorted[i] as Point;
    while (upper.length >= 2 && cross(upper[upper.length - 2] as Point, upper[upper.length - 1] as Point, p) <= 0) upper.pop();
    upper.push(p);
  }
  lower.pop();
  upper.pop();
  return lower.concat(upper);
}

/**
 * The smallest-area rectangle enclosing the points (what OpenCV's minAreaRect computes): one of its sides
 * lies along an edge of the convex hull, so trying each hull edge finds it.
 */
export function minAreaRect(points: readonly Point[]): RotatedRect {
  const hull = convexHull(points);
  const first = hull[0];
  if (!first) throw new RangeError('minAreaRect needs at least one point');
  if (hull.length === 1) return { cx: first[0], cy: first[1], width: 0, height: 0, angle: 0 };
  let best: RotatedRect | undefined;
  let bestArea = Infinity;
  for (let i = 0; i < hull.length; i++) {
    const a = hull[i] as Point;
    const b = hull[(i + 1) % hull.length] as Point;
    const length = Math.hypot(b[0] - a[0], b[1] - a[1]);
    if (length === 0) continue;
    const ux = (b[0] - a[0]) / length;
    const uy = (b[1] - a[1]) / length;
    let minU = Infinity;
    let maxU = -Infinity;
    let minV = Infinity;
    let maxV = -Infinity;
    for (const p of hull) {
      const u = p[0] * ux + p[1] * uy;
      const v = -p[0] * uy + p[1] * ux;
      if (u < minU) minU = u;
      if (u > maxU) maxU = u;
      if (v < minV) minV = v;
      if (v > maxV) maxV = v;
    }
    const area = (maxU - minU) * (maxV - minV);
    if (area < bestArea) {
      bestArea = area;
      const cu = (minU + maxU) / 2;
      const cv = (minV + maxV) / 2;
      best = { cx: cu * ux - cv * uy, cy: cu * uy + cv * ux, width: maxU - minU, height: maxV - minV, angle: Math.atan2(uy, ux) };
    }
  }
  return best ?? { cx: first[0], cy: first[1], width: 0, height: 0, angle: 0 };
}

/**
 * The rectangle's corners ordered as PaddleOCR orders them: top-left, top-right, bottom-right,
 * bottom-left (the two leftmost corners give the left side, each side's upper corner comes first).
 */
export function rectCorners(rect: RotatedRect): [Point, Point, Point, Point] {
  const cos = Math.cos(rect.angle);
  const sin = Math.sin(rect.angle);
  const hw = rect.width / 2;
  const hh = rect.height / 2;
  const corners: Point[] = [
    [-hw, -hh],
    [hw, -hh],
    [hw, hh],
    [-hw, hh],
  ].map(([u, v]) => [rect.cx + (u as number) * cos - (v as number) * sin, rect.cy + (u as number) * sin + (v as number) * cos]);
  return orderCorners(corners as [Point, Point, Point, Point]);
}

export function orderCorners(corners: readonly [Point, Point, Point, Point]): [Point, Point, Point, Point] {
  const byX = [...corners].sort((a, b) => a[0] - b[0] || a[1] - b[1]) as [Point, Point, Point, Point];
  const [l0, l1, r0, r1] = byX;
  const [topLeft, bottomLeft] = l0[1] <= l1[1] ? [l0, l1] : [l1, l0];
  const [topRight, bottomRight] = r0[1] <= r1[1] ? [r0, r1] : [r1, r0];
  return [topLeft, topRight, bottomRight, bottomLeft];
}

/** Mean of `map` over the pixels whose centres lie inside the convex quad (edges included). */
export function meanInsideQuad(map: Float32Array, mapWidth: number, mapHeight: number, quad: readonly Point[]): number {
  let minX = Infinity;
  let maxX = -Infinity;
  let minY = Infinity;
  let maxY = -Infinity;
  for (const [x, y] of quad) {
    minX = Math.min(minX, x);
    maxX = Math.max(maxX, x);
    minY = Math.min(minY, y);
    maxY = Math.max(maxY, y);
  }
  const x0 = Math.max(0, Math.floor(minX));
  const x1 = Math.min(mapWidth - 1, Math.ceil(maxX));
  const y0 = Math.max(0, Math.floor(minY));
  const y1 = Math.min(mapHeight - 1, Math.ceil(maxY));
  // Orientation of the quad, so "inside" is the same side of every edge.
  const sign = signedArea(quad) >= 0 ? 1 : -1;
  const EPS = 1e-6;
  let sum = 0;
  let count = 0;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      let inside = true;
      for (let i = 0; i < quad.length && inside; i++) {
        const a = quad[i] as Point;
        const b = quad[(i + 1) % quad.length] as Point;
        const cross = (b[0] - a[0]) * (y - a[1]) - (b[1] - a[1]) * (x - a[0]);
        inside = sign * cross >= -EPS;
      }
      if (inside) {
        sum += map[y * mapWidth + x] as number;
        count += 1;
      }
    }
  }
  return count === 0 ? 0 : sum / count;
}

function signedArea(polygon: readonly Point[]): number {
  let area = 0;
  for (let i = 0; i < polygon.length; i++) {
    const a = polygon[i] as Point;
    const b = polygon[(i + 1) % polygon.length] as Point;
    area += a[0] * b[1] - b[0] * a[1];
  }
  return area / 2;
}
