import type { StoredRun } from '../redis/run-state-codec';
import type { RunView } from '../store/views';

/** A run as Redis holds it, in the read model resolvers use. */
export function runViewOfStored(run: StoredRun): RunView {
  return {
    id: run.id,
    tenantId: run.tenantId,
    workflowId: run.workflowId,
    workflowVersion: run.workflowVersion,
    status: run.status,
    inputs: run.inputs,
    outputs: run.outputs ?? null,
    error: run.error ?? null,
    priority: run.priority,
    createdAt: run.createdAt,
    startedAt: run.startedAt ?? null,
    finishedAt: run.finishedAt ?? null,
    lastSeq: run.seq,
    nodes: [...run.nodes.values()].map((n) => ({
      nodeId: n.id,
      block: n.block,
      status: n.status,
      attempts: n.attempt,
      progress: n.progress ?? null,
      output: n.output ?? null,
      error: n.error ?? null,
      startedAt: n.startedAt ?? null,
      finishedAt: n.finishedAt ?? null,
    })),
  };
}
