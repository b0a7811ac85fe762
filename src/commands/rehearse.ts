/**
 * `drill rehearse ack|recovery` (issue 15): rehearse the escalation policy and a recovery branch's
 * maximum wait on a private time-skipping server, pages into a loopback recorder. Nothing leaves the
 * machine; no Temporal server or target from the configuration is contacted.
 */
import fs from 'node:fs';
import { makeTelemetryFilterString, Runtime } from '@temporalio/worker';
import { z } from 'zod';
import { sloThresholdsFromEnv, type Config } from '../config';
import { normalizeIncidentClass, INCIDENT_CLASSES } from '../domain/classification';
import { formatOffset, parseDuration, type AckRehearsal, type RecoveryRehearsal } from '../domain/rehearsal';
import { incidentAckInputSchema } from '../domain/incident-ack';
import { severitySchema } from '../domain/severity';
import { createLogger } from '../logger';
import { temporalLoggerFor } from '../temporal-logger';
import { rehearseAck } from '../rehearsal/ack';
import { rehearseRecovery } from '../rehearsal/recovery';
import { CommandError } from './output';

export interface RehearseDeps {
  config: Pick<Config, 'paging'>;
  env?: NodeJS.ProcessEnv;
  /** Tests install their own Runtime and pass a prebuilt bundle. */
  installRuntime?: boolean;
  workflowBundle?: { code: string } | { codePath: string };
}

let runtimeInstalled = false;

/** A quiet Runtime: the rehearsal prints its own timeline; only errors go to stderr. */
function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({
    logger: temporalLoggerFor(createLogger({ level: 'error' }), 'ERROR'),
    telemetryOptions: {
      logging: { forward: {}, filter: makeTelemetryFilterString({ core: 'ERROR', other: 'ERROR' }) },
    },
  });
}

function duration(v: string | undefined, flag: string, { min = 0 } = {}): number | undefined {
  if (v === undefined) return undefined;
  const s = parseDuration(v);
  if (s === undefined || s < min) throw new CommandError(`${flag}: expected a duration like 20m, 90s or 1h30m${min ? ` (at least ${min} s)` : ''}`);
  return s;
}

const escalationSchema = incidentAckInputSchema.shape.escalation.unwrap();
/** The wrapped form: the policy and, optionally, the SLA the timer starts with. */
const wrappedPolicySchema = z.object({
  escalation: escalationSchema,
  ackSlaSeconds: incidentAckInputSchema.shape.ackSlaSeconds.unwrap().optional(),
});

/** A policy file: `{ levels, repeats }` or `{ escalation, ackSlaSeconds }`, checked by the ack timer's own schema. */
export function loadPolicyFile(file: string): z.output<typeof wrappedPolicySchema> {
  let value: unknown;
  try {
    value = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new CommandError(`--policy ${file}: ${e.code ? `cannot read (${e.code})` : `not JSON (${e.message})`}`);
  }
  const wrapped = !!value && typeof value === 'object' && 'escalation' in value;
  const r = wrappedPolicySchema.safeParse(wrapped ? value : { escalation: value });
  const pathOf = (p: PropertyKey[]) =>
    p
      .slice(wrapped ? 0 : 1)
      .map(String)
      .join('.');
  if (!r.success) throw new CommandError(`--policy ${file}: ${r.error.issues.map((i) => `${pathOf(i.path) || '(policy)'}: ${i.message}`).join('; ')}`);
  return r.data;
}

export interface RehearseAckOptions {
  policy?: string;
  ackAt?: string;
  severity?: string;
  watch?: string;
}

export async function rehearseAckCommand(o: RehearseAckOptions, deps: RehearseDeps): Promise<AckRehearsal> {
  const severity = severitySchema.safeParse(o.severity ?? 'critical');
  if (!severity.success) throw new CommandError('--severity: expected critical or warning');
  const ackAtSeconds = duration(o.ackAt, '--ack-at');
  const watchSeconds = duration(o.watch, '--watch', { min: 60 });
  let sla: number;
  try {
    sla = sloThresholdsFromEnv(deps.env ?? process.env).ackSlaSeconds;
  } catch (err) {
    throw new CommandError((err as Error).message);
  }
  const file = o.policy ? loadPolicyFile(o.policy) : undefined;
  // Without a file: what an incident starts its ack timer with (no policy: one level at the ack SLA).
  const ackSlaSeconds = file?.ackSlaSeconds ?? sla;
  const source = file
    ? `policy ${o.policy}`
    : 'the configured policy (incidents start the ack timer without one: ' +
      `a single level at the ack SLA ${formatOffset(ackSlaSeconds)}, SLO_ACK_SLA_SECONDS)`;
  if (deps.installRuntime !== false) quietRuntime();
  return rehearseAck({
    config: deps.config,
    ...(deps.workflowBundle ? { workflowBundle: deps.workflowBundle } : {}),
    input: {
      severity: severity.data,
      ackSlaSeconds: Math.round(ackSlaSeconds),
      ...(file ? { escalation: file.escalation } : {}),
      summary: 'escalation rehearsal (drill rehearse ack): not a real incident',
    },
    policySource: source,
    ...(ackAtSeconds !== undefined ? { ackAtSeconds } : {}),
    ...(watchSeconds !== undefined ? { watchSeconds } : {}),
  });
}

export interface RehearseRecoveryOptions {
  class: string;
  maxWait?: string;
  cycle?: string;
  recoverAt?: string;
}

export async function rehearseRecoveryCommand(o: RehearseRecoveryOptions, deps: RehearseDeps): Promise<RecoveryRehearsal> {
  const incidentClass = normalizeIncidentClass(o.class);
  if (!incidentClass) throw new CommandError(`--class: expected one of ${INCIDENT_CLASSES.join(', ')}`);
  const maxWaitSeconds = duration(o.maxWait, '--max-wait', { min: 1 });
  const cycleSeconds = duration(o.cycle, '--cycle', { min: 1 });
  const recoverAtSeconds = duration(o.recoverAt, '--recover-at');
  if (deps.installRuntime !== false) quietRuntime();
  return rehearseRecovery({
    config: deps.config,
    ...(deps.workflowBundle ? { workflowBundle: deps.workflowBundle } : {}),
    incidentClass,
    ...(maxWaitSeconds !== undefined ? { maxWaitSeconds } : {}),
    ...(cycleSeconds !== undefined ? { cycleSeconds } : {}),
    ...(recoverAtSeconds !== undefined ? { recoverAtSeconds } : {}),
  });
}
