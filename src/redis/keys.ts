/**
 * Every Redis key and channel Switchyard uses, in one place, under one prefix, so that several
 * deployments (or test runs) can share one Redis without touching each other's data.
 */
export class RedisKeys {
  constructor(readonly prefix: string) {}

  /** Hash of one run's state: run fields, and node fields as `n:<nodeId>:<field>`. */
  runState(runId: string): string {
    return `${this.prefix}run:${runId}`;
  }
  /** List of one run's events in seq order: what subscriptions replay. */
  runEvents(runId: string): string {
    return `${this.prefix}run:${runId}:events`;
  }
  /** The worker that drives a run holds this key (token value, expiring). */
  runLease(runId: string): string {
    return `${this.prefix}run:${runId}:lease`;
  }
  /** Live events of one run (pub/sub). */
  runChannel(runId: string): string {
    return `${this.prefix}events:${runId}`;
  }
  /** Control messages for the worker driving a run (cancel). */
  runControlChannel(runId: string): string {
    return `${this.prefix}control:${runId}`;
  }
  /** Durable stream of every event of every run, consumed by the writer. */
  eventStream(): string {
    return `${this.prefix}events`;
  }
  /** Events the writer could not store after repeated attempts, with the reason. */
  deadLetterStream(): string {
    return `${this.prefix}events:dead`;
  }
  /** Sorted set of a tenant's newest runs by creation time (lists merge it with Postgres). */
  recentRuns(tenantId: string): string {
    return `${this.prefix}recent:${tenantId}`;
  }
  idempotency(tenantId: string, key: string): string {
    return `${this.prefix}idem:${tenantId}:${key}`;
  }
  /** Sorted set of the executions holding a slot of a block's global concurrency limit. */
  blockSlots(block: string): string {
    return `${this.prefix}slots:${block}`;
  }
  /** Where the gpu-worker announces finished RunPod jobs (the worker's fast path). */
  runpodJobChannel(): string {
    return `${this.prefix}runpod:jobs`;
  }
  /** Prefix BullMQ puts before its own keys. */
  bullPrefix(): string {
    return `${this.prefix}bull`;
  }
}
