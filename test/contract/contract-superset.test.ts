import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema, findBreakingChanges } from 'graphql';
import { loadTypeDefs } from '../../src/api/schema';
import { projectRoot } from '../../src/paths';

const VENDORED = join(projectRoot(), 'contract', 'core.graphql');
const LIVE = join(projectRoot(), '..', 'shared', 'contract', 'core.graphql');

/** The live contract beside the checkout when there is one, else the copy in contract/. */
function contractPath(): string {
  return existsSync(LIVE) ? LIVE : VENDORED;
}

describe('schema/ is a superset of the shared contract', () => {
  it('has no breaking change against core.graphql', () => {
    const core = buildSchema(readFileSync(contractPath(), 'utf8'));
    const project = buildSchema(loadTypeDefs());
    expect(findBreakingChanges(core, project)).toEqual([]);
  });

  it('keeps contract/core.graphql identical to the live contract (when the live one is present)', () => {
    const live = existsSync(LIVE) ? readFileSync(LIVE, 'utf8') : readFileSync(VENDORED, 'utf8');
    expect(readFileSync(VENDORED, 'utf8')).toBe(live);
  });

  it('would notice a removed field (the check can fail)', () => {
    const core = buildSchema(readFileSync(contractPath(), 'utf8'));
    const broken = buildSchema(
      loadTypeDefs()
        .replace(/^\s*lastSeq: Int!\s*$/m, '')
        .replace(/^\s*seq: Int!\s*$/m, ''),
    );
    expect(findBreakingChanges(core, broken).map((c) => c.description)).toContain('RunEvent.seq was removed.');
  });
});
