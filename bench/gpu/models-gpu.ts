import pino from 'pino';
import { Device, ModelId, ResolvedDevice, createModelBlockHandlers } from '../../gpu-worker/src/models';
import { measureBatchingThroughput, printThroughput } from '../models/batching-throughput';
import { measureColdWarmLatency, printLatency } from '../models/cold-warm-latency';

/** The models that run on onnxruntime and so can use CUDA (NanoDet runs on tfjs wasm, CPU only). */
const ONNX_MODELS: readonly ModelId[] = [ModelId.TextDetector, ModelId.TextDirection, ModelId.TextRecognizer];

/**
 * Loads every ONNX model with SWITCHYARD_DEVICE=cuda and fails, naming the cause, unless all of them landed
 * on CUDA: the model blocks fall back to the CPU rather than fail, which would make the figures below CPU
 * figures under a GPU label.
 */
export async function requireCuda(): Promise<void> {
  const models = createModelBlockHandlers({ device: Device.Cuda, env: {}, logger: pino({ level: 'error' }) });
  try {
    await models.preload(ONNX_MODELS);
    const metrics = models.metrics().models;
    const onCpu = ONNX_MODELS.filter((id) => metrics[id].device !== ResolvedDevice.Cuda);
    if (onCpu.length > 0) {
      throw new Error(
        `CUDA could not be loaded: ${onCpu.join(', ')} fell back to the CPU. onnxruntime-node needs its CUDA ` +
          'execution provider (libonnxruntime_providers_cuda.so and libonnxruntime_providers_shared.so beside its ' +
          'binding; its postinstall downloads them unless ONNXRUNTIME_NODE_INSTALL=skip) and CUDA 12 with cuDNN 9 ' +
          'on the host. The error logged above names the library that failed to load.',
      );
    }
  } finally {
    await models.dispose();
  }
}

/** The same figures as bench/models, on CUDA: `node dist/bench/gpu/models-gpu.js` on a GPU host. */
export async function main(): Promise<void> {
  await requireCuda();
  printLatency(await measureColdWarmLatency(Device.Cuda), 'cuda');
  printThroughput(await measureBatchingThroughput(Device.Cuda), 'cuda');
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
