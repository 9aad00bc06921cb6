import { z } from 'zod';
import { BLOCK_CATALOG } from '../src/core/blocks';
import { NotFoundError } from '../src/core/errors';
import type { QueryResolvers } from '../src/api/generated/resolvers-types';
import { decodeCursor, pageSize, toConnection } from '../src/store/pagination';
import { isId, requireId } from './ids';

export const queryResolvers: QueryResolvers = {
  blocks: () => [...BLOCK_CATALOG.values()],

  workflow: async (_p, { id }, ctx) => {
    if (!isId(id)) return null;
    const w = await ctx.loaders.workflow.load(id.toLowerCase());
    return w && w.tenantId === ctx.tenantId ? w : null;
  },

  workflows: async (_p, { first, after }, ctx) => {
    const size = pageSize(first);
    const rows = await ctx.services.workflows.list(ctx.tenantId, size + 1, after ? decodeCursor(after) : undefined);
    for (const w of rows) ctx.loaders.workflow.prime(w.id, w);
    return toConnection(rows, size, (w) => w);
  },

  run: async (_p, { id }, ctx) => {
    if (!isId(id)) return null;
    const run = await ctx.loaders.run.load(id.toLowerCase());
    return run && run.tenantId === ctx.tenantId ? run : null;
  },

  runs: async (_p, { filter, first, after }, ctx) => {
    const size = pageSize(first);
    const workflowId = filter?.workflowId ? requireId(filter.workflowId, 'filter.workflowId') : null;
    const rows = await ctx.services.reader.list(
      ctx.tenantId,
      { workflowId, status: filter?.status ?? null },
      size + 1,
      after ? decodeCursor(after) : undefined,
    );
    return toConnection(rows, size, (r) => r);
  },

  runEventHistory: async (_p, { runId, afterSeq, first }, ctx) => {
    const id = requireId(runId, 'runId');
    const run = await ctx.loaders.run.load(id);
    if (!run || run.tenantId !== ctx.tenantId) throw new NotFoundError('run', runId);
    const after = z
      .number()
      .int()
      .min(0)
      .parse(afterSeq ?? 0);
    const limit = Math.min(first ?? 1000, 10_000);
    const hot = await ctx.services.store.events(id, after, limit);
    if (hot.length > 0 || (await ctx.loaders.hotRun.load(id))) return hot;
    return ctx.services.archive.events(id, after, limit);
  },
};
