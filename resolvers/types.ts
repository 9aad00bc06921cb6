import { zodToJsonSchema } from '../src/core/blocks/config-json-schema';
import type {
  BlockResolvers,
  NodeResultResolvers,
  WorkflowResolvers,
  WorkflowRunResolvers,
} from '../src/api/generated/resolvers-types';
import { NotFoundError } from '../src/core/errors';
import { decodeCursor, pageSize, toConnection } from '../src/store/pagination';

export const blockResolvers: BlockResolvers = {
  configSchema: (block) => zodToJsonSchema(block.config),
};

export const workflowResolvers: WorkflowResolvers = {
  runs: async (workflow, { first, after }, ctx) => {
    const size = pageSize(first);
    const rows = await ctx.services.reader.list(
      ctx.tenantId,
      { workflowId: workflow.id },
      size + 1,
      after ? decodeCursor(after) : undefined,
    );
    return toConnection(rows, size, (r) => r);
  },
};

export const workflowRunResolvers: WorkflowRunResolvers = {
  workflow: async (run, _a, ctx) => {
    const w = await ctx.loaders.workflow.load(run.workflowId);
    if (!w) throw new NotFoundError('workflow', run.workflowId);
    return w;
  },
};

export const nodeResultResolvers: NodeResultResolvers = {
  durationMs: (node) => (node.startedAt && node.finishedAt ? Date.parse(node.finishedAt) - Date.parse(node.startedAt) : null),
};
