import type { PortKind } from '../values';

/** A node's retry policy as written in a definition (every field optional). */
export interface RetryPolicyInput {
  maxAttempts?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

export interface NodeDefinition {
  id: string;
  block: string;
  /** Port name -> a selector (`$inputs.x`, `$nodes.n.port`) or a list of selectors. */
  inputs?: Record<string, string | string[]>;
  config?: Record<string, unknown>;
  retry?: RetryPolicyInput;
  timeoutMs?: number;
  /** Selector to a boolean; false skips the node and, transitively, what needs its outputs. */
  when?: string;
  /** When true, this node's failure does not fail the run; nodes that need its outputs are skipped. */
  allowFailure?: boolean;
}

/** The `definition` JSON of the contract (shared/contract/WORKFLOW.md), with Switchyard's extensions. */
export interface WorkflowDefinition {
  inputs?: Record<string, PortKind>;
  nodes: NodeDefinition[];
  outputs?: Record<string, string>;
  defaults?: { retry?: RetryPolicyInput; timeoutMs?: number };
  /** At most this many nodes of one run in flight at once. */
  maxParallelNodes?: number;
  /** The whole run fails with RUN_DEADLINE_EXCEEDED past this many ms after it started. */
  deadlineMs?: number;
}
