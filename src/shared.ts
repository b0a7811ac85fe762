/**
 * Names shared by the worker, the client, the CLI and the tests: task queue, namespace default,
 * and the business workflow ids that make starts idempotent and the Web UI readable.
 */
export const DEFAULT_TASK_QUEUE = 'dr-drills';
export const DEFAULT_NAMESPACE = 'default';

export const workflowIds = {
  incidentAck: (runId: string, incidentId: string) => `incident-ack-${runId}-${incidentId}`,
  incident: (runId: string, incidentId: string) => `incident-${runId}-${incidentId}`,
  drill: (target: string, drillId: string) => `drill-${target}-${drillId}`,
  alertWatch: (runId: string) => `alert-watch-${runId}`,
  promotion: (experimentId: string, runId: string) => `promotion-${experimentId}-${runId}`,
} as const;
