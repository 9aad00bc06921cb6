import { hostname } from 'node:os';
import type { BlockContext, BlockHandler } from '../../../src/blocks/block-handler';
import { getBlockSpec } from '../../../src/core/blocks';
import { NodeErrorCode, NonRetryableNodeError, toNodeExecutionError } from '../../../src/core/errors';
import type { BlockJobInput, BlockJobOutput, RunpodErrorPayload } from '../../../src/runpod/protocol';
import { isRecord } from '../../../src/core/is-record';

/** Checks a job's `input` and reads it as a block execution; bad input is a non-retryable error. */
export function parseBlockJobInput(input: unknown): BlockJobInput {
  if (!isRecord(input))
    throw new NonRetryableNodeError(NodeErrorCode.InvalidInput, 'input must be an object {block, config, inputs}');
  if (typeof input.block !== 'string')
    throw new NonRetryableNodeError(NodeErrorCode.InvalidInput, 'input.block must be a block type');
  if (input.inputs !== undefined && !isRecord(input.inputs)) {
    throw new NonRetryableNodeError(NodeErrorCode.InvalidInput, 'input.inputs must be an object');
  }
  const job: BlockJobInput = {
    block: input.block,
    config: input.config ?? {},
    inputs: (input.inputs as Record<string, unknown>) ?? {},
  };
  if (isRecord(input.meta)) job.meta = input.meta as BlockJobInput['meta'] & object;
  return job;
}

/**
 * Runs one block job: finds the handler, parses the config with the block's schema (defaults
 * applied), checks required inputs are present, and calls it.
 */
export async function executeBlockJob(
  handlers: ReadonlyMap<string, BlockHandler>,
  job: BlockJobInput,
  ctx: Omit<BlockContext, 'attempt'>,
): Promise<BlockJobOutput> {
  const handler = handlers.get(job.block);
  const spec = getBlockSpec(job.block);
  if (!handler || !spec)
    throw new NonRetryableNodeError(NodeErrorCode.InvalidInput, `this worker does not run block "${job.block}"`);
  const config = spec.config.safeParse(job.config ?? {});
  if (!config.success) {
    throw new NonRetryableNodeError(
      NodeErrorCode.InvalidInput,
      `invalid config for ${job.block}: ${config.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  for (const port of spec.inputs) {
    if (port.required && job.inputs[port.name] === undefined) {
      throw new NonRetryableNodeError(NodeErrorCode.InvalidInput, `missing input "${port.name}" for ${job.block}`);
    }
  }
  const outputs = await handler(job.inputs, config.data, { ...ctx, attempt: job.meta?.attempt ?? 1 });
  return { outputs };
}

/** RunPod's error string, as runpod-python writes it, with Switchyard's code and retryability added. */
export function toRunpodError(err: unknown, workerId: string): string {
  const e = toNodeExecutionError(err);
  const payload: RunpodErrorPayload = {
    error_type: e.name,
    error_message: e.message,
    error_traceback: e.stack ?? '',
    hostname: hostname(),
    worker_id: workerId,
    runpod_version: 'switchyard',
    code: e.code,
    retryable: e.retryable,
  };
  return JSON.stringify(payload);
}
