import type { Box } from '../../../../src/core/values';

/**
 * Sorts boxes in reading order: top to bottom, and left to right within a line. Boxes belong to the same
 * line when the vertical centre of one lies within the vertical extent of the line's first box, which
 * tolerates small tilts and uneven heights where a plain (y, x) sort would interleave neighbours.
 */
export function sortReadingOrder(boxes: readonly Box[]): Box[] {
  const byTop = [...boxes].sort((a, b) => a.y - b.y || a.x - b.x);
  const lines: Box[][] = [];
  let line: Box[] = [];
  let anchor: Box | undefined;
  for (const box of byTop) {
    const centre = box.y + box.height / 2;
    if (anchor && centre >= anchor.y && centre <= anchor.y + anchor.height) {
      line.push(box);
      continue;
    }
    if (line.length > 0) lines.push(line);
    line = [box];
    anchor = box;
  }
  if (line.length > 0) lines.push(line);
  return lines.flatMap((members) => members.sort((a, b) => a.x - b.x));
}
