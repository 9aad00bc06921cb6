import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { projectRoot } from '../../../../src/paths';
import type { NanodetOutputs } from './nanodet';
import { NanodetThreadMessage, type NanodetThreadReply, type NanodetThreadRequest } from './nanodet-thread-protocol';

const THREAD_ENTRY = join(projectRoot(), 'dist', 'gpu-worker', 'src', 'models', 'objects', 'nanodet-thread-main.js');

interface Pending {
  resolve(outputs: NanodetOutputs): void;
  reject(err: Error): void;
}

/**
 * NanoDet on a worker thread of its own. TensorFlow.js's wasm backend computes synchronously, about
 * 170 ms an image on this project's CPU: on the main thread that would stall the gpu-worker's
 * event loop (HTTP answers, job notices, OCR requests waiting on onnxruntime) for every image.
 * Images go to the thread in turn; the outputs come back transferred, not copied.
 */
export class NanodetThread {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private exited: Error | undefined;
  private tensors = 0;

  private constructor(
    private readonly worker: Worker,
    /** Size of the weights on disk: what the model cache accounts for. */
    readonly bytes: number,
  ) {
    worker.on('message', (reply: NanodetThreadReply) => this.onReply(reply));
    const fail = (err: Error): void => {
      this.exited ??= err;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the NanoDet thread exited (code ${code})`)));
  }

  /** Starts the thread and loads the model in it; rejects when the model cannot be loaded. */
  static async start(modelJsonPath: string): Promise<NanodetThread> {
    // The compiled entry, also when this module itself runs from TypeScript sources (tests).
    const worker = new Worker(THREAD_ENTRY, { workerData: { modelJsonPath } });
    try {
      let onError!: (err: Error) => void;
      let onExit!: (code: number) => void;
      let onMessage!: (reply: NanodetThreadReply) => void;
      const bytes = await new Promise<number>((resolve, reject) => {
        onError = reject;
        onExit = (code) => reject(new Error(`the NanoDet thread exited (code ${code}) while loading`));
        onMessage = (reply) => {
          if (reply.type === NanodetThreadMessage.Ready) resolve(reply.bytes);
          else reject(new Error(reply.type === NanodetThreadMessage.LoadFailed ? reply.message : `unexpected ${reply.type}`));
        };
        worker.on('error', onError).on('exit', onExit).on('message', onMessage);
      });
      // Only these: Worker keeps listeners of its own (they start and stop its message port).
      worker.off('error', onError).off('exit', onExit).off('message', onMessage);
      return new NanodetThread(worker, bytes);
    } catch (err) {
      await worker.terminate();
      throw err;
    }
  }

  /**
   * One preprocessed 416x416 image through the model. The input is copied to the thread (2 MB,
   * well under a millisecond), not transferred: the caller's array stays usable, e.g. for a retry.
   */
  run(input: Float32Array): Promise<NanodetOutputs> {
    if (this.exited) return Promise.reject(this.exited);
    const id = this.nextId++;
    return new Promise<NanodetOutputs>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const request: NanodetThreadRequest = { id, input };
      this.worker.postMessage(request);
    });
  }

  /** Tensors alive in the thread after its latest run: constant from run to run unless something leaks. */
  get liveTensors(): number {
    return this.tensors;
  }

  async dispose(): Promise<void> {
    this.exited ??= new Error('the NanoDet thread was stopped');
    await this.worker.terminate();
  }

  private onReply(reply: NanodetThreadReply): void {
    if (reply.type !== NanodetThreadMessage.Result && reply.type !== NanodetThreadMessage.Failed) return;
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    if (reply.type === NanodetThreadMessage.Result) {
      this.tensors = reply.liveTensors;
      p.resolve(reply.outputs);
    } else p.reject(new Error(reply.message));
  }
}
