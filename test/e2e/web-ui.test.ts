/**
 * The Web UI of the embedded dev server, driven in a real headless Chromium: an on-call engineer
 * starts `incidentAckWorkflow` from **Start Workflow** and acknowledges it from **Send an Update**,
 * where the handler's description is shown. Needs Debian's chromium (`.ci/run` installs it).
 */
import type { Browser } from 'playwright-core';
import { createActivities } from '../../src/activities';
import type { IncidentAckStatus } from '../../src/domain/incident-ack';
import { fillJson, launchChromium, startUiStack, type UiStack } from '../helpers/browser';
import { eventually } from '../helpers/webhook-receiver';
import { PAGING_OFF } from '../helpers/product-worker';

const TASK_QUEUE = 'web-ui-e2e';

let browser: Browser;
let stack: UiStack;
let client: UiStack['client'];
let ui: string;

beforeAll(async () => {
  browser = await launchChromium();
  stack = await startUiStack({
    taskQueue: TASK_QUEUE,
    activities: createActivities({
      config: { paging: PAGING_OFF, runsDir: '/nonexistent-runs' },
    }),
  });
  ({ client, ui } = stack);
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

test('start the ack timer from Start Workflow, acknowledge it from Send an Update', async () => {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const workflowId = `incident-ack-ui-run-inc-${Date.now().toString(36)}`;

  await page.goto(`${ui}/namespaces/default/workflows/start-workflow`, { waitUntil: 'domcontentloaded' });
  await page.locator('[data-testid=workflowId]:visible').fill(workflowId);
  await page.locator('[data-testid=taskQueue]:visible').fill(TASK_QUEUE);
  await page.locator('[data-testid=workflowType]:visible').fill('incidentAckWorkflow');
  await fillJson(page, { runId: 'ui-run', incidentId: 'inc-ui', severity: 'critical', ackSlaSeconds: 900 }, '[data-testid=workflowId]:visible');
  await page.locator('[data-testid=start-workflow-button]:visible').click();

  const handle = client.workflow.getHandle(workflowId);
  const opened = await eventually(
    async () => {
      const s = await handle.query<IncidentAckStatus>('status');
      return s.state === 'open' ? s : undefined;
    },
    'the workflow started from the UI to answer status',
    30000,
  );
  expect(opened).toMatchObject({ runId: 'ui-run', incidentId: 'inc-ui', severity: 'critical', sla: 'pending' });

  await page.goto(`${ui}/namespaces/default/workflows/${workflowId}`, { waitUntil: 'domcontentloaded' });
  await page.getByRole('button', { name: 'More Actions' }).click();
  await page.getByRole('menuitem', { name: /Update/ }).click();
  await page.locator('[data-testid=update-select-button]:visible').click();
  const option = page.locator('[role=option]:visible', { hasText: 'acknowledge' });
  // The dialog shows the description given to setHandler.
  await expect(option.innerText()).resolves.toMatch(/Acknowledge the incident/);
  await option.click();
  await fillJson(page, { ackBy: 'ui-oncall', notes: 'from the Web UI' }, '#update-id:visible');
  await page.locator('[data-testid=confirm-modal-button]:visible').click();

  const acked = await eventually(
    async () => {
      const s = await handle.query<IncidentAckStatus>('status');
      return s.state === 'acknowledged' ? s : undefined;
    },
    'the ack sent from the UI',
    30000,
  );
  expect(acked.ack).toMatchObject({ ackBy: 'ui-oncall', notes: 'from the Web UI', slaMet: true });
  await handle.terminate('e2e done');
  await page.close();
});
