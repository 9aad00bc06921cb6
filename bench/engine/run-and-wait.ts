import {
  CreateWorkflowDocument,
  RunDocument,
  RunEventHistoryDocument,
  RunWorkflowDocument,
  type RunEventFieldsFragment,
} from '../../src/client/generated/graphql';
import type { SwitchyardClient } from '../../src/client/switchyard-client';

/**
 * Creates a workflow, runs it once through the public API and returns every event. It polls the
 * run's status every `pollMs` and then reads the stored events, rather than subscribing. For measuring the engine itself: a live subscriber makes the API and the
 * client wake for every event, which on a small machine slows the very processes being measured.
 */
export async function runToEndQuietly(client: SwitchyardClient, definition: unknown, pollMs = 25): Promise<RunEventFieldsFragment[]> {
  const { createWorkflow } = await client.request(CreateWorkflowDocument, { input: { name: 'bench', definition } });
  const { runWorkflow } = await client.request(RunWorkflowDocument, { input: { workflowId: createWorkflow.id, inputs: {} } });
  for (;;) {
    await new Promise((r) => setTimeout(r, pollMs));
    const { run } = await client.request(RunDocument, { id: runWorkflow.id });
    if (run && ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(run.status)) break;
  }
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
