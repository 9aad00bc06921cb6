import { PoisonQuarantine, SuspectVerdict } from '../../worker/writer/poison-quarantine';
import type { StreamEntry } from '../../worker/writer/stream-entry';
import { failureOutcome, WriteOutcomeKind } from '../../worker/writer/write-outcome';

const entry = (id: string): StreamEntry => ({ id, text: '{}', event: undefined, problem: undefined });

describe('PoisonQuarantine', () => {
  let now = 1_000;
  const clock = { now: () => now };
  const make = (capacity = 10) => new PoisonQuarantine({ maxAttempts: 3, retryInitialMs: 100, retryMaxMs: 150, capacity }, clock);

  it('retries a suspect with backoff and dead-letters it on its last attempt', () => {
    const q = make();
    expect(q.rejected(entry('1-0'), 'bad')).toEqual({ verdict: SuspectVerdict.Retry, attempts: 1 });
    expect(q.due()).toEqual([]);
    expect(q.nextDueInMs()).toBe(100);
    now += 100;
    expect(q.due().map((s) => s.entry.id)).toEqual(['1-0']);
    expect(q.rejected(entry('1-0'), 'bad')).toEqual({ verdict: SuspectVerdict.Retry, attempts: 2 });
    expect(q.nextDueInMs()).toBe(150); // capped at retryMaxMs
    now += 150;
    expect(q.rejected(entry('1-0'), 'bad')).toEqual({ verdict: SuspectVerdict.DeadLetter, attempts: 3 });
    expect(q.size).toBe(0);
    expect(q.nextDueInMs()).toBe(Infinity);
  });

  it('does not count a postponement (database away) as an attempt', () => {
    const q = make();
    q.rejected(entry('2-0'), 'bad');
    now += 100;
    q.postpone('2-0');
    expect(q.due()).toEqual([]);
    now += 100;
    expect(q.due()[0]?.attempts).toBe(1);
  });

  it('is full at its capacity and frees a released suspect', () => {
    const q = make(2);
    q.rejected(entry('3-0'), 'bad');
    expect(q.full).toBe(false);
    q.rejected(entry('3-1'), 'bad');
    expect(q.full).toBe(true);
    q.release('3-0');
    expect(q.full).toBe(false);
    expect(q.ids()).toEqual(['3-1']);
  });
});

describe('failureOutcome', () => {
  it.each([
    [{ message: 'invalid input syntax for type uuid', code: '22P02' }, 400, WriteOutcomeKind.Rejected],
    [{ message: 'integer out of range', code: '22003' }, 400, WriteOutcomeKind.Rejected],
    [{ message: 'not null', code: '23502' }, 400, WriteOutcomeKind.Rejected],
    [{ message: 'cannot affect row a second time', code: '21000' }, 500, WriteOutcomeKind.Rejected],
    [{ message: 'too large', code: '' }, 413, WriteOutcomeKind.Rejected],
    [{ message: 'TypeError: fetch failed', code: '' }, 0, WriteOutcomeKind.Unavailable],
    [{ message: 'Database client error', code: 'PGRST000' }, 503, WriteOutcomeKind.Unavailable],
    [{ message: 'deadlock detected', code: '40P01' }, 500, WriteOutcomeKind.Unavailable],
    [{ message: 'canceling statement due to statement timeout', code: '57014' }, 500, WriteOutcomeKind.Unavailable],
    [{ message: 'Could not find the function', code: 'PGRST202' }, 404, WriteOutcomeKind.Unavailable],
    [{ message: 'permission denied', code: '42501' }, 401, WriteOutcomeKind.Unavailable],
  ])('%j (HTTP %i) is %s', (error, status, kind) => {
    expect(failureOutcome(error, status).kind).toBe(kind);
  });
});
