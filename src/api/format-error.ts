import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { ZodError } from 'zod';
import { ErrorCode, InvalidDefinitionError, SwitchyardError } from '../core/errors';

/**
 * Shapes every error a client sees, over HTTP and WebSocket alike: Switchyard's errors keep their
 * message and get `extensions.code` (and `extensions.path`, the JSON path into the offending input);
 * GraphQL's own errors (syntax, validation, variables) pass through; anything else is an internal
 * error whose details stay in the log.
 */
export function formatError(
  formatted: GraphQLFormattedError,
  error: unknown,
  log: (err: unknown) => void,
): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  const base = {
    message: formatted.message,
    ...(formatted.locations ? { locations: formatted.locations } : {}),
    ...(formatted.path ? { path: formatted.path } : {}),
  };
  if (original instanceof SwitchyardError) {
    const extensions: Record<string, unknown> = { code: original.code };
    if (original.path !== undefined) extensions.path = original.path;
    if (original instanceof InvalidDefinitionError) extensions.issues = original.issues;
    return { ...base, message: original.message, extensions };
  }
  if (original instanceof ZodError) {
    const issue = original.issues[0];
    return {
      ...base,
      message: issue?.message ?? 'invalid input',
      extensions: { code: ErrorCode.BadUserInput, path: issue?.path.join('.') ?? '' },
    };
  }
  if (original instanceof GraphQLError || formatted.extensions?.code !== ErrorCode.InternalServerError) return formatted;
  log(original);
  return { ...base, message: 'internal server error', extensions: { code: ErrorCode.InternalServerError } };
}

/** The same shaping for errors graphql-js produced outside Apollo (graphql-ws subscriptions). */
export function formatGraphQLErrors(errors: readonly GraphQLError[], log: (err: unknown) => void): GraphQLFormattedError[] {
  return errors.map((e) => {
    const formatted = e.toJSON();
    const withCode = formatted.extensions?.code
      ? formatted
      : {
          ...formatted,
          extensions: {
            ...formatted.extensions,
            code: e.originalError ? ErrorCode.InternalServerError : 'GRAPHQL_VALIDATION_FAILED',
          },
        };
    return formatError(withCode, e, log);
  });
}
