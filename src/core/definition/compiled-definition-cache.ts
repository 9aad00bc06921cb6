import { LRUCache } from 'lru-cache';
import type { BlockSpec } from '../blocks';
import { compileDefinition } from './compile-definition';
import type { CompiledDefinition } from './compiled-definition';
import type { DefinitionLimits } from './definition-limits';

/** A stored workflow version: its definition never changes once stored. */
export interface WorkflowVersionRef {
  workflowId: string;
  workflowVersion: number;
  definition: unknown;
}

/**
 * Compiled definitions by workflow version. A version never changes, so it is validated and
 * compiled once per process: runs of the same workflow (the common case) skip the zod parses.
 * Definitions that do not compile are not kept; each call throws the same error again.
 */
export class CompiledDefinitionCache {
  private readonly cache: LRUCache<string, CompiledDefinition>;

  constructor(
    private readonly catalog: ReadonlyMap<string, BlockSpec>,
    private readonly limits: DefinitionLimits,
    /** Versions kept at most. @defaultValue 1000 */
    max = 1000,
  ) {
    this.cache = new LRUCache({ max });
  }

  of(version: WorkflowVersionRef): CompiledDefinition {
    const key = `${version.workflowId}@${version.workflowVersion}`;
    let def = this.cache.get(key);
    if (!def) {
      def = compileDefinition(version.definition, this.catalog, this.limits);
      this.cache.set(key, def);
    }
    return def;
  }
}
