/**
 * `docs/workflows.md`, generated from the workflows' zod input schemas (`npm run docs:workflows`):
 * per workflow its type, task queue, id convention, input JSON Schema (zod v4 `z.toJSONSchema`, the
 * input side: defaults optional) and a copy-paste example input for the Web UI's Start Workflow form
 * or `temporal workflow start --input`. test/unit/workflow-docs.test.ts checks every example against
 * its schema and that the committed doc equals this output, so a schema change shows up as a stale
 * doc until it is regenerated.
 */
import { z } from 'zod';
import { weeklyDrillInputSchema } from '../domain/drill';
import { drillLockInputSchema } from '../domain/drill-lock';
import { drillSignOffInputSchema } from '../domain/drill-signoff';
import { haltRegistryInputSchema } from '../domain/halts';
import { incidentInputSchema } from '../domain/incident';
import { incidentAckInputSchema } from '../domain/incident-ack';
import { promotionGateInputSchema } from '../domain/promotion';
import { recoveryInputSchema } from '../domain/recovery';
import { alertWatchInputSchema } from '../domain/watch';
import { DEFAULT_TASK_QUEUE, workflowIds } from '../shared';

export interface WorkflowDoc {
  type: string;
  summary: string;
  /** Workflow id convention, as the CLI and parents build it. */
  workflowId: string;
  startedBy: string;
  schema: z.ZodType;
  example: Record<string, unknown>;
  /** What the CLI and the parents put in the UI's Summary: the form's Summary field, filled the same way. */
  formSummary: string;
}

const RUN = 'paper-2026-11-25';
const TARGET = 'paper-sandbox';

export const WORKFLOW_DOCS: readonly WorkflowDoc[] = [
  {
    type: 'weeklyDrillWorkflow',
    summary: "The runbook's weekly DR drill on one target: preflight, fault, detection, recovery, RTO/RPO against the target's ground truth, report.",
    workflowId: workflowIds.drill(TARGET, 'drill-2026-11-25'),
    startedBy: '`drill run weekly`, the weekly schedule (`drill schedule`), the Web UI form',
    schema: weeklyDrillInputSchema,
    example: { target: TARGET },
    formSummary: `DR drill drill-2026-11-25 of ${TARGET}`,
  },
  {
    type: 'promotionGateWorkflow',
    summary:
      'The strict promotion gate (runbook "Promotion Readiness"): SLO, incident, drill, regression and paper KPI criteria over a run; evidence bundle (docs/promotion-gate.md).',
    workflowId: workflowIds.promotion('momentum-v3', RUN),
    startedBy: '`drill promote` (CI), the Web UI form',
    schema: promotionGateInputSchema,
    example: { experimentId: 'momentum-v3', runId: RUN, target: TARGET },
    formSummary: `Promotion gate: experiment momentum-v3, run ${RUN} (strict)`,
  },
  {
    type: 'alertWatchWorkflow',
    summary: "Watches a trading run's artifacts against the SLOs and opens an incident on a breach; continues as new.",
    workflowId: workflowIds.alertWatch(RUN),
    startedBy: '`drill watch start`',
    schema: alertWatchInputSchema,
    example: { runId: RUN, target: TARGET },
    formSummary: `Alert watcher: run ${RUN} (target ${TARGET})`,
  },
  {
    type: 'incidentWorkflow',
    summary: 'One incident: triage, halt entries, classified recovery (child), acknowledgement timer (child), resolution.',
    workflowId: workflowIds.incident(RUN, 'inc-0001'),
    startedBy: 'the alert watcher',
    schema: incidentInputSchema,
    example: { runId: RUN, incidentId: 'inc-0001', target: TARGET },
    formSummary: `Incident inc-0001 (critical, from ops_slo_events) on ${TARGET}`,
  },
  {
    type: 'incidentAckWorkflow',
    summary: "An incident's acknowledgement SLA: pages and escalates until someone acknowledges (update `acknowledge`).",
    workflowId: workflowIds.incidentAck(RUN, 'inc-0001'),
    startedBy: 'the incident workflow (child), `drill ack-timer start`',
    schema: incidentAckInputSchema,
    example: { runId: RUN, incidentId: 'inc-0001', severity: 'critical' },
    formSummary: `Ack timer: incident inc-0001 (run ${RUN}, critical)`,
  },
  {
    type: 'recoveryWorkflow',
    summary: "The runbook's recovery decision tree for one incident class, until its criteria pass or it escalates.",
    workflowId: workflowIds.recovery(RUN, 'inc-0001', 1),
    startedBy: 'the incident workflow (child)',
    schema: recoveryInputSchema,
    example: { runId: RUN, incidentId: 'inc-0001', target: TARGET, incidentClass: 'data_quality', openedAt: '2026-11-25T14:30:00Z' },
    formSummary: `Recovery of inc-0001 (data_quality), attempt 1`,
  },
  {
    type: 'haltRegistryWorkflow',
    summary: "Who holds a target's entries halted (kill switch); lives as long as the target, continues as new.",
    workflowId: workflowIds.haltRegistry(TARGET),
    startedBy: 'incidents, drills and operators holding a halt (`drill halt hold`)',
    schema: haltRegistryInputSchema,
    example: { target: TARGET },
    formSummary: `Halt registry of ${TARGET}: who holds its entries halted`,
  },
  {
    type: 'drillTargetLockWorkflow',
    summary: 'One drill per target at a time: a child of the drill under one workflow id per target; ends with its drill.',
    workflowId: workflowIds.drillLock(TARGET),
    startedBy: 'the weekly drill (never started by hand: a second drill on the target is refused while it runs)',
    schema: drillLockInputSchema,
    example: {
      target: TARGET,
      holder: {
        drillId: 'drill-2026-11-29',
        workflowId: workflowIds.drill(TARGET, 'drill-2026-11-29'),
        runId: '01a2b3c4-0000-7000-8000-000000000000',
        startedAt: '2026-11-29T03:00:00Z',
      },
    },
    formSummary: `Drill lock of ${TARGET}: held by drill drill-2026-11-29`,
  },
  {
    type: 'drillSignOffWorkflow',
    summary:
      "Sign-off of one drill's test record (update `signOff`); pages the backup approver when nobody signs within the non-response SLA, records `expired` when nobody signs at all.",
    workflowId: workflowIds.drillSignOff(TARGET, 'drill-2026-11-29'),
    startedBy: 'the weekly drill at its evidence step (abandoned child: the drill never waits for it); `drill sign-off` sends the update',
    schema: drillSignOffInputSchema,
    example: {
      drillId: 'drill-2026-11-29',
      target: TARGET,
      drillResult: 'pass',
      approver: 'dr-approver',
      backupApprover: 'dr-backup-approver',
      dueAt: '2026-12-01T03:00:00Z',
      expiresAt: '2026-12-29T03:00:00Z',
    },
    formSummary: `Sign-off of DR drill drill-2026-11-29 on ${TARGET} (PASS): dr-approver, due 2026-12-01T03:00:00Z`,
  },
];

/** The input JSON Schema of a workflow (draft 2020-12, the input side: fields with defaults are optional). */
export function inputJsonSchema(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}

/** The whole `docs/workflows.md`. Pure: same schemas, same text. */
export function renderWorkflowsDoc(docs: readonly WorkflowDoc[] = WORKFLOW_DOCS): string {
  const out: string[] = [
    '# Workflows',
    '',
    '<!-- Generated by `npm run docs:workflows` (src/tools/workflow-docs.ts) from the zod input schemas. Do not edit by hand. -->',
    '',
    `Every workflow runs on one task queue, \`${DEFAULT_TASK_QUEUE}\` (\`DRILL_TASK_QUEUE\` overrides it for the whole fleet).`,
    'Each takes one argument, a JSON object; the worker validates it with the schema below and fails the',
    'run without retry (`InvalidInput`) when it does not match. Fields with a default may be left out.',
    '',
    "To start one from the Web UI's **Start Workflow** form: workflow type as below, task queue",
    `\`${DEFAULT_TASK_QUEUE}\`, the workflow id by the convention below, and the example as the input (JSON). From a`,
    'shell: `temporal workflow start --type <type> --task-queue ' + DEFAULT_TASK_QUEUE + " --workflow-id <id> --input '<example>'`.",
    '',
    "Fill the form's **Summary** (the workflow list shows it) with the line given for each workflow below,",
    'the same text the CLI sets where the CLI starts that workflow. Put who starts it and why in **Details**',
    "(Markdown, shown on the workflow's page). The CLI writes there who started the run, from which host,",
    "when, and the input's key facts. Both are kept with the run, like the input.",
    '',
    '| Workflow type | Started by | Workflow id |',
    '|---|---|---|',
    ...docs.map((d) => `| [\`${d.type}\`](#${d.type.toLowerCase()}) | ${d.startedBy} | \`${d.workflowId}\` |`),
    '',
  ];
  for (const d of docs) {
    out.push(
      `## ${d.type}`,
      '',
      d.summary,
      '',
      `- Task queue: \`${DEFAULT_TASK_QUEUE}\``,
      `- Workflow id: \`${d.workflowId}\``,
      `- Started by: ${d.startedBy}`,
      `- Summary (for the form): \`${d.formSummary}\``,
      '',
      'Example input:',
      '',
      '```json',
      JSON.stringify(d.example),
      '```',
      '',
      '<details><summary>Input JSON Schema</summary>',
      '',
      '```json',
      JSON.stringify(inputJsonSchema(d.schema), null, 2),
      '```',
      '',
      '</details>',
      '',
    );
  }
  return out.join('\n');
}
