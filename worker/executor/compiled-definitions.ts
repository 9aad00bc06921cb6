import { BLOCK_CATALOG } from '../../src/core/blocks';
import { CompiledDefinitionCache, type CompiledDefinition } from '../../src/core/definition';
import type { StoredRun } from '../../src/redis/run-state-codec';

/** The API checked the limits when it accepted the definition; here it only needs compiling. */
const UNLIMITED = { maxNodes: Number.MAX_SAFE_INTEGER, maxDefinitionBytes: Number.MAX_SAFE_INTEGER };
/** One per worker process, shared by every run it drives. */
const cache = new CompiledDefinitionCache(BLOCK_CATALOG, UNLIMITED);

export function compiledDefinitionOf(run: Pick<StoredRun, 'workflowId' | 'workflowVersion' | 'definition'>): CompiledDefinition {
  return cache.of(run);
}
