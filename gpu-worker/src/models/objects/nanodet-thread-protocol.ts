import type { NanodetOutputs } from './nanodet';

/** What NanodetThread and its thread say to each other. */
export enum NanodetThreadMessage {
  /** thread -> owner: the model is loaded; `bytes` is its size on disk. */
  Ready = 'ready',
  /** thread -> owner: the model could not be loaded; the thread is of no use. */
  LoadFailed = 'load-failed',
  /** thread -> owner: one image's raw outputs. */
  Result = 'result',
  /** thread -> owner: one image failed. */
  Failed = 'failed',
}

/** owner -> thread: one preprocessed image. */
export interface NanodetThreadRequest {
  id: number;
  input: Float32Array;
}

export type NanodetThreadReply =
  | { type: NanodetThreadMessage.Ready; bytes: number }
  | { type: NanodetThreadMessage.LoadFailed; message: string }
  /** `liveTensors`: tensors alive in the thread after the run (a leak shows as growth). */
  | { type: NanodetThreadMessage.Result; id: number; outputs: NanodetOutputs; liveTensors: number }
  | { type: NanodetThreadMessage.Failed; id: number; message: string };
