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
   * CPU nodes: records that the attempt started before it runs. Returns false when the executor
   * lost the run meanwhile; the attempt then stops without running.
   */
  markStarted(): Promise<boolean>;
  /**
   * GPU nodes: records the submitted RunPod job's id, which makes the node RUNNING. The executor
   * writes it shortly, or together with the node's result if that comes first, and always before
   * the result; if it cannot, it aborts `signal` with a JobNotRecordedError and the job is cancelled.
   */
  recordJob(jobId: string): void;
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
 * The submitted job's id could not be recorded (the executor lost the run before writing it): nobody
 * could re-attach to the job, so it is cancelled, and the node is submitted again by whoever drives
 * the run next.
 */
export class JobNotRecordedError extends AbandonedError {
  constructor() {
    super('the RunPod job id could not be recorded');
    this.name = 'JobNotRecordedError';
  }
}

/**
 * One execution of one node: takes a slot of the block's global limit, then runs a CPU block in
 * process or submits a GPU block to the RunPod endpoint and waits for it, within the node's timeout.
 * A timed-out or cancelled RunPod job is cancelled on the endpoint too, so no zombie job keeps a GPU.
 */
export async function runNodeAttempt(deps: NodeAttemptDeps, req: NodeAttemptRequest): Promise<NodeAttemptResult> {
  const { node } = req;
  // A node with a timeout gets its own signal (the run's, or its deadline); one without uses the
  // run's as it is, saving an AbortController and a listener per attempt.
  let signal = req.signal;
  let timer: NodeJS.Timeout | undefined;
  let forward: (() => void) | undefined;
  if (node.timeoutMs !== undefined) {
    const controller = new AbortController();
    const timeoutMs = node.timeoutMs;
    forward = () => controller.abort(req.signal.reason);
    if (req.signal.aborted) forward();
    else req.signal.addEventListener('abort', forward, { once: true });
    timer = setTimeout(() => controller.abort(new NodeTimeoutError(timeoutMs)), timeoutMs);
    signal = controller.signal;
  }
  try {
    const lease = await deps.slots.acquire(node.block.type, `${req.runId}:${node.id}:${req.attempt}`, signal);
    try {
      const output = node.block.runtime === BlockRuntime.Cpu ? await runCpu(deps, req, signal) : await runGpu(deps, req, signal);
      return { ok: true, output };
    } finally {
      await lease.release().catch(() => undefined);
    }
  } catch (err) {
    const reason: unknown = signal.aborted ? signal.reason : err;
    if (reason instanceof AbandonedError) return { ok: false, abandoned: true };
    if (reason instanceof NodeExecutionError) return { ok: false, error: reason };
    return { ok: false, error: toNodeExecutionError(reason) };
  } finally {
    if (timer) clearTimeout(timer);
    if (forward) req.signal.removeEventListener('abort', forward);
  }
}

async function runCpu(deps: NodeAttemptDeps, req: NodeAttemptRequest, signal: AbortSignal): Promise<Record<string, unknown>> {
  const handler = deps.cpuHandlers.get(req.node.block.type);
  if (!handler) throw new NonRetryableNodeError(NodeErrorCode.Internal, `no CPU implementation of block ${req.node.block.type}`);
  if (!(await req.markStarted())) throw new AbandonedError('lease lost before the node started');
  const work = handler(req.inputs, req.node.config, { signal, attempt: req.attempt, reportProgress: req.reportProgress });
  return raceAbort(work, signal);
}

async function runGpu(deps: NodeAttemptDeps, req: NodeAttemptRequest, signal: AbortSignal): Promise<Record<string, unknown>> {
  let jobId = req.existingJobId;
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
    // Listening for the job's end does not wait for the id to be written: the executor writes it
    // before the result, or stops this attempt if it cannot.
    req.recordJob(jobId);
  }
  try {
    // The job's progress becomes NODE_PROGRESS; its end is NODE_SUCCEEDED, so progress 1 says nothing new.
    const state = await deps.watcher.waitForFinal(jobId, signal, (p) => {
      if (p < 1) req.reportProgress(p);
    });
    if (state.status === RunpodJobStatus.Completed) return outputsOf(state.output);
    throw errorOfRunpodJob(state);
  } catch (err) {
    // Cancel on the endpoint when the node is given up here (timeout, run cancelled or failed) or
    // its id could not be recorded, but not on shutdown: the next executor re-attaches to the job
    // by its recorded id.
    if (signal.aborted && (signal.reason instanceof NodeExecutionError || signal.reason instanceof JobNotRecordedError)) {
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
