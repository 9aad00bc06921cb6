import { DateTimeISOResolver, JSONResolver } from 'graphql-scalars';

export const scalarResolvers = { JSON: JSONResolver, DateTime: DateTimeISOResolver };
