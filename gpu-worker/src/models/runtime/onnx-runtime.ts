import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { Logger } from 'pino';
import { Device, ResolvedDevice } from '../device';

/** onnxruntime-node's names for the execution providers we use. */
const CUDA_PROVIDER = 'cuda';
const CPU_PROVIDER = 'cpu';

export interface OnnxSession {
  session: ort.InferenceSession;
  device: ResolvedDevice;
}

/**
 * Creates ONNX Runtime sessions on the configured device. onnxruntime-node throws at session creation when
 * the CUDA provider library is missing (the npm package ships none), so for `auto` and `cuda` we try
 * `['cuda', 'cpu']` and, when that throws, create the session again on the CPU and say so in the log.
 * After one such failure later sessions go straight to the CPU: the library will not appear mid-process.
 */
export class OnnxRuntime {
  private cudaUnavailable = false;

  constructor(
    private readonly device: Device,
    private readonly intraOpNumThreads: number,
    private readonly logger: Logger,
  ) {
    // With `auto`, a machine without the CUDA provider library (every CPU machine: the npm package
    // ships none) goes straight to the CPU, without onnxruntime's alarming load-failure output.
    if (device === Device.Auto && !cudaProviderInstalled()) {
      this.cudaUnavailable = true;
      logger.info('no CUDA execution provider installed for onnxruntime-node; running ONNX models on the CPU');
    }
  }

  async createSession(file: string): Promise<OnnxSession> {
    if (this.device !== Device.Cpu && !this.cudaUnavailable) {
      try {
        const session = await ort.InferenceSession.create(file, this.sessionOptions([CUDA_PROVIDER, CPU_PROVIDER]));
        return { session, device: ResolvedDevice.Cuda };
      } catch (err) {
        this.cudaUnavailable = true;
        const level = this.device === Device.Cuda ? 'error' : 'info';
        this.logger[level](
          { err, device: this.device, model: file },
          'onnxruntime could not load the CUDA execution provider; running ONNX models on the CPU',
        );
      }
    }
    const session = await ort.InferenceSession.create(file, this.sessionOptions([CPU_PROVIDER]));
    return { session, device: ResolvedDevice.Cpu };
  }

  private sessionOptions(executionProviders: string[]): ort.InferenceSession.SessionOptions {
    const options: ort.InferenceSession.SessionOptions = { executionProviders, graphOptimizationLevel: 'all' };
    // 0 leaves the choice to onnxruntime (one thread per physical core).
    if (this.intraOpNumThreads > 0) options.intraOpNumThreads = this.intraOpNumThreads;
    return options;
  }
}

/** Whether onnxruntime-node's CUDA provider library sits beside its native binding. */
function cudaProviderInstalled(): boolean {
  const bin = join(dirname(require.resolve('onnxruntime-node/package.json')), 'bin', 'napi-v6', process.platform, process.arch);
  return existsSync(join(bin, 'libonnxruntime_providers_cuda.so'));
}
