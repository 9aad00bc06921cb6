import type { Redis } from 'ioredis';
import { parseRunEvent, type RunEvent, type UnsequencedRunEvent } from '../core/events';
import { RunStatus, type NodeStatus } from '../core/states';
import type { RedisKeys } from './keys';
import { LuaScript, runScript } from './lua-scripts';
import { RunField, decodeRunState, encodeFields, type FieldValue, type NodeField, type StoredRun } from './run-state-codec';

/** Why a transition did not happen. */
export enum TransitionRejection {
  /** Another worker holds the run's lease (or nobody does): this caller must stop driving the run. */
  LeaseLost = 'LEASE_LOST',
  /** The node (or run) was not in an expected status: someone else already moved it. */
  UnexpectedStatus = 'UNEXPECTED_STATUS',
  /** The run was not in an expected status (e.g. it was cancelled meanwhile). */
  UnexpectedRunStatus = 'UNEXPECTED_RUN_STATUS',
  RunNotFound = 'RUN_NOT_FOUND',
}

export type TransitionResult = { ok: true; seq: number } | { ok: false; rejection: TransitionRejection; actual?: string };

export interface Transition {
  runId: string;
  /** Check that this token holds the run's lease; omit for API-side transitions on runs no worker holds. */
  leaseToken?: string;
  /** The node to check; omit to check the run's own status. */
  nodeId?: string;
  /** Statuses the node (or run) must be in; omit to accept any. */
  expect?: ReadonlyArray<NodeStatus | RunStatus>;
  /** Statuses the run must be in; omit to accept any. */
  expectRun?: readonly RunStatus[];
  run?: Partial<Record<RunField, FieldValue>>;
  nodes?: ReadonlyArray<[string, Partial<Record<NodeField, FieldValue>>]>;
  event?: UnsequencedRunEvent;
  /** Expire the run's state and events this many seconds from now (set on terminal transitions). */
  expireSeconds?: number;
  /** Release the lease in the same step (the driver's last transition of the run). */
  releaseLease?: boolean;
}

/** A transition as part of a batch of one run's transitions (see RunStore.transitions). */
export type TransitionChange = Omit<Transition, 'runId' | 'leaseToken'>;

/** How many of a tenant's newest runs the recent-runs set keeps. */
const RECENT_RUNS_KEPT = 1000;

export interface NewRun {
  runId: string;
  tenantId: string;
  /** Epoch ms; orders the tenant's recent runs. */
  createdAtMs: number;
  /** Same key, same tenant, within `idempotencyTtlSeconds`: the first run is returned instead. */
  idempotencyKey: string | undefined;
  idempotencyTtlSeconds: number;
  run: Partial<Record<RunField, FieldValue>>;
  nodes: ReadonlyArray<[string, Partial<Record<NodeField, FieldValue>>]>;
  event: UnsequencedRunEvent;
}

/** The JSON text of an event without its opening brace: the Lua scripts prepend `{"seq":N,`. */
function eventBody(event: UnsequencedRunEvent): string {
  return JSON.stringify(event).slice(1);
}

const REJECTIONS: Record<number, TransitionRejection> = {
  [-1]: TransitionRejection.LeaseLost,
  [-2]: TransitionRejection.UnexpectedStatus,
  [-3]: TransitionRejection.UnexpectedRunStatus,
  [-4]: TransitionRejection.RunNotFound,
};

/**
 * Run state in Redis. Every change goes through one Lua script that checks the expected state and
 * the lease and emits the event with the next seq, so no two processes can both move a node, and
 * the event log has no gaps or duplicates, whatever crashes in between.
 */
export class RunStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async createRun(input: NewRun): Promise<{ runId: string; created: boolean }> {
    const { runId } = input;
    const reply = (await runScript(
      this.redis,
      LuaScript.CreateRun,
      [
        this.keys.runState(runId),
        this.keys.runEvents(runId),
        this.keys.eventStream(),
        this.keys.idempotency(input.tenantId, input.idempotencyKey ?? ''),
        this.keys.recentRuns(input.tenantId),
      ],
      [
        runId,
        input.idempotencyKey === undefined ? 0 : input.idempotencyTtlSeconds,
        eventBody(input.event),
        this.keys.runChannel(runId),
        input.createdAtMs,
        RECENT_RUNS_KEPT,
        ...encodeFields(input.run, input.nodes),
      ],
    )) as [number, string];
    return { runId: reply[1], created: reply[0] === 1 };
  }

  async transition(t: Transition): Promise<TransitionResult> {
    return (await this.transitions(t.runId, t.leaseToken, [t]))[0] as TransitionResult;
  }

  /**
   * Several transitions of one run in one script call, applied in order, each checked against the
   * state the ones before it left (as if sent one by one); one result per transition.
   */
  async transitions(
    runId: string,
    leaseToken: string | undefined,
    changes: readonly TransitionChange[],
  ): Promise<TransitionResult[]> {
    const args: Array<string | number> = [leaseToken ?? '', this.keys.runChannel(runId)];
    for (const t of changes) {
      const fields = encodeFields(t.run ?? {}, t.nodes ?? []);
      args.push(
        t.nodeId ?? '',
        (t.expect ?? []).join('|'),
        (t.expectRun ?? []).join('|'),
        t.event ? eventBody(t.event) : '',
        t.expireSeconds ?? 0,
        t.releaseLease ? '1' : '',
        fields.length,
      );
      for (const f of fields) args.push(f);
    }
    const reply = (await runScript(
      this.redis,
      LuaScript.Transition,
      [this.keys.runState(runId), this.keys.runEvents(runId), this.keys.eventStream(), this.keys.runLease(runId)],
      args,
    )) as Array<number | string>;
    const results: TransitionResult[] = [];
    for (let i = 0; i < changes.length; i++) {
      const code = reply[2 * i];
      const actual = reply[2 * i + 1];
      if (typeof code !== 'number') throw new Error(`transition script returned ${JSON.stringify(reply)}`);
      if (code >= 0) {
        results.push({ ok: true, seq: code });
        continue;
      }
      const rejection = REJECTIONS[code];
      if (!rejection) throw new Error(`transition script returned ${JSON.stringify(reply)}`);
      results.push(actual ? { ok: false, rejection, actual: String(actual) } : { ok: false, rejection });
    }
    return results;
  }

  async load(runId: string): Promise<StoredRun | undefined> {
    return decodeRunState(runId, await this.redis.hgetall(this.keys.runState(runId)));
  }

  /** Several runs in one round trip (a pipeline). */
  async loadMany(runIds: readonly string[]): Promise<Array<StoredRun | undefined>> {
    if (runIds.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of runIds) pipeline.hgetall(this.keys.runState(id));
    const replies = (await pipeline.exec()) ?? [];
    return runIds.map((id, i) => {
      const [err, hash] = replies[i] ?? [null, {}];
      if (err) throw err;
      return decodeRunState(id, hash as Record<string, string>);
    });
  }

  /** Ids of the tenant's newest runs created before `beforeMs` (all when undefined), newest first. */
  async recentRunIds(tenantId: string, beforeMs: number | undefined, limit: number): Promise<string[]> {
    const max = beforeMs === undefined ? '+inf' : `(${beforeMs}`;
    return this.redis.zrevrangebyscore(this.keys.recentRuns(tenantId), max, '-inf', 'LIMIT', 0, limit);
  }

  /** The cancel flag alone (cheap; the executor polls it as a fallback for the control message). */
  async isCancelRequested(runId: string): Promise<boolean> {
    return (await this.redis.hget(this.keys.runState(runId), RunField.CancelRequested)) === '1';
  }

  /** The run's events with seq > afterSeq, in order. Seqs start at 1 with no gaps, so seq N is at index N-1. */
  async events(runId: string, afterSeq = 0, limit = -1): Promise<RunEvent[]> {
    const stop = limit < 0 ? -1 : afterSeq + limit - 1;
    const raw = await this.redis.lrange(this.keys.runEvents(runId), afterSeq, stop);
    return raw.map((text) => parseRunEvent(JSON.parse(text)));
  }

  /** Takes or renews the run's lease for `ms`; false when another token holds it. */
  async holdLease(runId: string, token: string, ms: number): Promise<boolean> {
    return (await runScript(this.redis, LuaScript.Lease, [this.keys.runLease(runId)], [token, ms])) === 1;
  }

  /**
   * Takes or renews the lease and reads the run in one round trip. `held: false` when another token
   * holds the lease; `run: undefined` when there is no such run.
   */
  async acquire(runId: string, token: string, ms: number): Promise<{ held: boolean; run: StoredRun | undefined }> {
    const reply = (await runScript(
      this.redis,
      LuaScript.AcquireRun,
      [this.keys.runLease(runId), this.keys.runState(runId)],
      [token, ms],
    )) as [number, ...string[]];
    if (reply[0] !== 1) return { held: false, run: undefined };
    const hash: Record<string, string> = {};
    for (let i = 1; i + 1 < reply.length; i += 2) hash[reply[i] as string] = reply[i + 1] as string;
    return { held: true, run: decodeRunState(runId, hash) };
  }

  async releaseLease(runId: string, token: string): Promise<void> {
    await runScript(this.redis, LuaScript.ReleaseLease, [this.keys.runLease(runId)], [token]);
  }

  /**
   * Marks a queued or running run for cancellation and tells the worker driving it. Returns false
   * when the run is already finished (or gone).
   */
  async requestCancel(runId: string): Promise<boolean> {
    const result = await this.transition({
      runId,
      expectRun: [RunStatus.Queued, RunStatus.Running],
      run: { [RunField.CancelRequested]: '1' },
    });
    if (!result.ok) return false;
    await this.redis.publish(this.keys.runControlChannel(runId), 'cancel');
    return true;
  }
}
