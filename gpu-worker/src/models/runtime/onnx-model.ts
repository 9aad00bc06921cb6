import { stat } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import type { ResolvedDevice } from '../device';
import type { LoadedModel } from '../model-cache';
import type { OnnxRuntime } from './onnx-runtime';

/** A single-input, single-output ONNX model (all three PaddleOCR models are). */
export interface OnnxModel {
  readonly session: ort.InferenceSession;
  readonly device: ResolvedDevice;
  readonly inputName: string;
  readonly outputName: string;
}

export interface FloatTensor {
  data: Float32Array;
  dims: readonly number[];
}

export async function loadOnnxModel(runtime: OnnxRuntime, file: string): Promise<LoadedModel<OnnxModel>> {
  const [{ session, device }, { size }] = await Promise.all([runtime.createSession(file), stat(file)]);
  const inputName = session.inputNames[0];
  const outputName = session.outputNames[0];
  if (inputName === undefined || outputName === undefined) {
    await session.release();
    throw new Error(`${file} has no input or no output`);
  }
  return { model: { session, device, inputName, outputName }, bytes: size };
}

export async function unloadOnnxModel(model: OnnxModel): Promise<void> {
  await model.session.release();
}

/** Runs the model on one float tensor and returns its float output. */
export async function runOnnx(model: OnnxModel, data: Float32Array, dims: readonly number[]): Promise<FloatTensor> {
  const input = new ort.Tensor('float32', data, dims);
  const outputs = await model.session.run({ [model.inputName]: input });
  const output = outputs[model.outputName];
  if (!output || output.type !== 'float32') throw new Error(`model output ${model.outputName} is missing or not float32`);
  return { data: output.data as Float32Array, dims: output.dims };
}

/** Stacks equally sized per-item tensors into one batch buffer. */
export function stack(items: readonly Float32Array[]): Float32Array {
  const size = items[0]?.length ?? 0;
  const batch = new Float32Array(size * items.length);
  items.forEach((item, i) => {
    if (item.length !== size) throw new RangeError('batched items must have equal sizes');
    batch.set(item, i * size);
  });
  return batch;
}
