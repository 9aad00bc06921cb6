import type { SupabaseClient } from '@supabase/supabase-js';
import type { RunEvent } from '../../src/core/events';
import { foldEventBatch } from '../../src/store/event-batch';
import { failureOutcome, WriteOutcomeKind, type WriteOutcome } from './write-outcome';

/**
 * Stores batches of events in Supabase: one `apply_event_batch` call through PostgREST per batch,
 * which inserts the event rows by their (run_id, seq) key and upserts one patch per run and node,
 * guarded on seq, in one transaction. Replaying a batch, whole or in part, changes nothing.
 */
export class EventBatchStore {
  /** Database requests made (every attempt counts). */
  requests = 0;

  constructor(
    private readonly db: SupabaseClient,
    private readonly requestTimeoutMs: number,
  ) {}

  async write(events: readonly RunEvent[]): Promise<WriteOutcome> {
    let rows;
    try {
      rows = foldEventBatch(events);
    } catch (err) {
      // parseRunEvent checks the envelope, not every nested field (e.g. RUN_QUEUED's node list):
      // an event the fold cannot read is bad data like any the database refuses.
      return { kind: WriteOutcomeKind.Rejected, reason: `cannot fold: ${(err as Error).message}`, code: '' };
    }
    this.requests += 1;
    try {
      const { data, error, status } = await this.db
        .rpc('apply_event_batch', { p_runs: rows.runs, p_nodes: rows.nodes, p_events: rows.events })
        // A request that hangs (a stuck database) is abandoned and retried; it may still commit,
        // which the replay-safe function makes harmless.
        .abortSignal(AbortSignal.timeout(this.requestTimeoutMs));
      if (error) return failureOutcome(error, status);
      return { kind: WriteOutcomeKind.Written, inserted: typeof data === 'number' ? data : 0 };
    } catch (err) {
      return failureOutcome({ message: (err as Error).message }, 0);
    }
  }
}
