import { z } from 'zod';

/** JSON Schema of a block's config as a client writes it (defaults shown, nothing required that has one). */
export function zodToJsonSchema(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
