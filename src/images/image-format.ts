/**
 * The encoded formats Switchyard accepts and produces. Three formats keep the decoder surface small
 * (sharp also reads GIF, TIFF, SVG, HEIF, ...): an input in any other format is rejected as invalid.
 */
export enum ImageFormat {
  Jpeg = 'jpeg',
  Png = 'png',
  Webp = 'webp',
}

export const IMAGE_FORMATS: readonly ImageFormat[] = Object.values(ImageFormat);

/** sharp reports formats by these names; anything else is unsupported. */
export function asImageFormat(sharpFormat: string | undefined): ImageFormat | undefined {
  return (IMAGE_FORMATS as readonly string[]).includes(sharpFormat ?? '') ? (sharpFormat as ImageFormat) : undefined;
}

const MIME_TYPES: Readonly<Record<ImageFormat, string>> = {
  [ImageFormat.Jpeg]: 'image/jpeg',
  [ImageFormat.Png]: 'image/png',
  [ImageFormat.Webp]: 'image/webp',
};

export function mimeTypeOf(format: ImageFormat): string {
  return MIME_TYPES[format];
}

/** Block configs spell formats as plain strings ('png'); this names the enum member for one, type-checked. */
export function imageFormatNamed(name: `${ImageFormat}`): ImageFormat {
  return name as ImageFormat;
}
