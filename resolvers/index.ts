import type { Resolvers } from '../src/api/generated/resolvers-types';
import { mutationResolvers } from './mutation';
import { queryResolvers } from './query';
import { scalarResolvers } from './scalars';
import { subscriptionResolvers } from './subscription';
import { blockResolvers, nodeResultResolvers, workflowResolvers, workflowRunResolvers } from './types';

/** Every resolver of the schema; thin adapters over src/ services. */
export const resolvers: Resolvers = {
  ...scalarResolvers,
  Query: queryResolvers,
  Mutation: mutationResolvers,
  Subscription: subscriptionResolvers,
  Block: blockResolvers,
  Workflow: workflowResolvers,
  WorkflowRun: workflowRunResolvers,
  NodeResult: nodeResultResolvers,
};
