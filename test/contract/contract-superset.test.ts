import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema, findBreakingChanges } from 'graphql';
import { loadTypeDefs } from '../../src/api/schema';
import { projectRoot } from '../../src/paths';

/** Where the shared contract lives: ../shared beside the checkout, or shared/ inside it. */
function contractPath(): string {
  const candidates = [join(projectRoot(), '..', 'shared', 'contract', 'core.graphql'), join(projectRoot(), 'shared', 'contract', 'core.graphql')];
  for (const c of candidates) {
    try {
      readFileSync(c);
      return c;
    } catch {
      // try the next
    }
  }
  throw new Error(`the contract core.graphql was not found at ${candidates.join(' or ')}`);
}

describe('schema/ is a superset of the shared contract', () => {
  it('has no breaking change against core.graphql', () => {
    const core = buildSchema(readFileSync(contractPath(), 'utf8'));
    const project = buildSchema(loadTypeDefs());
    expect(findBreakingChanges(core, project)).toEqual([]);
  });

  it('would notice a removed field (the check can fail)', () => {
    const core = buildSchema(readFileSync(contractPath(), 'utf8'));
    const broken = buildSchema(loadTypeDefs().replace(/^\s*lastSeq: Int!\s*$/m, '').replace(/^\s*seq: Int!\s*$/m, ''));
    expect(findBreakingChanges(core, broken).map((c) => c.description)).toContain('RunEvent.seq was removed.');
  });
});
