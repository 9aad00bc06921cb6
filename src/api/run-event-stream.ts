import type { RedisPubSub } from 'graphql-redis-subscriptions';
import { isTerminalRunEvent, parseRunEvent, type RunEvent } from '../core/events';
import type { RedisKeys } from '../redis/keys';
import type { RunStore } from '../redis/run-store';
import type { RunArchive } from '../store/run-archive';

export interface RunEventStreamDeps {
  pubsub: RedisPubSub;
  keys: RedisKeys;
  store: RunStore;
  archive: RunArchive;
}

/** Events read per request while replaying from Postgres. */
const ARCHIVE_PAGE = 1000;

/**
 * A run's events with seq > afterSeq: first the ones already emitted, then live ones, with no gap
 * and no duplicate, ending after the first terminal event.
 *
 * Order of operations is what makes it exact: subscribe to the live channel first (buffering),
 * then replay from the run's event list in Redis (or from Postgres once the run has left Redis),
 * then drain the buffer, dropping what the replay already gave (seq <= last) and filling any gap
 * (a message lost by pub/sub) from the event list. Every event has its seq, so the client can
 * resume with `afterSeq` after any disconnect.
 */
export function runEventStream(deps: RunEventStreamDeps, runId: string, afterSeq: number): AsyncIterableIterator<RunEvent> {
  // An async generator cannot run its `finally` while it awaits; closing wakes it so it can.
  const control: StreamControl = { closed: false, wake: undefined };
  const events = stream(deps, runId, afterSeq, control);
  const close = (): void => {
    control.closed = true;
    control.wake?.();
  };
  return {
    next: () => events.next(),
    return: async (value?: unknown) => {
      close();
      return events.return(value as undefined);
    },
    throw: async (err?: unknown) => {
      close();
      return events.throw(err);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

interface StreamControl {
  closed: boolean;
  wake: (() => void) | undefined;
}

async function* stream(
  deps: RunEventStreamDeps,
  runId: string,
  afterSeq: number,
  control: StreamControl,
): AsyncGenerator<RunEvent> {
  const buffer: unknown[] = [];
  const subId = await deps.pubsub.subscribe(deps.keys.runChannel(runId), (message: unknown) => {
    buffer.push(message);
    control.wake?.();
  });
  try {
    let last = afterSeq;
    for await (const event of replay(deps, runId, last)) {
      yield event;
      last = event.seq;
      if (isTerminalRunEvent(event)) return;
    }
    for (;;) {
      while (buffer.length === 0) {
        if (control.closed) return;
        await new Promise<void>((resolve) => {
          control.wake = resolve;
        });
        control.wake = undefined;
      }
      const event = parseRunEvent(buffer.shift());
      if (event.seq <= last) continue;
      const missing = event.seq > last + 1 ? await deps.store.events(runId, last, event.seq - last - 1) : [];
      for (const e of [...missing, event]) {
        if (e.seq <= last) continue;
        yield e;
        last = e.seq;
        if (isTerminalRunEvent(e)) return;
      }
    }
  } finally {
    deps.pubsub.unsubscribe(subId);
  }
}

async function* replay(deps: RunEventStreamDeps, runId: string, afterSeq: number): AsyncGenerator<RunEvent> {
  const hot = await deps.store.events(runId, afterSeq);
  if (hot.length > 0 || (await deps.store.load(runId))) {
    yield* hot;
    return;
  }
  let last = afterSeq;
  for (;;) {
    const page = await deps.archive.events(runId, last, ARCHIVE_PAGE);
    yield* page;
    if (page.length < ARCHIVE_PAGE) return;
    last = (page.at(-1) as RunEvent).seq;
  }
}
