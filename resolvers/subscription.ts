import type { SubscriptionResolvers } from '../src/api/generated/resolvers-types';
import { runEventStream } from '../src/api/run-event-stream';
import { BadUserInputError, NotFoundError } from '../src/core/errors';
import type { RunEvent } from '../src/core/events';
import { requireId } from './ids';

export const subscriptionResolvers: SubscriptionResolvers = {
  runEvents: {
    subscribe: async (_p, { runId, afterSeq }, ctx) => {
      const id = requireId(runId, 'runId');
      if (afterSeq !== null && afterSeq !== undefined && (!Number.isInteger(afterSeq) || afterSeq < 0)) {
        throw new BadUserInputError('afterSeq must be a non-negative integer', 'afterSeq');
      }
      const run = await ctx.loaders.run.load(id);
      if (!run || run.tenantId !== ctx.tenantId) throw new NotFoundError('run', runId);
      return runEventStream(ctx.services.events, id, afterSeq ?? 0) as AsyncIterable<unknown> as AsyncIterable<{
        runEvents: RunEvent;
      }>;
    },
    resolve: (event: unknown) => event as RunEvent,
  },
};
