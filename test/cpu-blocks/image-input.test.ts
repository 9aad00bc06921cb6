import sharp from 'sharp';
import { NodeErrorCode, NodeExecutionError, RetryableNodeError } from '../../src/core/errors';
import type { ImageValue } from '../../src/core/values';
import {
  compileImageLoadOptions,
  decodeImage,
  encodeImage,
  loadImage,
  parseImageList,
  type ImageLoadOptions,
} from '../../src/images';
import { startImageServer } from '../support/image-server';

const signal = new AbortController().signal;
const load = (value: ImageValue, options: ImageLoadOptions = {}) => loadImage(value, compileImageLoadOptions(options), signal);

async function png(width: number, height: number, channels: 1 | 3 | 4 = 3): Promise<Buffer> {
  const background = channels === 4 ? { r: 0, g: 0, b: 0, alpha: 0 } : { r: 10, g: 200, b: 30 };
  const image = sharp({ create: { width, height, channels: channels === 1 ? 3 : channels, background } });
  return (channels === 1 ? image.greyscale() : image).png().toBuffer();
}

/** Fails unless `promise` rejects with a NodeExecutionError of the given code and retryability. */
async function expectNodeError(
  promise: Promise<unknown>,
  code: NodeErrorCode,
  retryable: boolean,
  message?: RegExp,
): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(NodeExecutionError);
  expect((err as NodeExecutionError).code).toBe(code);
  expect((err as NodeExecutionError).retryable).toBe(retryable);
  if (message) expect((err as Error).message).toMatch(message);
}

describe('loading images: base64', () => {
  test('bare base64 and data: URIs decode to RGB pixels', async () => {
    const bytes = await png(7, 5);
    for (const base64 of [bytes.toString('base64'), `data:image/png;base64,${bytes.toString('base64')}`]) {
      const image = await load({ base64 });
      expect(image).toMatchObject({ width: 7, height: 5, channels: 3 });
      expect(image.data.length).toBe(7 * 5 * 3);
      expect([...image.data.subarray(0, 3)]).toEqual([10, 200, 30]);
    }
  });

  test('greyscale is expanded to RGB and transparency is flattened onto white', async () => {
    expect((await load({ base64: (await png(4, 4, 1)).toString('base64') })).channels).toBe(3);
    const transparent = await load({ base64: (await png(4, 4, 4)).toString('base64') });
    expect([...transparent.data.subarray(0, 3)]).toEqual([255, 255, 255]);
  });

  test('encodeImage round-trips as a PNG data: URI', async () => {
    const image = await load({ base64: (await png(9, 4)).toString('base64') });
    const encoded = await encodeImage(image);
    expect(encoded.base64.startsWith('data:image/png;base64,')).toBe(true);
    expect(await load(encoded)).toEqual(image);
  });

  test('text that is not base64 is INVALID_INPUT', async () => {
    await expectNodeError(load({ base64: 'this is *not* base64!' }), NodeErrorCode.InvalidInput, false, /base64/);
  });

  test('base64 of something that is not an image is INVALID_INPUT', async () => {
    const base64 = Buffer.from('hello, I am a text file').toString('base64');
    await expectNodeError(load({ base64 }), NodeErrorCode.InvalidInput, false, /could not be read/);
  });

  test('a GIF (or any format but JPEG, PNG, WebP) is INVALID_INPUT', async () => {
    const gif = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#ff0000' } })
      .gif()
      .toBuffer();
    await expectNodeError(load({ base64: gif.toString('base64') }), NodeErrorCode.InvalidInput, false, /gif is not supported/);
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>');
    await expectNodeError(load({ base64: svg.toString('base64') }), NodeErrorCode.InvalidInput, false, /not supported/);
  });

  test('JPEG and WebP are accepted', async () => {
    const base = sharp({ create: { width: 6, height: 3, channels: 3, background: '#336699' } });
    for (const bytes of [await base.clone().jpeg().toBuffer(), await base.clone().webp().toBuffer()]) {
      expect(await load({ base64: bytes.toString('base64') })).toMatchObject({ width: 6, height: 3 });
    }
  });

  test('too many pixels, too long a side, or too many bytes is INVALID_INPUT', async () => {
    const bytes = (await png(300, 200)).toString('base64');
    await expectNodeError(load({ base64: bytes }, { maxSidePx: 256 }), NodeErrorCode.InvalidInput, false, /too large: 300x200/);
    await expectNodeError(load({ base64: bytes }, { maxPixels: 50_000 }), NodeErrorCode.InvalidInput, false, /too large/);
    await expectNodeError(load({ base64: bytes }, { maxBytes: 64 }), NodeErrorCode.InvalidInput, false, /too large/);
  });

  test('a truncated file is INVALID_INPUT', async () => {
    const bytes = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#123456' } })
      .jpeg()
      .toBuffer();
    const truncated = bytes.subarray(0, Math.floor(bytes.length / 2));
    await expectNodeError(decodeImage(truncated, compileImageLoadOptions()), NodeErrorCode.InvalidInput, false);
  });

  test('malformed image values are INVALID_INPUT, naming the element', () => {
    const parse = (value: unknown) => () => parseImageList(value, 'inputs.images', 10);
    expect(parse('x')).toThrow(/inputs.images must be a list/);
    expect(parse([{ base64: 'AAAA' }, { path: '/etc/passwd' }])).toThrow(/inputs.images\[1\]/);
    expect(parse([{ url: 'http://a', base64: 'AAAA' }])).toThrow(/exactly one/);
    expect(parse(new Array(11).fill({ base64: 'AAAA' }))).toThrow(/at most 10/);
  });

  test('options are validated once, up front', () => {
    expect(() => compileImageLoadOptions({ maxBytes: 0 })).toThrow(RangeError);
    expect(compileImageLoadOptions({})).toMatchObject({ maxBytes: 20 * 1024 * 1024, fetchTimeoutMs: 10_000 });
  });
});

describe('loading images: URLs', () => {
  let server: Awaited<ReturnType<typeof startImageServer>>;
  let image: Buffer;

  beforeAll(async () => {
    image = await png(5, 3);
    server = await startImageServer({
      '/ok.png': (_req, res) => res.writeHead(200, { 'content-type': 'image/png' }).end(image),
      '/broken': (_req, res) => res.writeHead(503).end('try later'),
      '/forbidden': (_req, res) => res.writeHead(403).end(),
      '/slow': (_req, res) => {
        const timer = setTimeout(() => res.writeHead(200).end(image), 5_000);
        res.on('close', () => clearTimeout(timer));
      },
      '/big-declared': (_req, res) => res.writeHead(200, { 'content-length': String(10_000) }).end(Buffer.alloc(10_000)),
      '/big-chunked': (_req, res) => {
        res.writeHead(200); // no content-length: the reader must count
        for (let i = 0; i < 10; i++) res.write(Buffer.alloc(1_000));
        res.end();
      },
    });
  });
  afterAll(async () => {
    await server.close();
  });

  test('fetches and decodes an image', async () => {
    expect(await load({ url: server.url('/ok.png') })).toMatchObject({ width: 5, height: 3 });
  });

  test('a 404 or 403 is INVALID_INPUT (a retry cannot help)', async () => {
    await expectNodeError(load({ url: server.url('/missing.png') }), NodeErrorCode.InvalidInput, false, /HTTP 404/);
    await expectNodeError(load({ url: server.url('/forbidden') }), NodeErrorCode.InvalidInput, false, /HTTP 403/);
  });

  test('a 5xx is retryable', async () => {
    const err = await load({ url: server.url('/broken') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryableNodeError);
    expect((err as RetryableNodeError).message).toMatch(/HTTP 503/);
  });

  test('a server slower than fetchTimeoutMs is a retryable timeout', async () => {
    await expectNodeError(
      load({ url: server.url('/slow') }, { fetchTimeoutMs: 100 }),
      NodeErrorCode.BlockFailed,
      true,
      /timed out after 100 ms/,
    );
  });

  test('bodies over maxBytes are refused, declared or not', async () => {
    await expectNodeError(
      load({ url: server.url('/big-declared') }, { maxBytes: 4_096 }),
      NodeErrorCode.InvalidInput,
      false,
      /too large/,
    );
    await expectNodeError(
      load({ url: server.url('/big-chunked') }, { maxBytes: 4_096 }),
      NodeErrorCode.InvalidInput,
      false,
      /too large/,
    );
  });

  test('only http(s) URLs, and the query string stays out of errors', async () => {
    await expectNodeError(load({ url: 'file:///etc/passwd' }), NodeErrorCode.InvalidInput, false, /http or https/);
    await expectNodeError(load({ url: 'not a url' }), NodeErrorCode.InvalidInput, false);
    const err = (await load({ url: `${server.url('/missing.png')}?token=secret` }).catch((e: unknown) => e)) as Error;
    expect(err.message).not.toMatch(/secret/);
  });

  test('an aborted caller stops the fetch with its own reason', async () => {
    const controller = new AbortController();
    const pending = loadImage({ url: server.url('/slow') }, compileImageLoadOptions(), controller.signal);
    controller.abort(new Error('node cancelled'));
    await expect(pending).rejects.toThrow('node cancelled');
  });
});
