import {
  CreateWorkflowDocument,
  RunEventsDocument,
  RunWorkflowDocument,
  type RunEventFieldsFragment,
} from '../../src/client/generated/graphql';
import type { SwitchyardClient } from '../../src/client/switchyard-client';

/** Creates a workflow from `definition` and starts one run of it; returns the run id. */
export async function startRun(
  client: SwitchyardClient,
  definition: unknown,
  inputs: Record<string, unknown> = {},
  name = 'test',
): Promise<string> {
  const { createWorkflow } = await client.request(CreateWorkflowDocument, { input: { name, definition } });
  const { runWorkflow } = await client.request(RunWorkflowDocument, { input: { workflowId: createWorkflow.id, inputs } });
  return runWorkflow.id;
}

/** Every event of a run from `afterSeq` until the subscription completes (after a terminal event). */
export async function collectEvents(client: SwitchyardClient, runId: string, afterSeq = 0): Promise<RunEventFieldsFragment[]> {
  const events: RunEventFieldsFragment[] = [];
  for await (const { runEvents } of client.subscribe(RunEventsDocument, { runId, afterSeq })) events.push(runEvents);
  return events;
}

/** Events as compact strings, e.g. "NODE_RETRYING:a#1", for readable assertions. */
export function describeEvents(events: readonly RunEventFieldsFragment[]): string[] {
  return events.map((e) => `${e.type}${e.nodeId ? `:${e.nodeId}` : ''}${e.attempt ? `#${e.attempt}` : ''}`);
}

export const sleepNode = (id: string, config: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
  id,
  block: 'debug.sleep',
  config,
  ...extra,
});

/** The gpu-worker's own record of what it executed. */
export interface GpuExecution {
  jobId: string;
  block: string;
  runId?: string;
  nodeId?: string;
  attempt?: number;
  startedAt: number;
  finishedAt?: number;
  status: string;
}

export async function gpuWorkerStats(
  runpodEndpointUrl: string,
  apiKey: string,
): Promise<{ executions: GpuExecution[]; maxConcurrentByBlock: Record<string, number> }> {
  const base = new URL(runpodEndpointUrl);
  const res = await fetch(`${base.origin}/debug/stats`, { headers: { authorization: `Bearer ${apiKey}` } });
  if (!res.ok) throw new Error(`/debug/stats answered ${res.status}`);
  return (await res.json()) as { executions: GpuExecution[]; maxConcurrentByBlock: Record<string, number> };
}
