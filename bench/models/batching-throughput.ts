import pino from 'pino';
import { BlockType } from '../../src/core/blocks';
import {
  Device,
  ModelId,
  createModelBlockHandlers,
  type BatchingOptions,
  type ModelBlockHandlers,
} from '../../gpu-worker/src/models';
import { lineCrops } from './bench-inputs';
import { callHandler, closedLoopThroughput, median } from './measure';

/** Concurrent requests in flight, each carrying one text-line crop (the case dynamic batching is for). */
const CONCURRENCY = 16;
const ROUNDS = 5;

interface Scenario {
  model: ModelId.TextDirection | ModelId.TextRecognizer;
  block: BlockType;
  config: unknown;
  /** Requests per measurement: enough for about a second of work on two CPU cores. */
  requests: number;
  goal: number;
}

const SCENARIOS: readonly Scenario[] = [
  { model: ModelId.TextDirection, block: BlockType.ClassifyTextDirection, config: { minScore: 0.9 }, requests: 640, goal: 1.8 },
  { model: ModelId.TextRecognizer, block: BlockType.RecognizeText, config: {}, requests: 160, goal: 0.95 },
];

/** What each variant sets; `undefined` keeps the device's defaults (DEFAULT_BATCHING). */
const VARIANTS: ReadonlyArray<{ name: string; batching: Partial<BatchingOptions> | undefined }> = [
  { name: 'unbatched', batching: { maxBatchSize: 1, maxWaitMs: 0 } },
  { name: 'defaults', batching: undefined },
  { name: 'batch16', batching: { maxBatchSize: 16, maxWaitMs: 2 } },
];

export interface ThroughputResult {
  model: ModelId;
  /** Median requests per second per variant. */
  requestsPerSecond: Record<string, number>;
  /** defaults / unbatched: what dynamic batching as configured gains. */
  ratio: number;
  goal: number;
  largestBatch: number;
}

/**
 * Throughput of classify.text_direction and recognize.text at 16 concurrent one-image requests, with
 * dynamic batching (the device's defaults, and a forced batch of 16) against none. Variants alternate
 * within each round so machine load drifts hit them alike; medians over the rounds are reported.
 */
export async function measureBatchingThroughput(device: Device = Device.Cpu): Promise<ThroughputResult[]> {
  const crops = await lineCrops(32);
  const results: ThroughputResult[] = [];
  for (const scenario of SCENARIOS) {
    const handlers = new Map<string, ModelBlockHandlers>();
    for (const variant of VARIANTS) {
      const created = createModelBlockHandlers({
        device,
        env: {},
        logger: pino({ level: 'warn' }),
        ...(variant.batching ? { batching: { [scenario.model]: variant.batching } } : {}),
      });
      await created.preload([scenario.model]);
      handlers.set(variant.name, created);
    }
    const samples = new Map<string, number[]>(VARIANTS.map((v) => [v.name, []]));
    const send = (models: ModelBlockHandlers) => (i: number) =>
      callHandler(models.handlers.get(scenario.block), { images: [crops[i % crops.length]] }, scenario.config);
    for (const models of handlers.values()) await closedLoopThroughput(send(models), CONCURRENCY, CONCURRENCY * 2); // warm-up
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? VARIANTS : [...VARIANTS].reverse();
      for (const variant of order) {
        const models = handlers.get(variant.name) as ModelBlockHandlers;
        samples.get(variant.name)?.push(await closedLoopThroughput(send(models), CONCURRENCY, scenario.requests));
      }
    }
    const requestsPerSecond = Object.fromEntries([...samples].map(([name, values]) => [name, median(values)]));
    const defaults = handlers.get('defaults') as ModelBlockHandlers;
    results.push({
      model: scenario.model,
      requestsPerSecond,
      ratio: (requestsPerSecond.defaults ?? 0) / (requestsPerSecond.unbatched ?? 1),
      goal: scenario.goal,
      largestBatch: defaults.metrics().models[scenario.model].batches.largestBatch,
    });
    await Promise.all([...handlers.values()].map((h) => h.dispose()));
  }
  return results;
}

export function printThroughput(results: readonly ThroughputResult[], device: string): void {
  for (const r of results) {
    const figures = Object.entries(r.requestsPerSecond)
      .map(([name, rps]) => `${name} ${rps.toFixed(0)} req/s`)
      .join(', ');
    const verdict = r.ratio >= r.goal ? 'meets' : 'MISSES';
    console.log(
      `[${device}] ${r.model}: ${figures}; dynamic batching (defaults, largest batch ${r.largestBatch}) / unbatched = ${r.ratio.toFixed(2)}x (${verdict} the ${r.goal}x goal)`,
    );
  }
}

export async function main(): Promise<void> {
  printThroughput(await measureBatchingThroughput(Device.Cpu), 'cpu');
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
