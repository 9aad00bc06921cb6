import type { BlockHandler } from '../../src/blocks/block-handler';
import { BlockRuntime } from '../../src/core/blocks';
import type { CompiledNode } from '../../src/core/definition';
import {
  NodeErrorCode,
  NodeExecutionError,
  NodeTimeoutError,
  NonRetryableNodeError,
  toNodeExecutionError,
} from '../../src/core/errors';
import type { BlockSlots } from '../../src/redis/block-slots';
import { RunpodJobStatus } from '../../src/runpod/protocol';
import { errorOfRunpodJob, type RunpodEndpointClient } from '../../src/runpod/runpod-endpoint-client';
import type { RunpodJobWatcher } from '../../src/runpod/runpod-job-watcher';
import { raceAbort } from '../../src/util/race-abort';

export interface NodeAttemptDeps {
  runpod: RunpodEndpointClient;
  watcher: RunpodJobWatcher;
  cpuHandlers: ReadonlyMap<string, BlockHandler>;
  slots: BlockSlots;
}

export interface NodeAttemptRequest {
  runId: string;
  tenantId: string;
  node: CompiledNode;
  attempt: number;
  inputs: Record<string, unknown>;
  /** Set when a previous executor already submitted this attempt: re-attach instead of submitting again. */
  existingJobId: string | undefined;
  /**
   * Records that the attempt started (and its RunPod job id) before it counts as RUNNING. Returns
   * false when the executor lost the run meanwhile; the attempt then stops (and cancels its job).
   */
  markStarted(jobId: string | undefined): Promise<boolean>;
  reportProgress(progress: number): void;
  /** Aborted on cancel, on run failure and on shutdown; its reason says which. */
  signal: AbortSignal;
}

export type NodeAttemptResult =
  | { ok: true; output: Record<string, unknown> }
  | { ok: false; error: NodeExecutionError }
  /** The executor lost the run (lease) or is shutting down: record nothing. */
  | { ok: false; abandoned: true };

/** How much longer than a node's timeout the RunPod job itself may run. */
const RUNPOD_TIMEOUT_GRACE_MS = 2000;

/**
 * The executor no longer owns the run (lease lost) or is shutting down: the attempt stops without
 * recording anything, and its RunPod job is left running for the next executor to re-attach to.
 */
export class AbandonedError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'AbandonedError';
  }
}

/**
 * One execution of one node: takes a slot of the block's global limit, then runs a CPU block in
 * process or submits a GPU block to the RunPod endpoint and waits for it, within the node's timeout.
 * A timed-out or cancelled RunPod job is cancelled on the endpoint too, so no zombie job keeps a GPU.
 */
export async function runNodeAttempt(deps: NodeAttemptDeps, req: NodeAttemptRequest): Promise<NodeAttemptResult> {
  const { node } = req;
  const controller = new AbortController();
  const forward = (): void => controller.abort(req.signal.reason);
  if (req.signal.aborted) forward();
  req.signal.addEventListener('abort', forward, { once: true });
  const timer =
    node.timeoutMs === undefined ? undefined : setTimeout(() => controller.abort(new NodeTimeoutError(node.timeoutMs as number)), node.timeoutMs);
  const slot = deps.slots.acquire(node.block.type, `${req.runId}:${node.id}:${req.attempt}`, controller.signal);
  try {
    const lease = await slot;
    try {
      const output =
        node.block.runtime === BlockRuntime.Cpu ? await runCpu(deps, req, controller.signal) : await runGpu(deps, req, controller.signal);
      return { ok: true, output };
    } finally {
      await lease.release().catch(() => undefined);
    }
  } catch (err) {
    const reason: unknown = controller.signal.aborted ? controller.signal.reason : err;
    if (reason instanceof AbandonedError) return { ok: false, abandoned: true };
    if (reason instanceof NodeExecutionError) return { ok: false, error: reason };
    return { ok: false, error: toNodeExecutionError(reason) };
  } finally {
    if (timer) clearTimeout(timer);
    req.signal.removeEventListener('abort', forward);
  }
}

async function runCpu(deps: NodeAttemptDeps, req: NodeAttemptRequest, signal: AbortSignal): Promise<Record<string, unknown>> {
  const handler = deps.cpuHandlers.get(req.node.block.type);
  if (!handler) throw new NonRetryableNodeError(NodeErrorCode.Internal, `no CPU implementation of block ${req.node.block.type}`);
  if (!(await req.markStarted(undefined))) throw new AbandonedError('lease lost before the node started');
  const work = handler(req.inputs, req.node.config, { signal, attempt: req.attempt, reportProgress: req.reportProgress });
  return raceAbort(work, signal);
}

async function runGpu(deps: NodeAttemptDeps, req: NodeAttemptRequest, signal: AbortSignal): Promise<Record<string, unknown>> {
  let jobId = req.existingJobId;
  let recorded: Promise<boolean> = Promise.resolve(true);
  if (jobId === undefined) {
    const submitted = await deps.runpod.run(
      {
        block: req.node.block.type,
        config: req.node.config,
        inputs: req.inputs,
        meta: { runId: req.runId, nodeId: req.node.id, attempt: req.attempt, tenantId: req.tenantId },
      },
      // RunPod's own timeout is the backstop for a worker that died: a little longer than the node's,
      // so that a live worker's timeout (which cancels the job itself) comes first.
      req.node.timeoutMs === undefined ? undefined : { executionTimeout: req.node.timeoutMs + RUNPOD_TIMEOUT_GRACE_MS },
    );
    jobId = submitted.id;
    // Record the job id (the node becomes RUNNING) while already listening for the job's end: the
    // result is used only once the id is recorded, so nothing is lost by not waiting in turn.
    recorded = req.markStarted(jobId);
  }
  // The job's progress becomes NODE_PROGRESS; its end is NODE_SUCCEEDED, so progress 1 says nothing new.
  const final = deps.watcher.waitForFinal(jobId, signal, (p) => {
    if (p < 1) req.reportProgress(p);
  });
  // Marked handled now: it may reject (abort) while the id is still being recorded; awaited below.
  final.catch(() => undefined);
  if (!(await recorded)) {
    await deps.runpod.cancel(jobId).catch(() => undefined);
    throw new AbandonedError('lease lost before the job id was recorded');
  }
  try {
    const state = await final;
    if (state.status === RunpodJobStatus.Completed) return outputsOf(state.output);
    throw errorOfRunpodJob(state);
  } catch (err) {
    // Cancel on the endpoint when the node is given up here (timeout, run cancelled or failed), but
    // not on shutdown: the next executor re-attaches to the job by its recorded id.
    if (signal.aborted && signal.reason instanceof NodeExecutionError) {
      await deps.runpod.cancel(jobId).catch(() => undefined);
    }
    throw err;
  }
}

function outputsOf(output: unknown): Record<string, unknown> {
  if (typeof output === 'object' && output !== null && 'outputs' in output) {
    const outputs = (output as { outputs: unknown }).outputs;
    if (typeof outputs === 'object' && outputs !== null && !Array.isArray(outputs)) return outputs as Record<string, unknown>;
  }
  throw new NonRetryableNodeError(NodeErrorCode.Internal, 'the RunPod job completed without an `outputs` object');
}
