import type { RunErrorInfo } from '../core/errors';
import type { NodeStatus, RunStatus } from '../core/states';

/**
 * What resolvers work with: plain records independent of where they were read (Redis while a run
 * is hot, Postgres through PostgREST always). codegen maps the GraphQL types onto these.
 */
export interface WorkflowView {
  id: string;
  tenantId: string;
  name: string;
  version: number;
  definition: unknown;
  createdAt: string;
  updatedAt: string;
}

export interface NodeView {
  nodeId: string;
  block: string;
  status: NodeStatus;
  attempts: number;
  progress: number | null;
  output: unknown;
  error: RunErrorInfo | null;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface RunView {
  id: string;
  tenantId: string;
  workflowId: string;
  workflowVersion: number;
  status: RunStatus;
  inputs: unknown;
  outputs: unknown;
  error: RunErrorInfo | null;
  priority: number;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  lastSeq: number;
  /** In definition order. */
  nodes: NodeView[];
}
