import { readFile } from 'node:fs/promises';

/**
 * The recogniser's output classes: index 0 is the CTC blank, then one class per line of the dictionary
 * file, then a space (PaddleOCR's `use_space_char`). ppocr_keys_v1.txt has 6623 lines: 6625 classes.
 */
export async function loadRecognitionDictionary(file: string): Promise<readonly string[]> {
  const lines = (await readFile(file, 'utf8')).split('\n').map((line) => line.replace(/\r$/, ''));
  if (lines[lines.length - 1] === '') lines.pop(); // the file's final newline
  return Object.freeze([CTC_BLANK, ...lines, ' ']);
}

/** Placeholder for class 0; never emitted. */
export const CTC_BLANK = '';
export const CTC_BLANK_INDEX = 0;
