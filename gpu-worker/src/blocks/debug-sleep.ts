import { setTimeout as sleep } from 'node:timers/promises';
import type { BlockHandler } from '../../../src/blocks/block-handler';
import type { DebugSleepConfig } from '../../../src/core/blocks';
import { NodeErrorCode, RetryableNodeError } from '../../../src/core/errors';

/**
 * `debug.sleep`: waits `config.ms`, and fails its first `config.failTimes` attempts with a
 * retryable error. It is the probe every scheduling, retry and timeout test uses, so it runs on
 * the real GPU path (RunPod endpoint API) like a model block.
 */
export const debugSleep: BlockHandler<DebugSleepConfig> = async (_inputs, config, ctx) => {
  if (ctx.attempt <= config.failTimes) {
    throw new RetryableNodeError(NodeErrorCode.BlockFailed, `debug.sleep fails attempt ${ctx.attempt} of the first ${config.failTimes}`);
  }
  const started = performance.now();
  if (config.ms > 0) await sleep(config.ms, undefined, { signal: ctx.signal });
  ctx.reportProgress(1);
  return { sleptMs: Math.round(performance.now() - started), attempt: ctx.attempt };
};
