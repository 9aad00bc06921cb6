import { setTimeout as sleep } from 'node:timers/promises';
import type { BlockHandler } from '../../../src/blocks/block-handler';
import type { DebugSleepConfig } from '../../../src/core/blocks';
import { NodeErrorCode, RetryableNodeError } from '../../../src/core/errors';

const PROGRESS_STEP_MIN_MS = 250;

/**
 * `debug.sleep`: waits `config.ms`, and fails its first `config.failTimes` attempts with a
 * retryable error. It is the probe every scheduling, retry and timeout test uses, so it runs on
 * the real GPU path (RunPod endpoint API) like a model block.
 */
export const debugSleep: BlockHandler<DebugSleepConfig> = async (_inputs, config, ctx) => {
  if (ctx.attempt <= config.failTimes) {
    throw new RetryableNodeError(
      NodeErrorCode.BlockFailed,
      `debug.sleep fails attempt ${ctx.attempt} of the first ${config.failTimes}`,
    );
  }
  const started = performance.now();
  // Long sleeps report progress along the way (so clients see NODE_PROGRESS for them), in steps of
  // a tenth, but no more often than every PROGRESS_STEP_MIN_MS.
  const step = config.ms >= 2 * PROGRESS_STEP_MIN_MS ? Math.max(PROGRESS_STEP_MIN_MS, config.ms / 10) : config.ms;
  for (let slept = 0; slept < config.ms;) {
    const next = Math.min(step, config.ms - slept);
    await sleep(next, undefined, { signal: ctx.signal });
    slept += next;
    if (slept < config.ms) ctx.reportProgress(slept / config.ms);
  }
  ctx.reportProgress(1);
  return { sleptMs: Math.round(performance.now() - started), attempt: ctx.attempt };
};
