/** Corner-form box used inside detection post-processing. */
export interface Candidate {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  score: number;
  classIndex: number;
}

export function iou(a: Candidate, b: Candidate): number {
  const iw = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
  const ih = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
  if (iw <= 0 || ih <= 0) return 0;
  const intersection = iw * ih;
  const union = (a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - intersection;
  return union <= 0 ? 0 : intersection / union;
}

/**
 * Greedy non-maximum suppression per class: the best-scoring box of a class suppresses the boxes of the
 * same class that overlap it by more than `iouThreshold`; different classes never suppress each other
 * (a rider and a horse overlap). Returns at most `maxResults`, best first.
 */
export function classwiseNms(candidates: readonly Candidate[], iouThreshold: number, maxResults: number): Candidate[] {
  const sorted = [...candidates].sort((a, b) => b.score - a.score);
  const kept: Candidate[] = [];
  const keptByClass = new Map<number, Candidate[]>();
  for (const candidate of sorted) {
    if (kept.length >= maxResults) break;
    const sameClass = keptByClass.get(candidate.classIndex) ?? [];
    if (sameClass.some((other) => iou(other, candidate) > iouThreshold)) continue;
    sameClass.push(candidate);
    keptByClass.set(candidate.classIndex, sameClass);
    kept.push(candidate);
  }
  return kept;
}
