import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { BlockRuntime } from '../../src/core/blocks';
import type { CompiledDefinition, CompiledNode } from '../../src/core/definition';
import { NodeCancelledError, NodeErrorCode, type NodeExecutionError, type RunErrorInfo } from '../../src/core/errors';
import {
  decideAfterFailure,
  planRun,
  resolveNodeInputs,
  type NodeRuntimeState,
  type RunOutcome,
  type RunRuntimeState,
} from '../../src/core/scheduler';
import { NodeStatus, RunStatus, isTerminalNodeStatus, isTerminalRunStatus } from '../../src/core/states';
import type { StoredNode, StoredRun } from '../../src/redis/run-state-codec';
import { TransitionRejection, type TransitionChange } from '../../src/redis/run-store';
import { compiledDefinitionOf } from './compiled-definitions';
import { PendingJobStarts, type PendingJobStart } from './pending-job-starts';
import { AbandonedError, JobNotRecordedError, runNodeAttempt, type NodeAttemptResult } from './node-attempt';
import {
  nodeCancelled,
  nodeFailed,
  nodeProgress,
  nodeQueued,
  nodeSkipped,
  nodeStarted,
  nodeSucceeded,
  nodeRetrying,
  runEnded,
  runStarted,
  type TransitionContext,
} from './run-transitions';
import { ExecutionEnd, type RunExecutorDeps } from './executor-types';

/** The abort reason once a driver is done; one instance, since building an Error (its stack) costs. */
const EXECUTOR_FINISHED = new AbandonedError('executor finished');

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
 * Drives one run for as long as this worker holds its lease.
 *
 * The loop keeps a local copy of the node states and changes it as it sends each transition, then
 * sends every transition of one step (record what finished, skip, queue what became ready, end the
 * run) together and waits for them once: one Redis round trip per step, with seqs in the order the
 * transitions were sent (one connection keeps the order). The lease makes this driver the only
 * writer of node states; if a transition is refused anyway, the local copy is reloaded from Redis.
 */
export class RunDriver {
  private readonly token = randomUUID();
  private readonly log: Logger;
  /** Aborted when this driver must stop touching the run; in-flight attempts listen to it. */
  private readonly stop = new AbortController();
  private readonly inflight = new Map<string, { attempt: number; controller: AbortController; done: Promise<void> }>();
  /** Job ids to record, written together within startRecordDelayMs (see recordJob). */
  private readonly pendingStarts: PendingJobStarts;
  private readonly settled: Settled[] = [];
  /** Transitions of the current step, sent together by flush(). */
  private readonly step: Array<{ change: TransitionChange; resolve: (applied: boolean) => void }> = [];
  private wake: (() => void) | undefined;
  private run!: StoredRun;
  private def!: CompiledDefinition;
  private nodes = new Map<string, LocalNode>();
  private startedAtMs: number | undefined;
  private cancelRequested = false;
  /** Set when Redis refused a transition this driver expected to apply: reload before deciding again. */
  private resync = false;
  private readonly lastProgressAt = new Map<string, number>();
  /** The run's last transition released the lease with it. */
  private leaseReleased = false;

  constructor(
    private readonly deps: RunExecutorDeps,
    private readonly runId: string,
    private readonly shutdown: AbortSignal,
  ) {
    this.log = deps.logger.child({ runId });
    this.pendingStarts = new PendingJobStarts(deps.options.startRecordDelayMs, () => this.flushStarts(false));
  }

  async drive(): Promise<ExecutionEnd> {
    const taken = await this.takeLease();
    if (taken === 'busy') return ExecutionEnd.Abandoned;
    const renew = setInterval(() => void this.renewLease(), Math.max(100, Math.floor(this.deps.options.leaseMs / 3)));
    const onShutdown = (): void => {
      // Still holding the lease: write the job ids first, so the next executor re-attaches to those jobs.
      this.flushStarts(false);
      this.abandon('worker shutting down');
    };
    this.shutdown.addEventListener('abort', onShutdown, { once: true });
    const unlisten = await this.deps.control.onCancel(this.runId, () => {
      this.cancelRequested = true;
      this.poke();
    });
    try {
      if (!taken) return ExecutionEnd.NotFound;
      if (isTerminalRunStatus(taken.status)) return ExecutionEnd.Finished;
      this.load(taken);
      if (this.shutdown.aborted) return ExecutionEnd.Abandoned;
      if (taken.status === RunStatus.Queued) this.startRun();
      this.resumeInflight();
      return await this.loop();
    } catch (err) {
      if (err instanceof AbandonedError) return ExecutionEnd.Abandoned;
      throw err;
    } finally {
      clearInterval(renew);
      this.dropPendingStarts();
      this.shutdown.removeEventListener('abort', onShutdown);
      unlisten();
      this.stop.abort(EXECUTOR_FINISHED);
      await Promise.allSettled([...this.inflight.values()].map((f) => f.done));
      if (!this.leaseReleased) await this.deps.store.releaseLease(this.runId, this.token).catch(() => undefined);
    }
  }

  // ---- lease -------------------------------------------------------------------------------

  /** Takes the lease and reads the run in one round trip; 'busy' when another worker keeps it. */
  private async takeLease(): Promise<StoredRun | undefined | 'busy'> {
    const { leaseMs } = this.deps.options;
    // A worker that died holding the lease frees it within leaseMs; BullMQ may hand the job over sooner.
    const deadline = this.deps.clock.now() + leaseMs * 2;
    while (!this.shutdown.aborted) {
      const { held, run } = await this.deps.store.acquire(this.runId, this.token, leaseMs);
      if (held) return run;
      if (this.deps.clock.now() > deadline) return 'busy';
      await new Promise((r) => setTimeout(r, Math.min(250, leaseMs / 4)));
    }
    return 'busy';
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
    this.dropPendingStarts();
    this.stop.abort(new AbandonedError(reason));
    for (const f of this.inflight.values()) f.controller.abort(this.stop.signal.reason);
    this.poke();
  }

  private poke(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  // ---- state -------------------------------------------------------------------------------

  private load(run: StoredRun): void {
    this.run = run;
    this.def = compiledDefinitionOf(run);
    this.cancelRequested = run.cancelRequested;
    const started = run.executionStartedAt ?? run.startedAt;
    this.startedAtMs = started ? Date.parse(started) : undefined;
    this.nodes = new Map([...run.nodes.values()].map((n: StoredNode) => [n.id, toLocal(n)]));
  }

  private async reload(): Promise<void> {
    const run = await this.deps.store.load(this.runId);
    if (!run) {
      this.abandon('run disappeared');
      throw this.stop.signal.reason;
    }
    this.load(run);
    this.resync = false;
  }

  private node(id: string): LocalNode {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`run ${this.runId} has no node ${id}`);
    return n;
  }

  private runtimeState(): RunRuntimeState {
    return { inputs: this.run.inputs, nodes: this.nodes, startedAtMs: this.startedAtMs, cancelRequested: this.cancelRequested };
  }

  private nowIso(): string {
    return new Date(this.deps.clock.now()).toISOString();
  }

  /** Who and when of a transition written now (or at `at`, when it happened earlier). */
  private ctx(at: string = this.nowIso()): TransitionContext {
    return { runId: this.runId, tenantId: this.run.tenantId, at };
  }

  // ---- transitions ---------------------------------------------------------------------------

  /**
   * Sends transitions under the lease at once, as one script call applied in order; resolves
   * whether each applied. A lost lease stops the driver; any other refusal makes it reload.
   */
  private send(changes: readonly TransitionChange[]): Promise<boolean[]> {
    if (this.stop.signal.aborted) return Promise.resolve(changes.map(() => false));
    return this.deps.store.transitions(this.runId, this.token, changes).then((results) =>
      results.map((result, i) => {
        if (result.ok) return true;
        if (result.rejection === TransitionRejection.LeaseLost || result.rejection === TransitionRejection.RunNotFound) {
          this.abandon(`transition rejected: ${result.rejection}`);
        } else {
          const nodeId = changes[i]?.nodeId;
          this.log.warn({ nodeId, rejection: result.rejection, actual: result.actual }, 'transition did not apply; reloading');
          this.resync = true;
        }
        return false;
      }),
    );
  }

  private async sendOne(change: TransitionChange): Promise<boolean> {
    return (await this.send([change]))[0] === true;
  }

  /** Adds a transition to the current step; flush() sends the step's transitions together. */
  private queueWrite(change: TransitionChange): Promise<boolean> {
    return new Promise<boolean>((resolve) => this.step.push({ change, resolve }));
  }

  /**
   * Sends the step's transitions (one Redis round trip) and waits for them; throws AbandonedError
   * when the driver lost the run. The script call is issued before the first await, so nothing sent
   * later (an attempt's start, written when its job is accepted) can overtake it.
   */
  private async flush(): Promise<void> {
    const step = this.step.splice(0);
    if (step.length > 0) {
      const applied = await this.send(step.map((s) => s.change));
      step.forEach((s, i) => s.resolve(applied[i] === true));
    }
    if (this.stop.signal.aborted) throw this.stop.signal.reason;
  }

  /**
   * QUEUED -> RUNNING, sent with the first step. If the API cancelled the run meanwhile, this and
   * the step's node transitions are refused, and the reload that follows finds the run finished.
   */
  private startRun(): void {
    const c = this.ctx();
    this.startedAtMs = Date.parse(c.at);
    void this.queueWrite(runStarted(c, this.run.startedAt));
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
      if (this.resync) {
        await this.reload();
        if (isTerminalRunStatus(this.run.status)) return ExecutionEnd.Finished;
      }
      // Job ids waiting to be written go first in this step, before any result of their nodes.
      this.flushStarts(true);
      this.recordSettled();
      const decision = planRun(this.def, this.runtimeState(), this.deps.clock.now(), {
        maxParallelNodes: this.deps.options.maxParallelNodes,
      });
      if (decision.outcome) {
        await this.finish(decision.outcome);
        return ExecutionEnd.Finished;
      }
      for (const id of decision.skip) this.skipNode(id);
      // Attempts start as soon as their NODE_QUEUED is sent, not when it is confirmed: Redis applies
      // commands of one connection in order, so an attempt's QUEUED -> RUNNING always comes after it,
      // and is refused (the attempt then stops and cancels its job) if the queueing was refused.
      for (const id of decision.start) {
        void this.queueNode(id);
        this.launch(id, this.node(id).attempt, undefined, false);
      }
      await this.flush();
      if (decision.skip.length > 0 || this.resync) continue;
      if (
        this.inflight.size === 0 &&
        decision.start.length === 0 &&
        decision.wakeAtMs === undefined &&
        this.settled.length === 0
      ) {
        // Nothing runs and nothing will: a scheduler bug, never expected. Fail loudly rather than hang.
        await this.finish({
          status: RunStatus.Failed,
          error: { code: NodeErrorCode.Internal, message: 'the run cannot make progress', nodeId: null, retryable: false },
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

  private skipNode(id: string): void {
    this.node(id).status = NodeStatus.Skipped;
    void this.queueWrite(nodeSkipped(this.ctx(), id));
  }

  private queueNode(id: string): Promise<boolean> {
    const n = this.node(id);
    const attempt = n.attempt + 1;
    n.status = NodeStatus.Queued;
    n.attempt = attempt;
    delete n.notBefore;
    n.jobId = undefined;
    return this.queueWrite(nodeQueued(this.ctx(), id, attempt));
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
      markStarted: () => (alreadyRunning ? Promise.resolve(true) : this.markCpuStarted(id, attempt)),
      recordJob: (jobId) => this.recordJob(id, attempt, jobId),
      reportProgress: (p) => this.reportProgress(id, attempt, p),
      signal: controller.signal,
    }).then((result) => {
      this.inflight.delete(id);
      this.settled.push({ nodeId: id, attempt, result });
      this.poke();
    });
    this.inflight.set(id, { attempt, controller, done });
  }

  /** QUEUED -> RUNNING of a CPU node, awaited before the block runs. */
  private async markCpuStarted(id: string, attempt: number): Promise<boolean> {
    const applied = await this.sendOne(nodeStarted(this.ctx(), id, attempt, undefined));
    if (applied) this.node(id).status = NodeStatus.Running;
    return applied;
  }

  /**
   * A GPU node's job was accepted: QUEUED -> RUNNING with its job id, written soon (see
   * PendingJobStarts). The id is always written before the result (every step writes pending
   * starts first), so a node is RUNNING only with its job id recorded. If the executor dies in
   * between, the job was never recorded: the next executor submits the node again (its result was
   * not recorded either, so nothing recorded runs twice).
   */
  private recordJob(nodeId: string, attempt: number, jobId: string): void {
    this.pendingStarts.add({ nodeId, attempt, jobId, at: this.nowIso() });
  }

  /** Writes the pending job ids: with the current step when `inStep`, else at once, together. */
  private flushStarts(inStep: boolean): void {
    const starts = this.pendingStarts.take();
    if (starts.length === 0) return;
    const changes = starts.map((p) => {
      const n = this.node(p.nodeId);
      n.status = NodeStatus.Running;
      n.jobId = p.jobId;
      return nodeStarted(this.ctx(p.at), p.nodeId, p.attempt, p.jobId);
    });
    const onApplied = (applied: boolean, i: number): void => {
      const p = starts[i] as PendingJobStart;
      if (!applied) this.abortAttempt(p.nodeId, p.attempt, new JobNotRecordedError());
    };
    if (inStep) changes.forEach((c, i) => void this.queueWrite(c).then((applied) => onApplied(applied, i)));
    else
      void this.send(changes).then(
        (applied) => applied.forEach(onApplied),
        (err: unknown) => {
          this.log.warn({ err }, 'job ids not recorded');
          starts.forEach((_, i) => onApplied(false, i));
        },
      );
  }

  /** The driver lost the run: no pending id will be written, so those jobs are cancelled. */
  private dropPendingStarts(): void {
    for (const p of this.pendingStarts.take()) this.abortAttempt(p.nodeId, p.attempt, new JobNotRecordedError());
  }

  private abortAttempt(id: string, attempt: number, reason: Error): void {
    const f = this.inflight.get(id);
    if (f && f.attempt === attempt) f.controller.abort(reason);
    this.poke();
  }

  private reportProgress(id: string, attempt: number, progress: number): void {
    const now = this.deps.clock.now();
    if (now - (this.lastProgressAt.get(id) ?? 0) < this.deps.options.progressIntervalMs) return;
    this.lastProgressAt.set(id, now);
    const p = Math.min(1, Math.max(0, progress));
    if (this.stop.signal.aborted) return;
    if (this.pendingStarts.has(id)) this.flushStarts(false);
    // Sent on its own: a progress report that loses the race with the node's end changes nothing
    // and must not make the driver reload.
    void this.deps.store
      .transition({ ...nodeProgress(this.ctx(), id, attempt, p), runId: this.runId, leaseToken: this.token })
      .catch((err: unknown) => this.log.warn({ err }, 'progress not recorded'));
  }

  /** Records finished attempts in the order they finished: local state now, transitions in this step. */
  private recordSettled(): void {
    for (const { nodeId, attempt, result } of this.settled.splice(0)) {
      if ('abandoned' in result) continue;
      if (result.ok) this.succeed(nodeId, attempt, result.output);
      else this.failAttempt(nodeId, attempt, result.error);
    }
  }

  private succeed(id: string, attempt: number, output: Record<string, unknown>): void {
    const n = this.node(id);
    n.status = NodeStatus.Succeeded;
    n.output = output;
    delete n.error;
    void this.queueWrite(nodeSucceeded(this.ctx(), id, attempt, output));
  }

  private failAttempt(id: string, attempt: number, err: NodeExecutionError): void {
    if (err instanceof NodeCancelledError) return; // the run is finishing; finish() records the node
    const n = this.node(id);
    const node = this.def.nodes.get(id) as CompiledNode;
    const error: RunErrorInfo = err.toInfo(id);
    const decision = decideAfterFailure(node, n, error, this.deps.random());
    if (decision.retry) {
      const notBefore = this.deps.clock.now() + decision.delayMs;
      n.status = NodeStatus.Retrying;
      n.notBefore = notBefore;
      n.error = error;
      n.jobId = undefined;
      void this.queueWrite(nodeRetrying(this.ctx(), id, attempt, error, notBefore, decision.delayMs));
      return;
    }
    n.status = NodeStatus.Failed;
    n.error = error;
    void this.queueWrite(nodeFailed(this.ctx(), id, attempt, error));
  }

  /** Ends the run: stops what is in flight, cancels the nodes that will not run, records the outcome. */
  private async finish(outcome: RunOutcome): Promise<void> {
    this.flushStarts(true);
    if (this.inflight.size > 0) {
      const reason = new NodeCancelledError(outcome.status === RunStatus.Cancelled ? 'run cancelled' : 'run ended');
      for (const f of this.inflight.values()) f.controller.abort(reason);
      await Promise.allSettled([...this.inflight.values()].map((f) => f.done));
      // An attempt that succeeded meanwhile did real work: keep its output (a retryRun reuses it).
      for (const s of this.settled.splice(0)) if (s.result.ok) this.succeed(s.nodeId, s.attempt, s.result.output);
    }
    for (const id of this.def.order) {
      const n = this.node(id);
      if (isTerminalNodeStatus(n.status)) continue;
      const from = n.status;
      n.status = NodeStatus.Cancelled;
      void this.queueWrite(nodeCancelled(this.ctx(), id, from, n.attempt));
    }
    const last = this.queueWrite(runEnded(this.ctx(), outcome, this.deps.options.retentionSeconds));
    await this.flush();
    this.leaseReleased = await last;
  }
}

function toLocal(n: StoredNode): LocalNode {
  const local: LocalNode = { status: n.status, attempt: n.attempt, budgetStart: n.budgetStart, jobId: n.jobId };
  if (n.notBefore !== undefined) local.notBefore = n.notBefore;
  if (n.output !== undefined) local.output = n.output;
  if (n.error !== undefined) local.error = n.error;
  return local;
}
