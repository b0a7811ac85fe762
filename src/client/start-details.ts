/**
 * The static details a workflow is started with (shown in the Web UI beside its summary): who started
 * it, from where and how, and the facts an operator looks for first. Markdown, set once at start.
 */
import os from 'node:os';

function who(): string {
  try {
    return `${os.userInfo().username}@${os.hostname()}`;
  } catch {
    return os.hostname();
  }
}

/** `by` names the starter (`drill run weekly`, `schedule drill-weekly~t`); each fact is one bullet. */
export function startDetails(by: string, facts: ReadonlyArray<readonly [string, string | number | boolean | undefined]>, now: Date = new Date()): string {
  const lines = [`Started by \`${by}\` as ${who()} at ${now.toISOString()}.`, ''];
  for (const [k, v] of facts) if (v !== undefined && v !== '') lines.push(`- **${k}**: ${String(v)}`);
  return lines.join('\n');
}

/** A schedule's runs: no person starts them (the server does, on the calendar). */
export function scheduleDetails(scheduleId: string, facts: ReadonlyArray<readonly [string, string | number | boolean | undefined]>): string {
  const lines = [`Started by the schedule \`${scheduleId}\` (drill-runner), on its calendar.`, ''];
  for (const [k, v] of facts) if (v !== undefined && v !== '') lines.push(`- **${k}**: ${String(v)}`);
  return lines.join('\n');
}
