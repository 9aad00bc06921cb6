import type { Box, Detection } from '../../../src/core/values';

export interface OverlayStyle {
  /** Stroke and label background, `#rrggbb`. */
  color: string;
  lineWidth: number;
  /** Whether detections get a "label score" caption. */
  labels: boolean;
}

/** Captions are drawn in this family; DejaVu ships with most Linux images, sans-serif is the fallback. */
const FONT_FAMILY = 'DejaVu Sans, Verdana, sans-serif';
/** Average advance of a DejaVu Sans glyph, in ems: sizes the caption's background without measuring text. */
const AVERAGE_GLYPH_WIDTH_EM = 0.62;
const CAPTION_TEXT_COLOR = '#ffffff';
/** Caption height relative to the image's shorter side, within readable bounds. */
const MIN_FONT_PX = 11;
const MAX_FONT_PX = 32;
const FONT_PER_SHORT_SIDE = 1 / 40;

/**
 * An SVG the size of the image with each box outlined (its quadrilateral when it has `points`) and, for
 * detections, a filled caption with the label and score above the box (inside it when the box touches the
 * top edge). Composited over the image by sharp.
 */
export function annotationOverlaySvg(
  width: number,
  height: number,
  detections: readonly Detection[],
  boxes: readonly Box[],
  style: OverlayStyle,
): string {
  const fontPx = Math.round(Math.min(MAX_FONT_PX, Math.max(MIN_FONT_PX, Math.min(width, height) * FONT_PER_SHORT_SIDE)));
  const parts: string[] = [];
  const outline = (box: Box): string =>
    box.points && box.points.length >= 3
      ? `<polygon points="${box.points.map(([x, y]) => `${num(x)},${num(y)}`).join(' ')}"/>`
      : `<rect x="${num(box.x)}" y="${num(box.y)}" width="${num(box.width)}" height="${num(box.height)}"/>`;
  parts.push(`<g fill="none" stroke="${style.color}" stroke-width="${style.lineWidth}" stroke-linejoin="round">`);
  for (const detection of detections) parts.push(outline(detection.box));
  for (const box of boxes) parts.push(outline(box));
  parts.push('</g>');
  if (style.labels && detections.length > 0) {
    parts.push(`<g font-family="${FONT_FAMILY}" font-size="${fontPx}">`);
    for (const { label, score, box } of detections) {
      const caption = `${label} ${score.toFixed(2)}`;
      const captionWidth = Math.ceil(caption.length * fontPx * AVERAGE_GLYPH_WIDTH_EM) + fontPx / 2;
      const captionHeight = Math.ceil(fontPx * 1.3);
      const left = Math.max(0, Math.min(box.x, width - captionWidth));
      const top = box.y - captionHeight >= 0 ? box.y - captionHeight : box.y;
      parts.push(
        `<rect x="${num(left)}" y="${num(top)}" width="${captionWidth}" height="${captionHeight}" fill="${style.color}"/>`,
        `<text x="${num(left + fontPx / 4)}" y="${num(top + fontPx)}" fill="${CAPTION_TEXT_COLOR}">${escapeXml(caption)}</text>`,
      );
    }
    parts.push('</g>');
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`;
}

function num(value: number): string {
  return String(Math.round(value * 10) / 10);
}

/** Labels are user-influenced strings: escaped so they cannot break (or inject into) the SVG. */
function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
