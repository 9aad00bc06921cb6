import type { Redis } from 'ioredis';
import type { RedisKeys } from '../../src/redis/keys';
import type { StreamEntry } from './stream-entry';

/**
 * Moves one entry from the event stream to the dead-letter stream, atomically, and only if it is
 * still pending in the group: should two writers ever settle the same entry (one claimed it from
 * the other), it lands among the dead letters once. Inline rather than a file under
 * src/redis/scripts because only the writer uses it.
 *
 * KEYS[1] the event stream
 * KEYS[2] the dead-letter stream
 * ARGV[1] consumer group
 * ARGV[2] entry id
 * ARGV[3] reason
 * ARGV[4] attempts made
 * ARGV[5] the entry's event text, as it was
 *
 * Returns 1 when it moved the entry, 0 when the entry was no longer pending (nothing written).
 */
const DEAD_LETTER_LUA = `
if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('XADD', KEYS[2], '*', 'id', ARGV[2], 'reason', ARGV[3], 'attempts', ARGV[4], 'e', ARGV[5])
redis.call('XDEL', KEYS[1], ARGV[2])
return 1
`;

const COMMAND = 'sy_writer_dead_letter';

export interface DeadLetter {
  entry: StreamEntry;
  reason: string;
  attempts: number;
}

/** One field of a dead-letter entry; the whole entry is `id`, `reason`, `attempts`, `e`. */
export enum DeadLetterField {
  /** Id of the entry in the event stream. */
  Id = 'id',
  Reason = 'reason',
  Attempts = 'attempts',
  /** The event text as it was in the stream. */
  Event = 'e',
}

/** Moves entries to the dead-letter stream; returns how many were moved (the rest were settled elsewhere). */
export async function moveToDeadLetters(
  redis: Redis,
  keys: RedisKeys,
  group: string,
  letters: readonly DeadLetter[],
): Promise<number> {
  if (letters.length === 0) return 0;
  const commands = redis as unknown as Record<string, unknown>;
  if (typeof commands[COMMAND] !== 'function') redis.defineCommand(COMMAND, { numberOfKeys: 2, lua: DEAD_LETTER_LUA });
  const pipeline = redis.pipeline() as unknown as Record<string, (...args: Array<string | number>) => unknown> & {
    exec(): Promise<Array<[Error | null, unknown]> | null>;
  };
  for (const { entry, reason, attempts } of letters) {
    pipeline[COMMAND]!(keys.eventStream(), keys.deadLetterStream(), group, entry.id, reason, attempts, entry.text);
  }
  const replies = (await pipeline.exec()) ?? [];
  let moved = 0;
  for (const [err, reply] of replies) {
    if (err) throw err;
    if (reply === 1) moved += 1;
  }
  return moved;
}
