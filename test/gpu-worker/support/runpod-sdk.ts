import { pathToFileURL } from 'node:url';
import type * as RunpodSdkModule from 'runpod-sdk' with { 'resolution-mode': 'import' };

export type RunpodSdkFactory = typeof RunpodSdkModule.default;
export type RunpodEndpoint = NonNullable<ReturnType<ReturnType<RunpodSdkFactory>['endpoint']>>;

/**
 * Loads RunPod's own JS client (npm `runpod-sdk`, ESM-only) unchanged, through Node's native
 * `import()`. Needs the test file to run in `native-import-environment.js`.
 */
export async function loadRunpodSdk(): Promise<RunpodSdkFactory> {
  const nativeImport = (globalThis as { __nativeImport?: (specifier: string) => Promise<typeof RunpodSdkModule> }).__nativeImport;
  if (!nativeImport)
    throw new Error('runpod-sdk needs `@jest-environment ./test/gpu-worker/support/native-import-environment.js`');
  const sdk = await nativeImport(pathToFileURL(require.resolve('runpod-sdk')).href);
  return sdk.default;
}
