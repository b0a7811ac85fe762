/**
 * Names shared by the worker, the client, the CLI and the tests: task queue, namespace default,
 * and the business workflow ids that make starts idempotent and the Web UI readable.
 */
export const DEFAULT_TASK_QUEUE = 'dr-drills';
export const DEFAULT_NAMESPACE = 'default';
/** The Temporal frontend when nothing else says where it is (the embedded dev server's default). */
export const DEFAULT_ADDRESS = '127.0.0.1:7233';
/** The Worker Deployment every drill-runner worker belongs to (when versioning is on). */
export const DEFAULT_DEPLOYMENT_NAME = 'drill-runner';

/**
 * Separates the kind and the parts of a workflow id. No user id can hold it (the safe-id alphabet
 * has no `~`), and {@link idPart} escapes it anyway, so two different id tuples never give one
 * workflow id: `incident-ack~coll-x~y` and `incident-ack~coll~x-y` are different workflows.
 * `~` is unreserved in URLs, so Web UI links keep it as typed.
 */
export const ID_SEPARATOR = '~';

/** One part of a workflow id: `%` and `~` percent-escaped, so joining stays injective for any string. */
export function idPart(part: string | number): string {
  return String(part).replace(/%/g, '%25').replace(/~/g, '%7E');
}

function joinId(kind: string, ...parts: Array<string | number>): string {
  return [kind, ...parts.map(idPart)].join(ID_SEPARATOR);
}

export const workflowIds = {
  incidentAck: (runId: string, incidentId: string) => joinId('incident-ack', runId, incidentId),
  incident: (runId: string, incidentId: string) => joinId('incident', runId, incidentId),
  recovery: (runId: string, incidentId: string, attempt: number) => joinId('recovery', runId, incidentId, attempt),
  drill: (target: string, drillId: string) => joinId('drill', target, drillId),
  /** Prefix of a target's scheduled drills (the schedule appends the scheduled time). */
  scheduledDrill: (target: string) => joinId('drill', target, 'weekly'),
  /** One drill lock per target: held by the running drill (issue 9). */
  drillLock: (target: string) => joinId('drill-lock', target),
  /** The sign-off of one drill's test record (issue 13). */
  drillSignOff: (target: string, drillId: string) => joinId('drill-signoff', target, drillId),
  alertWatch: (runId: string) => joinId('alert-watch', runId),
  /** One halt registry per target: who holds its entries halted. */
  haltRegistry: (target: string) => joinId('halts', target),
  promotion: (experimentId: string, runId: string) => joinId('promotion', experimentId, runId),
} as const;

/**
 * The ids workflows built before collision-free ids (`-` joined, ambiguous). Only workflow code
 * replaying a history recorded before the `collision-free-ids` patch uses them.
 */
export const legacyWorkflowIds = {
  incidentAck: (runId: string, incidentId: string) => `incident-ack-${runId}-${incidentId}`,
  incident: (runId: string, incidentId: string) => `incident-${runId}-${incidentId}`,
  recovery: (runId: string, incidentId: string, attempt: number) => `recovery-${runId}-${incidentId}-${attempt}`,
} as const;

/** Patch id guarding the switch from `-` joined child workflow ids to {@link workflowIds}. */
export const COLLISION_FREE_IDS_PATCH = 'collision-free-ids';
