/** Limits on one definition. Past them, the definition is rejected with BAD_USER_INPUT. */
export interface DefinitionLimits {
  /** @defaultValue 500 */
  maxNodes: number;
  /** Size of the definition serialised as JSON. @defaultValue 1_000_000 (1 MB) */
  maxDefinitionBytes: number;
}

export const DEFAULT_DEFINITION_LIMITS: Readonly<DefinitionLimits> = Object.freeze({
  maxNodes: 500,
  maxDefinitionBytes: 1_000_000,
});
