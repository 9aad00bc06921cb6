import type { RunErrorInfo } from '../../src/core/errors';
import { RunEventType } from '../../src/core/events';
import type { RunOutcome } from '../../src/core/scheduler';
import { NodeStatus, RunStatus } from '../../src/core/states';
import { UnreachableCaseError } from '../../src/core/unreachable';
import { NodeField, RunField } from '../../src/redis/run-state-codec';
import type { TransitionChange } from '../../src/redis/run-store';

/**
 * The transitions a run driver sends, each with the state it expects, the fields it writes and
 * its event: pure builders, so the driver only decides when, and every transition's checks sit
 * next to what it writes.
 */

/** Who and when: every event of a transition carries them, and `at` is the time it writes. */
export interface TransitionContext {
  runId: string;
  tenantId: string;
  at: string;
}

const base = (c: TransitionContext) => ({ runId: c.runId, tenantId: c.tenantId, at: c.at });

/** QUEUED -> RUNNING of the run; a retried run keeps its first start time. */
export function runStarted(c: TransitionContext, firstStartedAt: string | undefined): TransitionChange {
  return {
    expect: [RunStatus.Queued],
    run: {
      [RunField.Status]: RunStatus.Running,
      [RunField.StartedAt]: firstStartedAt ?? c.at,
      [RunField.ExecutionStartedAt]: c.at,
    },
    event: { type: RunEventType.RunStarted, ...base(c) },
  };
}

export function nodeSkipped(c: TransitionContext, nodeId: string): TransitionChange {
  return {
    nodeId,
    expect: [NodeStatus.Pending],
    expectRun: [RunStatus.Running],
    nodes: [[nodeId, { [NodeField.Status]: NodeStatus.Skipped, [NodeField.FinishedAt]: c.at }]],
    event: { type: RunEventType.NodeSkipped, nodeId, ...base(c) },
  };
}

export function nodeQueued(c: TransitionContext, nodeId: string, attempt: number): TransitionChange {
  return {
    nodeId,
    expect: [NodeStatus.Pending, NodeStatus.Retrying],
    expectRun: [RunStatus.Running],
    nodes: [
      [
        nodeId,
        {
          [NodeField.Status]: NodeStatus.Queued,
          [NodeField.Attempt]: attempt,
          [NodeField.NotBefore]: null,
          [NodeField.JobId]: null,
        },
      ],
    ],
    event: { type: RunEventType.NodeQueued, nodeId, attempt, ...base(c) },
  };
}

/** QUEUED -> RUNNING of a node, with its RunPod job id when it has one (GPU nodes). */
export function nodeStarted(c: TransitionContext, nodeId: string, attempt: number, jobId: string | undefined): TransitionChange {
  return {
    nodeId,
    expect: [NodeStatus.Queued],
    expectRun: [RunStatus.Running],
    nodes: [[nodeId, { [NodeField.Status]: NodeStatus.Running, [NodeField.JobId]: jobId, [NodeField.StartedAt]: c.at }]],
    event:
      jobId === undefined
        ? { type: RunEventType.NodeStarted, nodeId, attempt, ...base(c) }
        : { type: RunEventType.NodeStarted, nodeId, attempt, data: { jobId }, ...base(c) },
  };
}

export function nodeProgress(c: TransitionContext, nodeId: string, attempt: number, progress: number): TransitionChange {
  return {
    nodeId,
    expect: [NodeStatus.Running],
    expectRun: [RunStatus.Running],
    nodes: [[nodeId, { [NodeField.Progress]: progress }]],
    event: { type: RunEventType.NodeProgress, nodeId, attempt, progress, ...base(c) },
  };
}

export function nodeSucceeded(
  c: TransitionContext,
  nodeId: string,
  attempt: number,
  output: Record<string, unknown>,
): TransitionChange {
  return {
    nodeId,
    expect: [NodeStatus.Running],
    expectRun: [RunStatus.Running],
    nodes: [
      [
        nodeId,
        {
          [NodeField.Status]: NodeStatus.Succeeded,
          [NodeField.Output]: output,
          [NodeField.Error]: null,
          [NodeField.Progress]: 1,
          [NodeField.FinishedAt]: c.at,
        },
      ],
    ],
    event: { type: RunEventType.NodeSucceeded, nodeId, attempt, output, ...base(c) },
  };
}

/** A failed attempt that will be tried again after `delayMs` (at `notBefore`, epoch ms). */
export function nodeRetrying(
  c: TransitionContext,
  nodeId: string,
  attempt: number,
  error: RunErrorInfo,
  notBefore: number,
  delayMs: number,
): TransitionChange {
  return {
    nodeId,
    expect: [NodeStatus.Running, NodeStatus.Queued],
    expectRun: [RunStatus.Running],
    nodes: [
      [
        nodeId,
        {
          [NodeField.Status]: NodeStatus.Retrying,
          [NodeField.NotBefore]: notBefore,
          [NodeField.Error]: error,
          [NodeField.JobId]: null,
        },
      ],
    ],
    event: { type: RunEventType.NodeRetrying, nodeId, attempt, error, data: { delayMs }, ...base(c) },
  };
}

export function nodeFailed(c: TransitionContext, nodeId: string, attempt: number, error: RunErrorInfo): TransitionChange {
  return {
    nodeId,
    expect: [NodeStatus.Running, NodeStatus.Queued],
    expectRun: [RunStatus.Running],
    nodes: [[nodeId, { [NodeField.Status]: NodeStatus.Failed, [NodeField.Error]: error, [NodeField.FinishedAt]: c.at }]],
    event: { type: RunEventType.NodeFailed, nodeId, attempt, error, ...base(c) },
  };
}

/** A node the finishing run will not run (or finish): from whatever status it is in. */
export function nodeCancelled(c: TransitionContext, nodeId: string, from: NodeStatus, attempt: number): TransitionChange {
  return {
    nodeId,
    expect: [from],
    nodes: [[nodeId, { [NodeField.Status]: NodeStatus.Cancelled, [NodeField.FinishedAt]: c.at }]],
    event: { type: RunEventType.NodeCancelled, nodeId, ...(attempt > 0 ? { attempt } : {}), ...base(c) },
  };
}

/** The run's last transition: its outcome, the expiry of its Redis state, and the lease let go. */
export function runEnded(c: TransitionContext, outcome: RunOutcome, retentionSeconds: number): TransitionChange {
  const common = { expect: [RunStatus.Running], expireSeconds: retentionSeconds, releaseLease: true };
  switch (outcome.status) {
    case RunStatus.Succeeded:
      return {
        ...common,
        run: {
          [RunField.Status]: RunStatus.Succeeded,
          [RunField.Outputs]: outcome.output,
          [RunField.Error]: null,
          [RunField.FinishedAt]: c.at,
        },
        event: { type: RunEventType.RunSucceeded, output: outcome.output, ...base(c) },
      };
    case RunStatus.Failed:
      return {
        ...common,
        run: { [RunField.Status]: RunStatus.Failed, [RunField.Error]: outcome.error, [RunField.FinishedAt]: c.at },
        event: { type: RunEventType.RunFailed, error: outcome.error, ...base(c) },
      };
    case RunStatus.Cancelled:
      return {
        ...common,
        run: { [RunField.Status]: RunStatus.Cancelled, [RunField.FinishedAt]: c.at, [RunField.CancelRequested]: null },
        event: { type: RunEventType.RunCancelled, ...base(c) },
      };
    default:
      throw new UnreachableCaseError(outcome);
  }
}
