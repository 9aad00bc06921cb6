/**
 * Jest runs each test file in its own V8 context, with its own Float32Array, Uint8Array, ... Native addons
 * (onnxruntime-node's binding) create their outputs in the main context, and onnxruntime-common then
 * rejects them with "A float32 tensor's data must be type of function Float32Array()": an instanceof check
 * across realms. Model tests select this environment (docblock `@jest-environment`) so the test context
 * shares the main context's typed-array constructors, as a plain Node process does.
 */
const { TestEnvironment } = require('jest-environment-node');

const SHARED_CONSTRUCTORS = [
  'ArrayBuffer',
  'SharedArrayBuffer',
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
];

class NativeRealmEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED_CONSTRUCTORS) this.global[name] = globalThis[name];
  }
}

module.exports = NativeRealmEnvironment;
