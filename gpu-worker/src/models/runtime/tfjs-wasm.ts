import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

/** The backend name @tensorflow/tfjs-backend-wasm registers itself under. */
const WASM_BACKEND = 'wasm';

let backendReady: Promise<void> | undefined;

/**
 * Selects TensorFlow.js's wasm backend, once per process (the backend is global state of tfjs). The
 * pure-JS CPU backend is about 25x slower and tfjs-node cannot be installed offline. The .wasm binaries are
 * read from the package's own dist folder: no network.
 */
export function ensureWasmBackend(): Promise<void> {
  backendReady ??= (async () => {
    const wasmDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
    setWasmPaths(`${wasmDir}${path.sep}`);
    if (!(await tf.setBackend(WASM_BACKEND))) throw new Error('TensorFlow.js could not initialise its wasm backend');
    await tf.ready();
  })().catch((err: unknown) => {
    backendReady = undefined; // let a later load try again
    throw err;
  });
  return backendReady;
}

/** The parts of a tfjs `model.json` this loader reads. */
interface GraphModelJson {
  modelTopology: tf.io.ModelArtifacts['modelTopology'];
  weightsManifest: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  signature?: object;
  userDefinedMetadata?: { [key: string]: object };
}

export interface LoadedGraphModel {
  model: tf.GraphModel;
  /** Size of the weights on disk: what the model cache accounts for. */
  bytes: number;
}

/**
 * Loads a tfjs graph model from local files (model.json plus the weight shards its manifest names), so
 * no fetch happens even where tfjs would default to HTTP.
 */
export async function loadGraphModelFromFiles(modelJsonPath: string): Promise<LoadedGraphModel> {
  await ensureWasmBackend();
  const json = JSON.parse(await readFile(modelJsonPath, 'utf8')) as GraphModelJson;
  const dir = path.dirname(modelJsonPath);
  const shardPaths = json.weightsManifest.flatMap((group) => group.paths);
  const shards = await Promise.all(shardPaths.map((shard) => readFile(path.join(dir, shard))));
  const weights = Buffer.concat(shards);
  const artifacts: tf.io.ModelArtifacts = {
    modelTopology: json.modelTopology,
    weightSpecs: json.weightsManifest.flatMap((group) => group.weights),
    // Copy into a standalone ArrayBuffer: a Buffer may be a view into a larger shared pool.
    weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer,
  };
  if (json.format !== undefined) artifacts.format = json.format;
  if (json.generatedBy !== undefined) artifacts.generatedBy = json.generatedBy;
  if (json.convertedBy !== undefined) artifacts.convertedBy = json.convertedBy;
  if (json.signature !== undefined) artifacts.signature = json.signature;
  if (json.userDefinedMetadata !== undefined) artifacts.userDefinedMetadata = json.userDefinedMetadata;
  const model = await tf.loadGraphModel(tf.io.fromMemory(artifacts));
  return { model, bytes: weights.byteLength };
}
