/**
 * `drill triage --run-id R`: the runbook's "First 5 Minutes" report from the run's files and the
 * target's gateway and broker, without a worker or a running incident. The target comes from the
 * targets file (`DRILL_TARGETS_FILE`): `--target`, else the one whose `runId` is R, else the only one.
 */
import path from 'node:path';
import { gatherTriage } from '../activities/incidents';
import type { Config } from '../config';
import { incidentIdSchema, runIdSchema } from '../domain/ids';
import { type TriageReport } from '../domain/triage';
import { loadTargetsFile, staticTargetResolver, targetsFilePath } from '../io/targets';
import { CommandError } from './output';

export interface TriageOptions {
  runId: string;
  target?: string;
  incidentId?: string;
  /** Also write `<run folder>/triage/<incident|adhoc>.json`. */
  write?: boolean;
}

export interface TriageDeps {
  config: Pick<Config, 'stateDir'> & Partial<Pick<Config, 'targetEnvAllow'>>;
  targetsFile?: string;
}

/** Picks the target for a run from the targets file. */
export async function targetForRun(
  runId: string,
  explicit: string | undefined,
  file: string,
): Promise<{ name: string; resolver: ReturnType<typeof staticTargetResolver> }> {
  let targets;
  try {
    targets = await loadTargetsFile(file);
  } catch (err) {
    throw new CommandError(`targets file: ${(err as Error).message}`);
  }
  const names = Object.keys(targets.targets);
  const name = explicit ?? names.find((n) => targets.targets[n]!.runId === runId) ?? (names.length === 1 ? names[0] : undefined);
  if (!name) throw new CommandError(`no target for run ${runId} in ${file}: pass --target (known: ${names.join(', ') || 'none'})`);
  if (!targets.targets[name]) throw new CommandError(`--target: unknown target ${name} in ${file} (known: ${names.join(', ')})`);
  return { name, resolver: staticTargetResolver(targets) };
}

export async function triageCommand(o: TriageOptions, deps: TriageDeps): Promise<{ report: TriageReport; path: string | null }> {
  const run = runIdSchema.safeParse(o.runId);
  if (!run.success) throw new CommandError(`--run-id: ${run.error.issues[0]?.message}`);
  if (o.incidentId !== undefined) {
    const inc = incidentIdSchema.safeParse(o.incidentId);
    if (!inc.success) throw new CommandError(`--incident-id: ${inc.error.issues[0]?.message}`);
  }
  const t = await targetForRun(o.runId, o.target, deps.targetsFile ?? targetsFilePath());
  try {
    return await gatherTriage(
      { targets: t.resolver, opsDir: path.join(deps.config.stateDir, 'ops'), envAllow: deps.config.targetEnvAllow ?? [] },
      { runId: o.runId, target: t.name, ...(o.incidentId ? { incidentId: o.incidentId } : {}), write: o.write ?? false },
    );
  } catch (err) {
    throw new CommandError(`triage failed: ${(err as Error).message}`);
  }
}
