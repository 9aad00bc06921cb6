import { BadUserInputError } from '../src/core/errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are UUIDs; anything else cannot name an object, and would only make Postgres complain. */
export function isId(id: string): boolean {
  return UUID.test(id);
}

export function requireId(id: string, argument: string): string {
  if (!isId(id)) throw new BadUserInputError(`${argument} must be an id (a UUID)`, argument);
  return id.toLowerCase();
}
