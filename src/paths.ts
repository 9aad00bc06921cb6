import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

let root: string | undefined;

/**
 * The repository root (where schema/, supabase/ and src/redis/scripts/ are), found from this file
 * whether it runs from src/ (tests) or dist/src/ (built).
 */
export function projectRoot(): string {
  if (root !== undefined) return root;
  let dir = __dirname;
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'switchyard') {
      root = dir;
      return dir;
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find the switchyard project root above ${__dirname}`);
    dir = up;
  }
}
