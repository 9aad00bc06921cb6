import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { RunEventType, type RunEvent } from '../../src/core/events';
import { NodeStatus, RunStatus } from '../../src/core/states';

/**
 * Realistic event traffic for the writer's tests and benchmarks: runs of an OCR-like DAG whose
 * events are valid RunEvents with consecutive seqs from 1, appended to the stream exactly as the
 * Lua scripts append them (one field `e`, the JSON starting with `{"seq":N,`).
 */
export interface SyntheticRun {
  runId: string;
  tenantId: string;
  /** In seq order: 1, 2, 3, ... */
  events: RunEvent[];
  /** What the database must hold once every event is stored. */
  finalStatus: RunStatus;
  finalNodes: ReadonlyMap<string, { status: NodeStatus; attempts: number }>;
}

const NODES = [
  { id: 'detect', block: 'detect.text' },
  { id: 'crop', block: 'image.crop' },
  { id: 'recognize', block: 'recognize.text' },
  { id: 'annotate', block: 'image.annotate' },
];

/** A small deterministic PRNG (mulberry32), so a benchmark's data is the same in every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * One run of `eventCount` events (at least 20). Every `failEvery`-th run (by `index`) fails: its
 * recognize node is retried once and then fails, annotate is skipped. The others succeed, one node
 * of every third run after a retry. NODE_PROGRESS events make up the count.
 */
export function syntheticRun(
  index: number,
  options: { eventCount: number; tenantId?: string; failEvery?: number; runId?: string; startMs?: number },
): SyntheticRun {
  const runId = options.runId ?? randomUUID();
  const tenantId = options.tenantId ?? 'default';
  const fails = options.failEvery !== undefined && options.failEvery > 0 && index % options.failEvery === options.failEvery - 1;
  const retried = fails ? 'recognize' : index % 3 === 0 ? 'crop' : undefined;
  const startMs = options.startMs ?? Date.UTC(2026, 10, 27, 12, 0, 0);
  const err = (message: string) => ({ code: 'BLOCK_FAILED', message, retryable: true });

  type Draft = Omit<RunEvent, 'seq' | 'at' | 'runId' | 'tenantId'> & Record<string, unknown>;
  const head: Draft[] = [
    {
      type: RunEventType.RunQueued,
      data: {
        workflowId: '00000000-0000-4000-8000-000000000001',
        workflowVersion: 1,
        inputs: { image: { url: `https://example.test/${index}.png` } },
        priority: 0,
        nodes: NODES,
      },
    },
    { type: RunEventType.RunStarted },
  ];
  // Per node: the fixed events, with a slot for progress events after NODE_STARTED.
  const perNode: Array<{ before: Draft[]; after: Draft[]; progress: number }> = [];
  const finalNodes = new Map<string, { status: NodeStatus; attempts: number }>();
  for (const { id } of NODES) {
    if (fails && id === 'annotate') {
      perNode.push({ before: [], after: [{ type: RunEventType.NodeSkipped, nodeId: id }], progress: 0 });
      finalNodes.set(id, { status: NodeStatus.Skipped, attempts: 0 });
      continue;
    }
    const before: Draft[] = [];
    let attempt = 1;
    if (retried === id) {
      before.push(
        { type: RunEventType.NodeQueued, nodeId: id, attempt },
        { type: RunEventType.NodeStarted, nodeId: id, attempt },
        { type: RunEventType.NodeRetrying, nodeId: id, attempt, error: err('model timed out'), data: { delayMs: 100 } },
      );
      attempt = 2;
    }
    before.push({ type: RunEventType.NodeQueued, nodeId: id, attempt }, { type: RunEventType.NodeStarted, nodeId: id, attempt });
    const last: Draft =
      fails && id === 'recognize'
        ? { type: RunEventType.NodeFailed, nodeId: id, attempt, error: err('could not read the crops') }
        : {
            type: RunEventType.NodeSucceeded,
            nodeId: id,
            attempt,
            output: { node: id, texts: ['SWITCHYARD', `${index}`], boxes: [[1, 2, 30, 40]] },
          };
    perNode.push({ before, after: [last], progress: 0 });
    finalNodes.set(id, { status: fails && id === 'recognize' ? NodeStatus.Failed : NodeStatus.Succeeded, attempts: attempt });
  }
  const tail: Draft[] = [
    fails
      ? { type: RunEventType.RunFailed, error: err('node recognize failed') }
      : { type: RunEventType.RunSucceeded, output: { words: ['SWITCHYARD', `${index}`] } },
  ];
  const fixed = head.length + tail.length + perNode.reduce((n, p) => n + p.before.length + p.after.length, 0);
  if (options.eventCount < fixed) throw new Error(`a run needs at least ${fixed} events`);
  const withProgress = perNode.filter((p) => p.before.length > 0);
  for (let i = 0; i < options.eventCount - fixed; i++)
    (withProgress[i % withProgress.length] as { progress: number }).progress += 1;

  const drafts: Draft[] = [...head];
  perNode.forEach((p, i) => {
    drafts.push(...p.before);
    const node = NODES[i]!.id;
    const attempt = (p.before.at(-1)?.attempt as number | undefined) ?? 1;
    for (let k = 1; k <= p.progress; k++)
      drafts.push({ type: RunEventType.NodeProgress, nodeId: node, attempt, progress: k / (p.progress + 1) });
    drafts.push(...p.after);
  });
  drafts.push(...tail);
  const events = drafts.map(
    (d, i) => ({ ...d, runId, tenantId, seq: i + 1, at: new Date(startMs + i * 10).toISOString() }) as unknown as RunEvent,
  );
  return { runId, tenantId, events, finalStatus: fails ? RunStatus.Failed : RunStatus.Succeeded, finalNodes };
}

/** `count` runs of `eventsPerRun` events each. */
export function syntheticRuns(
  count: number,
  eventsPerRun: number,
  options: { tenantId?: string; failEvery?: number } = {},
): SyntheticRun[] {
  return Array.from({ length: count }, (_, i) => syntheticRun(i, { eventCount: eventsPerRun, failEvery: 5, ...options }));
}

/**
 * The runs' events as one stream would carry them while the runs progress at once: interleaved at
 * random (seeded), each run's own events still in seq order, as the Lua scripts emit them.
 */
export function interleave(runs: readonly SyntheticRun[], seed = 1, options: { concurrentRuns?: number } = {}): RunEvent[] {
  const random = seededRandom(seed);
  const cursors = runs.map(() => 0);
  // At most `concurrentRuns` runs in progress at once; the next run starts when one finishes.
  const window = options.concurrentRuns ?? runs.length;
  const live = runs.slice(0, window).map((_, i) => i);
  let nextRun = live.length;
  const out: RunEvent[] = [];
  while (live.length > 0) {
    const pick = Math.floor(random() * live.length);
    const r = live[pick]!;
    const run = runs[r]!;
    out.push(run.events[cursors[r]!]!);
    cursors[r]! += 1;
    if (cursors[r] === run.events.length) {
      if (nextRun < runs.length) live[pick] = nextRun++;
      else live.splice(pick, 1);
    }
  }
  return out;
}

/** The stream's `e` field for an event: what transition.lua / create-run.lua write. */
export function streamText(event: RunEvent): string {
  const { seq, ...rest } = event;
  return `{"seq":${seq},${JSON.stringify(rest).slice(1)}`;
}

/** Appends events to the stream in order (pipelined, `chunk` per round trip); returns their entry ids. */
export async function appendEvents(redis: Redis, stream: string, events: readonly RunEvent[], chunk = 1000): Promise<string[]> {
  return appendRaw(
    redis,
    stream,
    events.map((e) => ['e', streamText(e)]),
    chunk,
  );
}

/** Appends entries with arbitrary fields (for malformed entries in tests). */
export async function appendRaw(
  redis: Redis,
  stream: string,
  entries: ReadonlyArray<readonly string[]>,
  chunk = 1000,
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < entries.length; i += chunk) {
    const pipeline = redis.pipeline();
    for (const fields of entries.slice(i, i + chunk)) pipeline.xadd(stream, '*', ...fields);
    for (const [err, id] of (await pipeline.exec()) ?? []) {
      if (err) throw err;
      ids.push(id as string);
    }
  }
  return ids;
}
