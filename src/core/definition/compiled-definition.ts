import type { BlockSpec } from '../blocks';
import type { RetryPolicy } from '../retry-policy';
import type { PortKind } from '../values';
import type { Selector } from './selector';
import type { WorkflowDefinition } from './types';

export interface CompiledInputBinding {
  port: string;
  selectors: readonly Selector[];
  /** Written as a list of selectors: the port receives a list. */
  list: boolean;
}

/** A node after validation: selectors parsed, config defaulted, policy resolved, edges known. */
export interface CompiledNode {
  id: string;
  index: number;
  block: BlockSpec;
  inputs: readonly CompiledInputBinding[];
  config: unknown;
  retry: RetryPolicy;
  timeoutMs: number | undefined;
  when: Selector | undefined;
  allowFailure: boolean;
  /** Nodes whose outputs this one reads (inputs and `when`), without duplicates. */
  dependsOn: readonly string[];
  /** Nodes that read this one's outputs. */
  dependants: readonly string[];
}

/** A definition that passed validation; everything the scheduler and executor need, precomputed once. */
export interface CompiledDefinition {
  source: WorkflowDefinition;
  inputs: ReadonlyMap<string, PortKind>;
  nodes: ReadonlyMap<string, CompiledNode>;
  /** Node ids in a topological order (dependencies first; ties in definition order). */
  order: readonly string[];
  outputs: ReadonlyMap<string, Selector>;
  maxParallelNodes: number | undefined;
  deadlineMs: number | undefined;
}
