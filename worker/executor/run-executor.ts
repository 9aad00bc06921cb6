import { randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { BLOCK_CATALOG, BlockRuntime } from '../../src/core/blocks';
import type { Clock } from '../../src/core/clock';
import { compileDefinition, type CompiledDefinition, type CompiledNode } from '../../src/core/definition';
import { NodeCancelledError, type NodeExecutionError, type RunErrorInfo } from '../../src/core/errors';
import { RunEventType } from '../../src/core/events';
import {
  decideAfterFailure,
  planRun,
  resolveNodeInputs,
  type NodeRuntimeState,
  type RunOutcome,
  type RunRuntimeState,
} from '../../src/core/scheduler';
import { NodeStatus, RunStatus, isTerminalNodeStatus, isTerminalRunStatus } from '../../src/core/states';
import { UnreachableCaseError } from '../../src/core/unreachable';
import { NodeField, RunField, type StoredNode, type StoredRun } from '../../src/redis/run-state-codec';
import { TransitionRejection, type RunStore, type Transition } from '../../src/redis/run-store';
import type { ExecutorOptions } from './executor-options';
import { AbandonedError, runNodeAttempt, type NodeAttemptDeps, type NodeAttemptResult } from './node-attempt';
import type { RunControl } from './run-control';

/** How one call of `execute` ended. */
export enum ExecutionEnd {
  /** The run reached a terminal status (now or before this call). */
  Finished = 'FINISHED',
  /** This executor let the run go (shutdown, or another worker holds its lease): it must run again elsewhere. */
  Abandoned = 'ABANDONED',
  /** No such run in Redis (expired, or never created). */
  NotFound = 'NOT_FOUND',
}

export interface RunExecutorDeps {
  store: RunStore;
  attempts: NodeAttemptDeps;
  control: RunControl;
  clock: Clock;
  /** [0, 1), for retry jitter. */
  random: () => number;
  logger: Logger;
  options: ExecutorOptions;
}

/** A settled attempt waiting for the loop to record it. */
interface Settled {
  nodeId: string;
  attempt: number;
  result: NodeAttemptResult;
}

interface LocalNode extends NodeRuntimeState {
  jobId: string | undefined;
}

/**
 * Drives runs. `execute(runId)` takes the run's lease, resumes from whatever state Redis holds
 * (succeeded nodes are kept, in-flight RunPod jobs re-attached by their recorded id), and loops:
 * ask the pure scheduler what to do, apply it through atomic transitions, wait for a node to finish,
 * a backoff to pass or a cancel. Every transition checks the lease, so a worker that lost the run
 * cannot change it.
 */
export class RunExecutor {
  constructor(private readonly deps: RunExecutorDeps) {}

  async execute(runId: string, shutdown: AbortSignal): Promise<ExecutionEnd> {
    const driver = new RunDriver(this.deps, runId, shutdown);
    return driver.drive();
  }
}

/**
 * Compiled definitions by workflow version. A version never changes, so compiling it once per
 * worker process is enough; runs of the same workflow (the common case) skip the zod parses.
 */
const compiledDefinitions = new LRUCache<string, CompiledDefinition>({ max: 1000 });
const UNLIMITED = { maxNodes: Number.MAX_SAFE_INTEGER, maxDefinitionBytes: Number.MAX_SAFE_INTEGER };

function compiledDefinitionOf(run: StoredRun): CompiledDefinition {
  const key = `${run.workflowId}@${run.workflowVersion}`;
  let def = compiledDefinitions.get(key);
  if (!def) {
    // The API validated it against its limits; here it only needs compiling.
    def = compileDefinition(run.definition, BLOCK_CATALOG, UNLIMITED);
    compiledDefinitions.set(key, def);
  }
  return def;
}

class RunDriver {
  private readonly token = randomUUID();
  private readonly log: Logger;
  /** Aborted when this driver must stop touching the run; in-flight attempts listen to it. */
  private readonly stop = new AbortController();
  private readonly inflight = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private readonly settled: Settled[] = [];
  private wake: (() => void) | undefined;
  private run!: StoredRun;
  private def!: CompiledDefinition;
  private nodes = new Map<string, LocalNode>();
  private startedAtMs: number | undefined;
  private cancelRequested = false;
  private lastProgressAt = new Map<string, number>();

  constructor(
    private readonly deps: RunExecutorDeps,
    private readonly runId: string,
    private readonly shutdown: AbortSignal,
  ) {
    this.log = deps.logger.child({ runId });
  }

  async drive(): Promise<ExecutionEnd> {
    if (!(await this.takeLease())) return ExecutionEnd.Abandoned;
    const renew = setInterval(() => void this.renewLease(), Math.max(100, Math.floor(this.deps.options.leaseMs / 3)));
    const onShutdown = (): void => this.abandon('worker shutting down');
    this.shutdown.addEventListener('abort', onShutdown, { once: true });
    const unlisten = await this.deps.control.onCancel(this.runId, () => {
      this.cancelRequested = true;
      this.poke();
    });
    try {
      const loaded = await this.deps.store.load(this.runId);
      if (!loaded) return ExecutionEnd.NotFound;
      if (isTerminalRunStatus(loaded.status)) return ExecutionEnd.Finished;
      this.load(loaded);
      if (this.shutdown.aborted) return ExecutionEnd.Abandoned;
      if (loaded.status === RunStatus.Queued && !(await this.startRun())) return ExecutionEnd.Finished;
      this.resumeInflight();
      return await this.loop();
    } catch (err) {
      if (err instanceof AbandonedError) return ExecutionEnd.Abandoned;
      throw err;
    } finally {
      clearInterval(renew);
      this.shutdown.removeEventListener('abort', onShutdown);
      unlisten();
      this.stop.abort(new AbandonedError('executor finished'));
      await Promise.allSettled([...this.inflight.values()].map((f) => f.done));
      await this.deps.store.releaseLease(this.runId, this.token).catch(() => undefined);
    }
  }

  private async takeLease(): Promise<boolean> {
    const { leaseMs } = this.deps.options;
    // A worker that died holding the lease frees it within leaseMs; BullMQ may hand the job over sooner.
    const deadline = this.deps.clock.now() + leaseMs * 2;
    while (!this.shutdown.aborted) {
      if (await this.deps.store.holdLease(this.runId, this.token, leaseMs)) return true;
      if (this.deps.clock.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, Math.min(250, leaseMs / 4)));
    }
    return false;
  }

  private async renewLease(): Promise<void> {
    try {
      const held = await this.deps.store.holdLease(this.runId, this.token, this.deps.options.leaseMs);
      if (!held) this.abandon('lease lost');
      else if (!this.cancelRequested && (await this.deps.store.isCancelRequested(this.runId))) {
        // The control message is the fast path; this covers a lost one.
        this.cancelRequested = true;
        this.poke();
      }
    } catch (err) {
      this.log.warn({ err }, 'lease renewal failed');
    }
  }

  private abandon(reason: string): void {
    if (this.stop.signal.aborted) return;
    this.log.info({ reason }, 'letting the run go');
    this.stop.abort(new AbandonedError(reason));
    for (const f of this.inflight.values()) f.controller.abort(this.stop.signal.reason);
    this.poke();
  }

  private poke(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private load(run: StoredRun): void {
    this.run = run;
    this.def = compiledDefinitionOf(run);
    this.cancelRequested = run.cancelRequested;
    const started = run.executionStartedAt ?? run.startedAt;
    this.startedAtMs = started ? Date.parse(started) : undefined;
    this.nodes = new Map([...run.nodes.values()].map((n: StoredNode) => [n.id, this.toLocal(n)]));
  }

  private toLocal(n: StoredNode): LocalNode {
    const local: LocalNode = { status: n.status, attempt: n.attempt, budgetStart: n.budgetStart, jobId: n.jobId };
    if (n.notBefore !== undefined) local.notBefore = n.notBefore;
    if (n.output !== undefined) local.output = n.output;
    if (n.error !== undefined) local.error = n.error;
    return local;
  }

  private node(id: string): LocalNode {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`run ${this.runId} has no node ${id}`);
    return n;
  }

  private nowIso(): string {
    return new Date(this.deps.clock.now()).toISOString();
  }

  /** Applies a transition; throws AbandonedError when the lease is gone, returns false when the state moved on. */
  private async apply(t: Omit<Transition, 'runId' | 'leaseToken'>): Promise<boolean> {
    if (this.stop.signal.aborted) throw this.stop.signal.reason;
    const result = await this.deps.store.transition({ ...t, runId: this.runId, leaseToken: this.token });
    if (result.ok) return true;
    if (result.rejection === TransitionRejection.LeaseLost || result.rejection === TransitionRejection.RunNotFound) {
      this.abandon(`transition rejected: ${result.rejection}`);
      throw this.stop.signal.reason;
    }
    this.log.warn({ nodeId: t.nodeId, rejection: result.rejection, actual: result.actual }, 'transition did not apply');
    return false;
  }

  private base(): { runId: string; tenantId: string; at: string } {
    return { runId: this.runId, tenantId: this.run.tenantId, at: this.nowIso() };
  }

  /** QUEUED -> RUNNING; false when the run moved meanwhile (the API cancelled it while it was queued). */
  private async startRun(): Promise<boolean> {
    const at = this.nowIso();
    const applied = await this.apply({
      expect: [RunStatus.Queued],
      run: {
        [RunField.Status]: RunStatus.Running,
        [RunField.StartedAt]: this.run.startedAt ?? at,
        [RunField.ExecutionStartedAt]: at,
      },
      event: { type: RunEventType.RunStarted, ...this.base() },
    });
    if (applied) this.startedAtMs = Date.parse(at);
    return applied;
  }

  /** Picks up what a previous executor left in flight. */
  private resumeInflight(): void {
    for (const id of this.def.order) {
      const n = this.node(id);
      if (n.status === NodeStatus.Queued) this.launch(id, n.attempt, undefined, false);
      else if (n.status === NodeStatus.Running) {
        const node = this.def.nodes.get(id) as CompiledNode;
        // A GPU node re-attaches to its job; a CPU node (no job) runs again in place.
        this.launch(id, n.attempt, n.jobId, n.jobId === undefined || node.block.runtime !== BlockRuntime.Gpu);
      }
    }
  }

  private async loop(): Promise<ExecutionEnd> {
    for (;;) {
      await this.recordSettled();
      if (this.stop.signal.aborted) return ExecutionEnd.Abandoned;
      const decision = planRun(this.def, this.runtimeState(), this.deps.clock.now(), {
        maxParallelNodes: this.deps.options.maxParallelNodes,
      });
      if (decision.outcome) {
        await this.finish(decision.outcome);
        return ExecutionEnd.Finished;
      }
      // Transitions of different nodes are independent: send them together. They reach Redis in
      // this order on one connection, so their seqs follow the scheduler's (topological) order.
      await Promise.all(decision.skip.map((id) => this.skipNode(id)));
      await Promise.all(decision.start.map((id) => this.queueNode(id)));
      if (decision.skip.length > 0) continue;
      if (this.inflight.size === 0 && decision.start.length === 0 && decision.wakeAtMs === undefined && this.settled.length === 0) {
        // Nothing runs and nothing will: a scheduler bug, never expected. Fail loudly rather than hang.
        await this.finish({
          status: RunStatus.Failed,
          error: { code: 'INTERNAL', message: 'the run cannot make progress', nodeId: null, retryable: false },
        });
        return ExecutionEnd.Finished;
      }
      await this.waitForChange(decision.wakeAtMs);
    }
  }

  private async waitForChange(wakeAtMs: number | undefined): Promise<void> {
    if (this.settled.length > 0 || this.cancelRequested || this.stop.signal.aborted) return;
    await new Promise<void>((resolve) => {
      const timer = wakeAtMs === undefined ? undefined : setTimeout(resolve, Math.max(0, wakeAtMs - this.deps.clock.now()));
      this.wake = () => {
        if (timer) clearTimeout(timer);
        resolve();
      };
    });
    this.wake = undefined;
  }

  private runtimeState(): RunRuntimeState {
    return { inputs: this.run.inputs, nodes: this.nodes, startedAtMs: this.startedAtMs, cancelRequested: this.cancelRequested };
  }

  private async skipNode(id: string): Promise<void> {
    const at = this.nowIso();
    if (await this.apply({
      nodeId: id,
      expect: [NodeStatus.Pending],
      expectRun: [RunStatus.Running],
      nodes: [[id, { [NodeField.Status]: NodeStatus.Skipped, [NodeField.FinishedAt]: at }]],
      event: { type: RunEventType.NodeSkipped, nodeId: id, ...this.base() },
    })) {
      this.node(id).status = NodeStatus.Skipped;
    }
  }

  private async queueNode(id: string): Promise<void> {
    const n = this.node(id);
    const attempt = n.attempt + 1;
    const applied = await this.apply({
      nodeId: id,
      expect: [NodeStatus.Pending, NodeStatus.Retrying],
      expectRun: [RunStatus.Running],
      nodes: [
        [id, { [NodeField.Status]: NodeStatus.Queued, [NodeField.Attempt]: attempt, [NodeField.NotBefore]: null, [NodeField.JobId]: null }],
      ],
      event: { type: RunEventType.NodeQueued, nodeId: id, attempt, ...this.base() },
    });
    if (!applied) return;
    n.status = NodeStatus.Queued;
    n.attempt = attempt;
    delete n.notBefore;
    n.jobId = undefined;
    this.launch(id, attempt, undefined, false);
  }

  /** Starts one attempt in the background; its result is queued for the loop to record. */
  private launch(id: string, attempt: number, existingJobId: string | undefined, alreadyRunning: boolean): void {
    const node = this.def.nodes.get(id) as CompiledNode;
    const controller = new AbortController();
    if (this.stop.signal.aborted) controller.abort(this.stop.signal.reason);
    const done = runNodeAttempt(this.deps.attempts, {
      runId: this.runId,
      tenantId: this.run.tenantId,
      node,
      attempt,
      inputs: resolveNodeInputs(node, this.runtimeState()),
      existingJobId,
      markStarted: (jobId) => (alreadyRunning ? Promise.resolve(true) : this.markStarted(id, attempt, jobId)),
      reportProgress: (p) => this.reportProgress(id, attempt, p),
      signal: controller.signal,
    }).then((result) => {
      this.inflight.delete(id);
      this.settled.push({ nodeId: id, attempt, result });
      this.poke();
    });
    this.inflight.set(id, { controller, done });
  }

  private async markStarted(id: string, attempt: number, jobId: string | undefined): Promise<boolean> {
    try {
      const applied = await this.apply({
        nodeId: id,
        expect: [NodeStatus.Queued],
        expectRun: [RunStatus.Running],
        nodes: [[id, { [NodeField.Status]: NodeStatus.Running, [NodeField.JobId]: jobId, [NodeField.StartedAt]: this.nowIso() }]],
        event:
          jobId === undefined
            ? { type: RunEventType.NodeStarted, nodeId: id, attempt, ...this.base() }
            : { type: RunEventType.NodeStarted, nodeId: id, attempt, data: { jobId }, ...this.base() },
      });
      if (applied) {
        const n = this.node(id);
        n.status = NodeStatus.Running;
        n.jobId = jobId;
      }
      return applied;
    } catch (err) {
      if (err instanceof AbandonedError) return false;
      throw err;
    }
  }

  private reportProgress(id: string, attempt: number, progress: number): void {
    const now = this.deps.clock.now();
    if (now - (this.lastProgressAt.get(id) ?? 0) < this.deps.options.progressIntervalMs) return;
    this.lastProgressAt.set(id, now);
    const p = Math.min(1, Math.max(0, progress));
    void this.apply({
      nodeId: id,
      expect: [NodeStatus.Running],
      expectRun: [RunStatus.Running],
      nodes: [[id, { [NodeField.Progress]: p }]],
      event: { type: RunEventType.NodeProgress, nodeId: id, attempt, progress: p, ...this.base() },
    }).catch(() => undefined);
  }

  /** Records finished attempts, in the order they finished (sent together; each is its own node's). */
  private async recordSettled(): Promise<void> {
    while (this.settled.length > 0) {
      await Promise.all(
        this.settled.splice(0).map(async ({ nodeId, attempt, result }) => {
          if ('abandoned' in result) return;
          if (result.ok) await this.succeed(nodeId, attempt, result.output);
          else await this.failAttempt(nodeId, attempt, result.error);
        }),
      );
    }
  }

  private async succeed(id: string, attempt: number, output: Record<string, unknown>): Promise<void> {
    const at = this.nowIso();
    if (await this.apply({
      nodeId: id,
      expect: [NodeStatus.Running],
      expectRun: [RunStatus.Running],
      nodes: [
        [id, { [NodeField.Status]: NodeStatus.Succeeded, [NodeField.Output]: output, [NodeField.Error]: null, [NodeField.Progress]: 1, [NodeField.FinishedAt]: at }],
      ],
      event: { type: RunEventType.NodeSucceeded, nodeId: id, attempt, output, ...this.base() },
    })) {
      const n = this.node(id);
      n.status = NodeStatus.Succeeded;
      n.output = output;
      delete n.error;
    }
  }

  private async failAttempt(id: string, attempt: number, err: NodeExecutionError): Promise<void> {
    const n = this.node(id);
    const node = this.def.nodes.get(id) as CompiledNode;
    const error: RunErrorInfo = err.toInfo(id);
    if (err instanceof NodeCancelledError) return; // the run is finishing; finish() records the node
    const decision = decideAfterFailure(node, n, error, this.deps.random());
    const at = this.nowIso();
    if (decision.retry) {
      const notBefore = this.deps.clock.now() + decision.delayMs;
      if (await this.apply({
        nodeId: id,
        expect: [NodeStatus.Running, NodeStatus.Queued],
        expectRun: [RunStatus.Running],
        nodes: [[id, { [NodeField.Status]: NodeStatus.Retrying, [NodeField.NotBefore]: notBefore, [NodeField.Error]: error, [NodeField.JobId]: null }]],
        event: { type: RunEventType.NodeRetrying, nodeId: id, attempt, error, data: { delayMs: decision.delayMs }, ...this.base() },
      })) {
        n.status = NodeStatus.Retrying;
        n.notBefore = notBefore;
        n.error = error;
        n.jobId = undefined;
      }
      return;
    }
    if (await this.apply({
      nodeId: id,
      expect: [NodeStatus.Running, NodeStatus.Queued],
      expectRun: [RunStatus.Running],
      nodes: [[id, { [NodeField.Status]: NodeStatus.Failed, [NodeField.Error]: error, [NodeField.FinishedAt]: at }]],
      event: { type: RunEventType.NodeFailed, nodeId: id, attempt, error, ...this.base() },
    })) {
      n.status = NodeStatus.Failed;
      n.error = error;
    }
  }

  /** Ends the run: stops what is in flight, cancels the nodes that will not run, records the outcome. */
  private async finish(outcome: RunOutcome): Promise<void> {
    const reason = new NodeCancelledError(outcome.status === RunStatus.Cancelled ? 'run cancelled' : 'run ended');
    for (const f of this.inflight.values()) f.controller.abort(reason);
    await Promise.allSettled([...this.inflight.values()].map((f) => f.done));
    // An attempt that succeeded meanwhile did real work: keep its output (a retryRun reuses it).
    for (const s of this.settled.splice(0)) if (s.result.ok) await this.succeed(s.nodeId, s.attempt, s.result.output);

    await Promise.all(
      this.def.order.map(async (id) => {
        const n = this.node(id);
        if (isTerminalNodeStatus(n.status)) return;
        const applied = await this.apply({
          nodeId: id,
          expect: [n.status],
          nodes: [[id, { [NodeField.Status]: NodeStatus.Cancelled, [NodeField.FinishedAt]: this.nowIso() }]],
          event: { type: RunEventType.NodeCancelled, nodeId: id, ...(n.attempt > 0 ? { attempt: n.attempt } : {}), ...this.base() },
        });
        if (applied) n.status = NodeStatus.Cancelled;
      }),
    );

    const at = this.nowIso();
    const expireSeconds = this.deps.options.retentionSeconds;
    switch (outcome.status) {
      case RunStatus.Succeeded:
        await this.apply({
          expect: [RunStatus.Running],
          run: { [RunField.Status]: RunStatus.Succeeded, [RunField.Outputs]: outcome.output, [RunField.Error]: null, [RunField.FinishedAt]: at },
          event: { type: RunEventType.RunSucceeded, output: outcome.output, ...this.base() },
          expireSeconds,
        });
        return;
      case RunStatus.Failed:
        await this.apply({
          expect: [RunStatus.Running],
          run: { [RunField.Status]: RunStatus.Failed, [RunField.Error]: outcome.error, [RunField.FinishedAt]: at },
          event: { type: RunEventType.RunFailed, error: outcome.error, ...this.base() },
          expireSeconds,
        });
        return;
      case RunStatus.Cancelled:
        await this.apply({
          expect: [RunStatus.Running],
          run: { [RunField.Status]: RunStatus.Cancelled, [RunField.FinishedAt]: at, [RunField.CancelRequested]: null },
          event: { type: RunEventType.RunCancelled, ...this.base() },
          expireSeconds,
        });
        return;
      default:
        throw new UnreachableCaseError(outcome);
    }
  }
}
