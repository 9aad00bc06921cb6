import { randomUUID } from 'node:crypto';
import type { MutationResolvers } from '../src/api/generated/resolvers-types';
import { runNotHot } from '../src/api/run-service';
import { runViewOfStored } from '../src/api/run-views';
import type { ApiContext } from '../src/api/context';
import { BadUserInputError, NotFoundError } from '../src/core/errors';
import type { StoredRun } from '../src/redis/run-state-codec';
import type { WorkflowView } from '../src/store/views';
import { requireId } from './ids';

const MAX_NAME_LENGTH = 200;

function checkName(name: unknown, path: string): string {
  if (typeof name !== 'string' || name.trim().length === 0 || name.length > MAX_NAME_LENGTH) {
    throw new BadUserInputError(`name must be 1 to ${MAX_NAME_LENGTH} characters`, path);
  }
  return name.trim();
}

async function tenantWorkflow(ctx: ApiContext, id: string, argument: string): Promise<WorkflowView> {
  const w = await ctx.loaders.workflow.load(requireId(id, argument));
  if (!w || w.tenantId !== ctx.tenantId) throw new NotFoundError('workflow', id);
  return w;
}

/** A run the caller may change: in Redis and the caller's. Older runs can be read, not changed. */
async function tenantHotRun(ctx: ApiContext, id: string): Promise<StoredRun> {
  const runId = requireId(id, 'id');
  const hot = await ctx.loaders.hotRun.load(runId);
  if (hot) {
    if (hot.tenantId !== ctx.tenantId) throw new NotFoundError('run', id);
    return hot;
  }
  const cold = await ctx.loaders.run.load(runId);
  if (!cold || cold.tenantId !== ctx.tenantId) throw new NotFoundError('run', id);
  throw runNotHot(id);
}

export const mutationResolvers: MutationResolvers = {
  createWorkflow: async (_p, { input }, ctx) => {
    const name = checkName(input.name, 'input.name');
    ctx.services.runs.compile(input.definition);
    return ctx.services.workflows.create(randomUUID(), ctx.tenantId, name, input.definition);
  },

  updateWorkflow: async (_p, { id, input }, ctx) => {
    const existing = await tenantWorkflow(ctx, id, 'id');
    const name = input.name === null || input.name === undefined ? null : checkName(input.name, 'input.name');
    if (input.definition !== null && input.definition !== undefined) ctx.services.runs.compile(input.definition);
    const updated = await ctx.services.workflows.update(existing.id, ctx.tenantId, name, input.definition ?? null);
    if (!updated) throw new NotFoundError('workflow', id);
    return updated;
  },

  runWorkflow: async (_p, { input }, ctx) => {
    const workflow = await tenantWorkflow(ctx, input.workflowId, 'input.workflowId');
    return ctx.services.runs.runWorkflow({
      tenantId: ctx.tenantId,
      workflow,
      inputs: input.inputs,
      idempotencyKey: input.idempotencyKey,
      priority: input.priority,
    });
  },

  cancelRun: async (_p, { id }, ctx) => {
    const runId = requireId(id, 'id');
    const hot = await ctx.loaders.hotRun.load(runId);
    if (!hot) {
      // Gone from Redis means finished long ago: cancelling it changes nothing.
      const cold = await ctx.loaders.run.load(runId);
      if (!cold || cold.tenantId !== ctx.tenantId) throw new NotFoundError('run', id);
      return cold;
    }
    if (hot.tenantId !== ctx.tenantId) throw new NotFoundError('run', id);
    return runViewOfStored(await ctx.services.runs.cancelRun(hot));
  },

  retryRun: async (_p, { id }, ctx) => runViewOfStored(await ctx.services.runs.retryRun(await tenantHotRun(ctx, id))),
};
