import type { RecognizedText } from '../../../../src/core/values';
import { CTC_BLANK_INDEX } from './recognition-dictionary';

/**
 * Greedy CTC decoding of one sequence of per-step class probabilities ([steps, classes] at `offset`): take
 * the most likely class per step, merge runs of the same class, drop blanks. The score is the mean
 * probability of the characters kept (0 when none), as PaddleOCR reports it.
 */
export function ctcGreedyDecode(
  probabilities: Float32Array,
  offset: number,
  steps: number,
  dictionary: readonly string[],
): RecognizedText {
  const classes = dictionary.length;
  let text = '';
  let confidence = 0;
  let kept = 0;
  let previous = -1;
  for (let t = 0; t < steps; t++) {
    const base = offset + t * classes;
    let best = 0;
    let bestP = -Infinity;
    for (let c = 0; c < classes; c++) {
      const p = probabilities[base + c] as number;
      if (p > bestP) {
        bestP = p;
        best = c;
      }
    }
    if (best !== CTC_BLANK_INDEX && best !== previous) {
      text += dictionary[best] ?? '';
      confidence += bestP;
      kept += 1;
    }
    previous = best;
  }
  return { text, score: kept === 0 ? 0 : Math.round((confidence / kept) * 1e4) / 1e4 };
}
