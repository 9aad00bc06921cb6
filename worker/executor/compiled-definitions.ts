import { LRUCache } from 'lru-cache';
import { BLOCK_CATALOG } from '../../src/core/blocks';
import { compileDefinition, type CompiledDefinition } from '../../src/core/definition';
import type { StoredRun } from '../../src/redis/run-state-codec';

/**
 * Compiled definitions by workflow version. A version never changes, so compiling it once per
 * worker process is enough; runs of the same workflow (the common case) skip the zod parses.
 */
const cache = new LRUCache<string, CompiledDefinition>({ max: 1000 });
/** The API checked the limits when it accepted the definition; here it only needs compiling. */
const UNLIMITED = { maxNodes: Number.MAX_SAFE_INTEGER, maxDefinitionBytes: Number.MAX_SAFE_INTEGER };

export function compiledDefinitionOf(run: Pick<StoredRun, 'workflowId' | 'workflowVersion' | 'definition'>): CompiledDefinition {
  const key = `${run.workflowId}@${run.workflowVersion}`;
  let def = cache.get(key);
  if (!def) {
    def = compileDefinition(run.definition, BLOCK_CATALOG, UNLIMITED);
    cache.set(key, def);
  }
  return def;
}
