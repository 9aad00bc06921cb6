import type { CompiledDefinition } from './definition';
import { InvalidDefinitionError, type DefinitionIssue } from './errors';
import { PortKind } from './values';
import { isRecord } from './is-record';

function isImage(v: unknown): boolean {
  return isRecord(v) && ((typeof v.url === 'string' && /^https?:\/\//.test(v.url)) || typeof v.base64 === 'string');
}

/** Why a value is not of a kind, or undefined when it is. Deep checks of pixels happen where they are decoded. */
function kindProblem(kind: PortKind, v: unknown): string | undefined {
  switch (kind) {
    case PortKind.Image:
      return isImage(v) ? undefined : 'must be an image: {"url": "http(s)://..."} or {"base64": "..."}';
    case PortKind.Images:
      return Array.isArray(v) && v.every(isImage) ? undefined : 'must be a list of images ({"url"} or {"base64"} each)';
    case PortKind.Number:
      return typeof v === 'number' && Number.isFinite(v) ? undefined : 'must be a number';
    case PortKind.String:
      return typeof v === 'string' ? undefined : 'must be a string';
    case PortKind.Boolean:
      return typeof v === 'boolean' ? undefined : 'must be a boolean';
    case PortKind.Boxes:
    case PortKind.Detections:
    case PortKind.Texts:
    case PortKind.Directions:
      return Array.isArray(v) ? undefined : `must be a list (${kind})`;
    case PortKind.Json:
    case PortKind.Any:
      return v === undefined ? 'is required' : undefined;
    default:
      return undefined;
  }
}

/**
 * Checks a run's inputs against the definition's declared inputs: every declared input present and
 * of its kind, nothing undeclared. Issues carry paths like `inputs.image`.
 */
export function validateRunInputs(def: CompiledDefinition, inputs: unknown): Record<string, unknown> {
  if (!isRecord(inputs))
    throw new InvalidDefinitionError([{ path: 'inputs', message: 'run inputs must be a JSON object' }], 'run inputs');
  const issues: DefinitionIssue[] = [];
  for (const [name, kind] of def.inputs) {
    const path = `inputs.${name}`;
    if (!(name in inputs)) issues.push({ path, message: `missing input "${name}" (${kind})` });
    else {
      const problem = kindProblem(kind, inputs[name]);
      if (problem) issues.push({ path, message: problem });
    }
  }
  for (const name of Object.keys(inputs)) {
    if (!def.inputs.has(name)) issues.push({ path: `inputs.${name}`, message: `the workflow declares no input "${name}"` });
  }
  if (issues.length > 0) throw new InvalidDefinitionError(issues, 'run inputs');
  return inputs;
}
