import pino from 'pino';
import { BlockType, detectObjectsConfig, detectTextConfig } from '../../src/core/blocks';
import type { ImageValue } from '../../src/core/values';
import { Device, ModelId, createModelBlockHandlers } from '../../gpu-worker/src/models';
import { documentPage, lineCrops, photoSizedImage } from './bench-inputs';
import { callHandler, median, timed } from './measure';

const WARM_RUNS = 10;

export interface LatencyResult {
  model: ModelId;
  block: BlockType;
  /** First request on a fresh process-level cache: model load + first inference. */
  coldMs: number;
  /** The load alone, as the cache measured it. */
  loadMs: number;
  /** Median of the following requests. */
  warmMs: number;
  device: string | null;
}

/** Cold (first request, model loaded on demand) vs warm (median of 10 after) latency of one request per model. */
export async function measureColdWarmLatency(device: Device = Device.Cpu): Promise<LatencyResult[]> {
  const [crop] = await lineCrops(1);
  const page = await documentPage();
  const photo = await photoSizedImage();
  const cases: ReadonlyArray<{ model: ModelId; block: BlockType; inputs: Record<string, unknown>; config: unknown }> = [
    { model: ModelId.TextDetector, block: BlockType.DetectText, inputs: { image: page }, config: detectTextConfig.parse({}) },
    {
      model: ModelId.TextDirection,
      block: BlockType.ClassifyTextDirection,
      inputs: { images: [crop as ImageValue] },
      config: { minScore: 0.9 },
    },
    { model: ModelId.TextRecognizer, block: BlockType.RecognizeText, inputs: { images: [crop as ImageValue] }, config: {} },
    {
      model: ModelId.ObjectDetector,
      block: BlockType.DetectObjects,
      inputs: { image: photo },
      config: detectObjectsConfig.parse({}),
    },
  ];
  const results: LatencyResult[] = [];
  for (const c of cases) {
    // A fresh factory per model: nothing is resident, so the first call pays the load.
    const models = createModelBlockHandlers({ device, env: {}, logger: pino({ level: 'warn' }) });
    const handler = models.handlers.get(c.block);
    const coldMs = await timed(() => callHandler(handler, c.inputs, c.config));
    const warm: number[] = [];
    for (let i = 0; i < WARM_RUNS; i++) warm.push(await timed(() => callHandler(handler, c.inputs, c.config)));
    const metrics = models.metrics().models[c.model];
    results.push({
      model: c.model,
      block: c.block,
      coldMs,
      loadMs: metrics.lastLoadMs ?? 0,
      warmMs: median(warm),
      device: metrics.device,
    });
    await models.dispose();
  }
  return results;
}

export function printLatency(results: readonly LatencyResult[], device: string): void {
  for (const r of results) {
    console.log(
      `[${device}] ${r.block} (${r.model} on ${r.device ?? '?'}): cold ${r.coldMs.toFixed(0)} ms (load ${r.loadMs.toFixed(0)} ms), warm ${r.warmMs.toFixed(1)} ms`,
    );
  }
}

export async function main(): Promise<void> {
  printLatency(await measureColdWarmLatency(Device.Cpu), 'cpu');
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
