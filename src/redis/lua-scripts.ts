import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../paths';
import type { Redis } from 'ioredis';

/** The Lua scripts under ./scripts, each registered on a connection as a command of its own. */
export enum LuaScript {
  Transition = 'transition',
  CreateRun = 'create-run',
  Lease = 'lease',
  ReleaseLease = 'release-lease',
  AcquireSlot = 'acquire-slot',
  AcquireRun = 'acquire-run',
}

const KEY_COUNTS: Record<LuaScript, number> = {
  [LuaScript.Transition]: 4,
  [LuaScript.CreateRun]: 5,
  [LuaScript.Lease]: 1,
  [LuaScript.ReleaseLease]: 1,
  [LuaScript.AcquireSlot]: 1,
  [LuaScript.AcquireRun]: 2,
};

const sources = new Map<LuaScript, string>();
function source(script: LuaScript): string {
  let text = sources.get(script);
  if (text === undefined) {
    text = readFileSync(join(projectRoot(), 'src', 'redis', 'scripts', `${script}.lua`), 'utf8');
    sources.set(script, text);
  }
  return text;
}

const COMMAND_NAMES = new Map(Object.values(LuaScript).map((s) => [s, `sy_${s.replace(/-/g, '_')}`]));
const commandName = (script: LuaScript): string => COMMAND_NAMES.get(script) as string;
/** Connections the scripts are registered on (checked on every call: it must be cheap). */
const registered = new WeakSet<Redis>();

/** Registers the scripts once per connection; ioredis then runs them by SHA (EVALSHA, EVAL on NOSCRIPT). */
export function registerScripts(redis: Redis): void {
  if (registered.has(redis)) return;
  for (const script of Object.values(LuaScript)) {
    redis.defineCommand(commandName(script), { numberOfKeys: KEY_COUNTS[script], lua: source(script) });
  }
  registered.add(redis);
}

export async function runScript(redis: Redis, script: LuaScript, keys: string[], args: Array<string | number>): Promise<unknown> {
  registerScripts(redis);
  const fn = (redis as unknown as Record<string, (...a: Array<string | number>) => Promise<unknown>>)[commandName(script)];
  if (!fn) throw new Error(`script ${script} is not registered`);
  return fn.call(redis, ...keys, ...args);
}
