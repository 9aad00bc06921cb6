import { ErrorCode } from './error-code';
import { SwitchyardError } from './switchyard-error';

/** One problem found in a workflow definition, located by its JSON path (e.g. `nodes[2].inputs.image`). */
export interface DefinitionIssue {
  path: string;
  message: string;
}

/**
 * A definition that cannot run. Carries every issue found; the first one's path is the error's path,
 * so clients that read one `extensions.path` point at a real problem.
 */
export class InvalidDefinitionError extends SwitchyardError {
  readonly issues: readonly DefinitionIssue[];

  /** @param subject what was checked, for the message: the workflow definition, or a run's inputs */
  constructor(issues: readonly DefinitionIssue[], subject = 'workflow definition') {
    const first = issues[0];
    if (!first) throw new RangeError('InvalidDefinitionError needs at least one issue');
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
    super(ErrorCode.BadUserInput, `invalid ${subject} at ${first.path}: ${first.message}${more}`, {
      path: first.path,
      details: { issues },
    });
    this.issues = issues;
  }
}
