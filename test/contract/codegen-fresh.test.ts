import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from '../../src/paths';

describe('generated code', () => {
  it('is what `npm run codegen` produces from schema/ and the client operations', () => {
    const root = projectRoot();
    // graphql-codegen --check exits non-zero when an output would change.
    const run = () =>
      execFileSync(
        process.execPath,
        [join(root, 'node_modules', '@graphql-codegen', 'cli', 'cjs', 'bin.js'), '--config', 'codegen.yml', '--check'],
        {
          cwd: root,
          stdio: 'pipe',
          encoding: 'utf8',
        },
      );
    expect(run).not.toThrow();
  }, 60_000);
});
