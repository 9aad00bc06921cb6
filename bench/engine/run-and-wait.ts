import {
  CreateWorkflowDocument,
  RunEventHistoryDocument,
  RunWorkflowDocument,
  type RunEventFieldsFragment,
} from '../../src/client/generated/graphql';
import type { Redis } from 'ioredis';
import type { SwitchyardClient } from '../../src/client/switchyard-client';
import type { RedisKeys } from '../../src/redis/keys';

/** Says whether a run has finished; the benchmarks read its status in Redis, which costs the API nothing. */
export type RunFinished = (runId: string) => Promise<boolean>;

export function runFinishedInRedis(redis: Redis, keys: RedisKeys): RunFinished {
  return async (runId) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes((await redis.hget(keys.runState(runId), 'status')) ?? '');
}

/**
 * Creates a workflow, runs it once through the public API and returns every event. It polls
 * `finished` every `pollMs` and then reads the stored events, rather than subscribing. For measuring the engine itself: a live subscriber makes the API and the
 * client wake for every event, which on a small machine slows the very processes being measured.
 */
export async function runToEndQuietly(
  client: SwitchyardClient,
  finished: RunFinished,
  definition: unknown,
  pollMs = 25,
): Promise<RunEventFieldsFragment[]> {
  const { createWorkflow } = await client.request(CreateWorkflowDocument, { input: { name: 'bench', definition } });
  const { runWorkflow } = await client.request(RunWorkflowDocument, { input: { workflowId: createWorkflow.id, inputs: {} } });
  do await new Promise((r) => setTimeout(r, pollMs));
  while (!(await finished(runWorkflow.id)));
  const { runEventHistory } = await client.request(RunEventHistoryDocument, { runId: runWorkflow.id, first: 10_000 });
  if (runEventHistory.at(-1)?.type !== 'RUN_SUCCEEDED') throw new Error(`bench run ended ${runEventHistory.at(-1)?.type}`);
  return runEventHistory;
}

/** Server-side wall time of a run: RUN_STARTED to RUN_SUCCEEDED. */
export function runWallMs(events: readonly RunEventFieldsFragment[]): number {
  const started = events.find((e) => e.type === 'RUN_STARTED');
  const ended = events.find((e) => e.type === 'RUN_SUCCEEDED');
  return Date.parse(ended?.at ?? '') - Date.parse(started?.at ?? '');
}

export const sleep = (id: string, ms: number, after?: string | string[]) => ({
  id,
  block: 'debug.sleep',
  config: { ms },
  ...(after ? { inputs: { after } } : {}),
});
