import { randomUUID } from 'node:crypto';
import { BLOCK_CATALOG } from '../core/blocks';
import type { Clock } from '../core/clock';
import { CompiledDefinitionCache, compileDefinition, type CompiledDefinition, type DefinitionLimits } from '../core/definition';
import { BadUserInputError, ConflictError, NotFoundError } from '../core/errors';
import { RunEventType } from '../core/events';
import { validateRunInputs } from '../core/run-inputs';
import { NodeStatus, RunStatus, isTerminalRunStatus } from '../core/states';
import { MAX_RUN_PRIORITY, type RunQueue } from '../queue/run-queue';
import { NodeField, RunField, type StoredRun } from '../redis/run-state-codec';
import type { RunStore } from '../redis/run-store';
import type { RunView, WorkflowView } from '../store/views';
import { runViewOfStored } from './run-views';

export interface RunWorkflowRequest {
  tenantId: string;
  workflow: WorkflowView;
  inputs: unknown;
  idempotencyKey: string | null | undefined;
  priority: number | null | undefined;
}

export interface RunServiceOptions {
  limits: DefinitionLimits;
  /** How long an idempotency key names its run. @defaultValue 86400 (24 h, the contract's) */
  idempotencyTtlSeconds: number;
  /** Seconds a finished run stays in Redis. */
  retentionSeconds: number;
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

/**
 * Starting, cancelling and retrying runs: what the mutations do, over the Redis run store and the
 * BullMQ queue. Every state change is one atomic transition; the queue only says "drive this run".
 */
export class RunService {
  /** Workflow versions run lately, compiled once each (a version never changes). */
  private readonly compiled: CompiledDefinitionCache;

  constructor(
    private readonly store: RunStore,
    private readonly queue: RunQueue,
    private readonly clock: Clock,
    private readonly options: RunServiceOptions,
  ) {
    this.compiled = new CompiledDefinitionCache(BLOCK_CATALOG, options.limits);
  }

  compile(definition: unknown): CompiledDefinition {
    return compileDefinition(definition, BLOCK_CATALOG, this.options.limits);
  }

  async runWorkflow(req: RunWorkflowRequest): Promise<RunView> {
    const def = this.compiled.of({
      workflowId: req.workflow.id,
      workflowVersion: req.workflow.version,
      definition: req.workflow.definition,
    });
    const inputs = validateRunInputs(def, req.inputs);
    const key = req.idempotencyKey ?? undefined;
    if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
      throw new BadUserInputError('idempotencyKey must be 1 to 200 printable ASCII characters', 'input.idempotencyKey');
    }
    const priority = req.priority ?? 0;
    if (!Number.isInteger(priority) || Math.abs(priority) > MAX_RUN_PRIORITY) {
      throw new BadUserInputError(
        `priority must be an integer from -${MAX_RUN_PRIORITY} to ${MAX_RUN_PRIORITY}`,
        'input.priority',
      );
    }

    const runId = randomUUID();
    const nowMs = this.clock.now();
    const at = new Date(nowMs).toISOString();
    const nodes = [...def.nodes.values()].sort((a, b) => a.index - b.index);
    const { runId: id, created } = await this.store.createRun({
      runId,
      tenantId: req.tenantId,
      createdAtMs: nowMs,
      idempotencyKey: key,
      idempotencyTtlSeconds: this.options.idempotencyTtlSeconds,
      run: {
        [RunField.TenantId]: req.tenantId,
        [RunField.WorkflowId]: req.workflow.id,
        [RunField.WorkflowVersion]: req.workflow.version,
        [RunField.Status]: RunStatus.Queued,
        [RunField.Definition]: req.workflow.definition as object,
        [RunField.Inputs]: inputs,
        [RunField.Priority]: priority,
        [RunField.CreatedAt]: at,
        [RunField.NodeIds]: nodes.map((n) => n.id),
        [RunField.QueuedSeq]: 1,
      },
      nodes: nodes.map((n) => [
        n.id,
        { [NodeField.Block]: n.block.type, [NodeField.Status]: NodeStatus.Pending, [NodeField.Attempt]: 0 },
      ]),
      event: {
        type: RunEventType.RunQueued,
        runId,
        tenantId: req.tenantId,
        at,
        data: {
          workflowId: req.workflow.id,
          workflowVersion: req.workflow.version,
          inputs,
          priority,
          nodes: nodes.map((n) => ({ id: n.id, block: n.block.type })),
        },
      },
    });
    if (created) {
      await this.queue.enqueue(id, 1, priority);
      return {
        id,
        tenantId: req.tenantId,
        workflowId: req.workflow.id,
        workflowVersion: req.workflow.version,
        status: RunStatus.Queued,
        inputs,
        outputs: null,
        error: null,
        priority,
        createdAt: at,
        startedAt: null,
        finishedAt: null,
        lastSeq: 1,
        nodes: nodes.map((n) => ({
          nodeId: n.id,
          block: n.block.type,
          status: NodeStatus.Pending,
          attempts: 0,
          progress: null,
          output: null,
          error: null,
          startedAt: null,
          finishedAt: null,
        })),
      };
    }
    const run = await this.store.load(id);
    if (!run) throw new NotFoundError('run', id);
    // An idempotent hit: enqueue again if the run is still queued. If the first call died between
    // storing and enqueueing, this repairs it; BullMQ ignores an add whose job id exists.
    if (run.status === RunStatus.Queued) await this.queue.enqueue(id, run.queuedSeq, run.priority);
    return runViewOfStored(run);
  }

  /**
   * Cancels a run. A queued run whose job can still be taken off the queue is cancelled here; a
   * running one is cancelled by the worker driving it (told through Redis), which stops its
   * in-flight RunPod jobs. A finished run is returned as it is.
   */
  async cancelRun(run: StoredRun): Promise<StoredRun> {
    if (isTerminalRunStatus(run.status)) return run;
    if (!(await this.store.requestCancel(run.id))) return (await this.store.load(run.id)) ?? run;
    if (run.status === RunStatus.Queued && (await this.queue.removeIfWaiting(run.id, run.queuedSeq))) {
      await this.cancelQueued(run);
    }
    return (await this.store.load(run.id)) ?? run;
  }

  /** Cancels every node and then the run, each only while the run is still QUEUED (no worker has it). */
  private async cancelQueued(run: StoredRun): Promise<void> {
    const base = { runId: run.id, tenantId: run.tenantId };
    for (const node of run.nodes.values()) {
      if (node.status !== NodeStatus.Pending) continue;
      const at = new Date(this.clock.now()).toISOString();
      const r = await this.store.transition({
        runId: run.id,
        nodeId: node.id,
        expect: [NodeStatus.Pending],
        expectRun: [RunStatus.Queued],
        nodes: [[node.id, { [NodeField.Status]: NodeStatus.Cancelled, [NodeField.FinishedAt]: at }]],
        event: { type: RunEventType.NodeCancelled, nodeId: node.id, ...base, at },
      });
      if (!r.ok) return;
    }
    const at = new Date(this.clock.now()).toISOString();
    await this.store.transition({
      runId: run.id,
      expect: [RunStatus.Queued],
      run: { [RunField.Status]: RunStatus.Cancelled, [RunField.FinishedAt]: at, [RunField.CancelRequested]: null },
      event: { type: RunEventType.RunCancelled, ...base, at },
      expireSeconds: this.options.retentionSeconds,
    });
  }

  /**
   * Queues a failed or cancelled run again: the failed, cancelled and skipped nodes, and what
   * depends on them, go back to PENDING with a fresh retry budget (their attempt numbers go on);
   * succeeded nodes keep their outputs. Same run id, same event sequence.
   */
  async retryRun(run: StoredRun): Promise<StoredRun> {
    if (run.status !== RunStatus.Failed && run.status !== RunStatus.Cancelled) {
      throw new ConflictError(`run ${run.id} is ${run.status}; only FAILED or CANCELLED runs can be retried`);
    }
    const def = compileDefinition(run.definition, BLOCK_CATALOG, {
      maxNodes: Number.MAX_SAFE_INTEGER,
      maxDefinitionBytes: Number.MAX_SAFE_INTEGER,
    });
    const reset = new Set<string>();
    const visit = (id: string): void => {
      if (reset.has(id)) return;
      reset.add(id);
      for (const d of def.nodes.get(id)?.dependants ?? []) visit(d);
    };
    for (const node of run.nodes.values()) if (node.status !== NodeStatus.Succeeded) visit(node.id);
    const resetNodes = def.order.filter((id) => reset.has(id));
    const at = new Date(this.clock.now()).toISOString();
    const result = await this.store.transition({
      runId: run.id,
      expect: [RunStatus.Failed, RunStatus.Cancelled],
      run: {
        [RunField.Status]: RunStatus.Queued,
        [RunField.Error]: null,
        [RunField.Outputs]: null,
        [RunField.FinishedAt]: null,
        [RunField.CancelRequested]: null,
      },
      nodes: resetNodes.map((id) => {
        const n = run.nodes.get(id);
        return [
          id,
          {
            [NodeField.Status]: NodeStatus.Pending,
            [NodeField.BudgetStart]: n?.attempt ?? 0,
            [NodeField.Output]: null,
            [NodeField.Error]: null,
            [NodeField.JobId]: null,
            [NodeField.NotBefore]: null,
            [NodeField.Progress]: null,
            [NodeField.StartedAt]: null,
            [NodeField.FinishedAt]: null,
          },
        ];
      }),
      event: {
        type: RunEventType.RunQueued,
        runId: run.id,
        tenantId: run.tenantId,
        at,
        data: {
          workflowId: run.workflowId,
          workflowVersion: run.workflowVersion,
          inputs: run.inputs,
          priority: run.priority,
          nodes: [...run.nodes.values()].map((n) => ({ id: n.id, block: n.block })),
          resetNodes,
        },
      },
      expireSeconds: -1,
    });
    if (!result.ok) throw new ConflictError(`run ${run.id} changed meanwhile (${result.actual ?? result.rejection}); try again`);
    await this.store.transition({ runId: run.id, run: { [RunField.QueuedSeq]: result.seq } });
    await this.queue.enqueue(run.id, result.seq, run.priority);
    return (await this.store.load(run.id)) ?? run;
  }
}

/** A run that left Redis (older than the retention) can be read, not cancelled or retried. */
export function runNotHot(id: string): ConflictError {
  return new ConflictError(`run ${id} finished too long ago to be changed (its state has left Redis)`);
}
