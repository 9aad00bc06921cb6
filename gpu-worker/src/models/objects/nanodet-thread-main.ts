/**
 * Entry point of the thread that runs NanoDet (see NanodetThread). TensorFlow.js's wasm backend
 * computes synchronously on the thread that calls it, so the model lives here, away from the
 * gpu-worker's event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { loadGraphModelFromFiles } from '../runtime/tfjs-wasm';
import { runNanodet } from './nanodet';
import { NanodetThreadMessage, type NanodetThreadReply, type NanodetThreadRequest } from './nanodet-thread-protocol';

const port = parentPort;
if (!port) throw new Error('nanodet-thread-main runs as a worker thread only');

const { modelJsonPath } = workerData as { modelJsonPath: string };
const reply = (message: NanodetThreadReply, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer);

loadGraphModelFromFiles(modelJsonPath).then(
  ({ model, bytes }) => {
    port.on('message', (request: NanodetThreadRequest) => {
      runNanodet(model, request.input).then(
        (outputs) =>
          reply(
            { type: NanodetThreadMessage.Result, id: request.id, outputs, liveTensors: tf.memory().numTensors },
            outputs.levels.flatMap((level) => [level.scores.buffer as ArrayBuffer, level.distances.buffer as ArrayBuffer]),
          ),
        (err: unknown) =>
          reply({ type: NanodetThreadMessage.Failed, id: request.id, message: (err as Error).message ?? String(err) }),
      );
    });
    reply({ type: NanodetThreadMessage.Ready, bytes });
  },
  (err: unknown) => reply({ type: NanodetThreadMessage.LoadFailed, message: (err as Error).message ?? String(err) }),
);
