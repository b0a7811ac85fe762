/**
 * The one formatter of zod issues, for workflow code (bundled into the sandbox) and Node code alike:
 * one line per issue, path first, `escalation.levels.0.afterSeconds: expected number`.
 */

/** What the formatter reads of a `z.ZodError` (structural, so callers need not import zod's types). */
export interface IssueSource {
  readonly issues: ReadonlyArray<{ readonly path: readonly PropertyKey[]; readonly message: string }>;
}

export interface IssueFormat {
  /** Label of an issue about the whole value (empty path); `(input)` unless told. `''` prints `: message`. */
  root?: string;
  /** Also use `root` when the path joins to an empty string (a single empty key), not only for an empty path. */
  rootWhenBlank?: boolean;
  /** Only the first `max` issues. */
  max?: number;
}

/** The issues as lines, path first. */
export function issueLines(error: IssueSource, o: IssueFormat = {}): string[] {
  const root = o.root ?? '(input)';
  const issues = o.max === undefined ? error.issues : error.issues.slice(0, o.max);
  return issues.map((i) => {
    const path = i.path.map(String).join('.');
    return `${(o.rootWhenBlank ? path : i.path.length) ? path : root}: ${i.message}`;
  });
}

/** The issues on one line, `; ` between them: `reason: expected string; by: expected string`. */
export function describeIssues(error: IssueSource, o: IssueFormat = {}): string {
  return issueLines(error, o).join('; ');
}
