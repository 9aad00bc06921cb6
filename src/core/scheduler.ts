import type { CompiledDefinition, CompiledNode } from './definition';
import { SelectorSource, type Selector } from './definition';
import { NodeErrorCode, type RunErrorInfo } from './errors';
import { retryDelayMs } from './retry-policy';
import { ACTIVE_NODE_STATUSES, NodeStatus, RunStatus, isTerminalNodeStatus } from './states';

/**
 * The pure scheduler. Given a compiled definition, the state of every node and the time, it says
 * what happens next. It performs no I/O and reads no clock: the executor passes `nowMs` in and
 * applies the decisions through atomic transitions, so this logic can be tested with tables and
 * replayed after a crash with the same result.
 */

export interface NodeRuntimeState {
  status: NodeStatus;
  /** Executions of this node so far in this run (the contract's `attempt` of the last one). */
  attempt: number;
  /** `attempt` when the current retry budget began: 0 at first, reset by retryRun. */
  budgetStart: number;
  /** A RETRYING node waits until this time (epoch ms). */
  notBefore?: number;
  output?: Record<string, unknown>;
  error?: RunErrorInfo;
}

export interface RunRuntimeState {
  inputs: Readonly<Record<string, unknown>>;
  nodes: ReadonlyMap<string, NodeRuntimeState>;
  /** Epoch ms when the run (this execution of it) started; for the deadline. */
  startedAtMs: number | undefined;
  cancelRequested: boolean;
}

export interface SchedulerOptions {
  /** Upper bound on nodes in flight, on top of the definition's own `maxParallelNodes`. */
  maxParallelNodes: number;
}

export type RunOutcome =
  | { status: RunStatus.Succeeded; output: Record<string, unknown> }
  | { status: RunStatus.Failed; error: RunErrorInfo }
  | { status: RunStatus.Cancelled };

export interface SchedulerDecision {
  /** Nodes to skip now, in topological order (a `when` that was false, or an input that will never come). */
  skip: string[];
  /** Nodes to queue now (PENDING with every input ready, or RETRYING whose backoff has passed), in topological order. */
  start: string[];
  /** Set when the run is over: the executor cancels what is still in flight and records the outcome. */
  outcome: RunOutcome | undefined;
  /** The earliest time something becomes due without any node finishing (a backoff or the deadline). */
  wakeAtMs: number | undefined;
}

/** Statuses of a dependency that mean its outputs will never come. */
function dependencyIsLost(status: NodeStatus, dep: CompiledNode): boolean {
  return status === NodeStatus.Skipped || status === NodeStatus.Cancelled || (status === NodeStatus.Failed && dep.allowFailure);
}

export function selectValue(
  selector: Selector,
  inputs: Readonly<Record<string, unknown>>,
  nodes: ReadonlyMap<string, NodeRuntimeState>,
): unknown {
  if (selector.source === SelectorSource.Input) return inputs[selector.input];
  return nodes.get(selector.nodeId)?.output?.[selector.port];
}

/** Values for a node's input ports, selectors replaced by what they select. */
export function resolveNodeInputs(node: CompiledNode, state: Pick<RunRuntimeState, 'inputs' | 'nodes'>): Record<string, unknown> {
  const resolved: Record<string, unknown> = {};
  for (const binding of node.inputs) {
    const values = binding.selectors.map((s) => selectValue(s, state.inputs, state.nodes));
    resolved[binding.port] = binding.list ? values : values[0];
  }
  return resolved;
}

/** The run's outputs; a selector to a node that produced nothing (skipped, allowed to fail) yields null. */
export function resolveRunOutputs(
  def: CompiledDefinition,
  state: Pick<RunRuntimeState, 'inputs' | 'nodes'>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, selector] of def.outputs) out[name] = selectValue(selector, state.inputs, state.nodes) ?? null;
  return out;
}

function conditionHolds(value: unknown): boolean {
  return value !== false && value !== null && value !== undefined;
}

export function planRun(
  def: CompiledDefinition,
  state: RunRuntimeState,
  nowMs: number,
  options: SchedulerOptions,
): SchedulerDecision {
  const decision: SchedulerDecision = { skip: [], start: [], outcome: undefined, wakeAtMs: undefined };
  const statusOf = new Map<string, NodeStatus>();
  for (const id of def.order) statusOf.set(id, state.nodes.get(id)?.status ?? NodeStatus.Pending);

  if (state.cancelRequested) {
    decision.outcome = { status: RunStatus.Cancelled };
    return decision;
  }

  const deadlineAt =
    def.deadlineMs !== undefined && state.startedAtMs !== undefined ? state.startedAtMs + def.deadlineMs : undefined;
  if (deadlineAt !== undefined && nowMs >= deadlineAt) {
    decision.outcome = {
      status: RunStatus.Failed,
      error: {
        code: NodeErrorCode.RunDeadlineExceeded,
        message: `the run did not finish within its deadline of ${def.deadlineMs} ms`,
        nodeId: null,
        retryable: false,
      },
    };
    return decision;
  }

  for (const id of def.order) {
    const node = def.nodes.get(id) as CompiledNode;
    const failed = statusOf.get(id) === NodeStatus.Failed;
    if (failed && !node.allowFailure) {
      const err = state.nodes.get(id)?.error;
      decision.outcome = {
        status: RunStatus.Failed,
        error: {
          code: err?.code ?? NodeErrorCode.Internal,
          message: `node "${id}" failed: ${err?.message ?? 'unknown error'}`,
          nodeId: id,
          retryable: err?.retryable ?? false,
        },
      };
      return decision;
    }
  }

  let active = 0;
  for (const s of statusOf.values()) if (ACTIVE_NODE_STATUSES.has(s)) active += 1;
  const limit = Math.min(options.maxParallelNodes, def.maxParallelNodes ?? Number.POSITIVE_INFINITY);
  let wakeAt = deadlineAt;
  const wakeNoLaterThan = (t: number): void => {
    wakeAt = wakeAt === undefined ? t : Math.min(wakeAt, t);
  };

  for (const id of def.order) {
    const node = def.nodes.get(id) as CompiledNode;
    const status = statusOf.get(id) as NodeStatus;
    if (status === NodeStatus.Retrying) {
      const notBefore = state.nodes.get(id)?.notBefore ?? 0;
      if (notBefore > nowMs) wakeNoLaterThan(notBefore);
      else if (active < limit) {
        decision.start.push(id);
        statusOf.set(id, NodeStatus.Queued);
        active += 1;
      }
      continue;
    }
    if (status !== NodeStatus.Pending) continue;

    const lost = node.dependsOn.some((d) => dependencyIsLost(statusOf.get(d) as NodeStatus, def.nodes.get(d) as CompiledNode));
    const whenKnownFalse =
      node.when !== undefined &&
      (node.when.source === SelectorSource.Input || statusOf.get(node.when.nodeId) === NodeStatus.Succeeded) &&
      !conditionHolds(selectValue(node.when, state.inputs, state.nodes));
    if (lost || whenKnownFalse) {
      decision.skip.push(id);
      statusOf.set(id, NodeStatus.Skipped);
      continue;
    }
    const ready = node.dependsOn.every((d) => statusOf.get(d) === NodeStatus.Succeeded);
    if (ready && active < limit) {
      decision.start.push(id);
      statusOf.set(id, NodeStatus.Queued);
      active += 1;
    }
  }

  const allDone = [...statusOf.values()].every((s) => isTerminalNodeStatus(s));
  if (allDone) {
    decision.outcome = { status: RunStatus.Succeeded, output: resolveRunOutputs(def, state) };
    decision.start = [];
    return decision;
  }
  decision.wakeAtMs = wakeAt;
  return decision;
}

export type FailureDecision = { retry: true; delayMs: number } | { retry: false };

/**
 * After a failed attempt: retry when the error says a retry may help and the node's budget
 * (`maxAttempts` executions since the budget began) is not spent.
 */
export function decideAfterFailure(
  node: CompiledNode,
  state: Pick<NodeRuntimeState, 'attempt' | 'budgetStart'>,
  error: RunErrorInfo,
  random: number,
): FailureDecision {
  const used = state.attempt - state.budgetStart;
  if (!error.retryable || used >= node.retry.maxAttempts) return { retry: false };
  return { retry: true, delayMs: retryDelayMs(node.retry, used, random) };
}
