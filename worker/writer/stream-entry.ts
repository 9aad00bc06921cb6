import { parseRunEvent, type RunEvent } from '../../src/core/events';

/**
 * One entry of the durable event stream as the writer holds it: the id, the event's JSON text as
 * the Lua scripts wrote it (field `e`), and the event, or why it could not be read.
 */
export interface StreamEntry {
  id: string;
  /** The `e` field; '' when the entry has none. Kept as is for the dead-letter stream. */
  text: string;
  event: RunEvent | undefined;
  /** Why the entry is not an event; undefined when it is one. */
  problem: string | undefined;
}

/** The reply of XREADGROUP / XAUTOCLAIM for one entry. */
export type RawStreamEntry = [id: string, fields: string[]];

/** Reads one entry; a malformed one is returned with its problem, never thrown, so it cannot stop a batch. */
export function toStreamEntry([id, fields]: RawStreamEntry): StreamEntry {
  let text: string | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === 'e') text = fields[i + 1];
  if (text === undefined) return { id, text: '', event: undefined, problem: 'entry has no "e" field' };
  try {
    return { id, text, event: parseRunEvent(JSON.parse(text)), problem: undefined };
  } catch (err) {
    return { id, text, event: undefined, problem: (err as Error).message };
  }
}

/** The time (epoch ms) Redis appended an entry, from its id (`<ms>-<n>`). */
export function entryTimeMs(id: string): number {
  return Number(id.slice(0, id.indexOf('-')));
}
