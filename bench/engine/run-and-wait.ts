import { CreateWorkflowDocument, RunEventsDocument, RunWorkflowDocument, type RunEventFieldsFragment } from '../../src/client/generated/graphql';
import type { SwitchyardClient } from '../../src/client/switchyard-client';

/** Creates a workflow, runs it once, and returns every event (through the public API). */
export async function runToEnd(client: SwitchyardClient, definition: unknown): Promise<RunEventFieldsFragment[]> {
  const { createWorkflow } = await client.request(CreateWorkflowDocument, { input: { name: 'bench', definition } });
  const { runWorkflow } = await client.request(RunWorkflowDocument, { input: { workflowId: createWorkflow.id, inputs: {} } });
  const events: RunEventFieldsFragment[] = [];
  for await (const { runEvents } of client.subscribe(RunEventsDocument, { runId: runWorkflow.id })) events.push(runEvents);
  if (events.at(-1)?.type !== 'RUN_SUCCEEDED') throw new Error(`bench run ended ${events.at(-1)?.type}`);
  return events;
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
