/**
 * The weekly drill started from the Web UI of the embedded dev server, in a real headless Chromium,
 * as docs/workflows.md tells an operator to: **Start Workflow** with type `weeklyDrillWorkflow`, the
 * documented id convention and the documented example input, against a real sandbox target that the
 * worker's targets map as `paper-sandbox`. The drill must pass, the UI must show it Completed with the
 * drill's current details and search attributes, and the drill's report must say pass.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { createActivities } from '../../src/activities';
import { withTimeout } from '../../src/client/connection';
import type { WeeklyDrillResult } from '../../src/domain/drill';
import { drillReportSchema } from '../../src/domain/drill-report';
import { workflowIds } from '../../src/shared';
import { fillJson, launchChromium, screenshot, startUiStack, type UiStack } from '../helpers/browser';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox';
import { eventually } from '../helpers/webhook-receiver';
import { PAGING_OFF } from '../helpers/product-worker';

const TASK_QUEUE = 'web-ui-drill-e2e';
const DOC = path.resolve(__dirname, '../../docs/workflows.md');

/** The copy-paste example input of `## <type>` in docs/workflows.md: the ```json block after "Example input:". */
function documentedExample(type: string): Record<string, unknown> {
  const section = fs
    .readFileSync(DOC, 'utf8')
    .split(/^## /m)
    .find((s) => s.startsWith(`${type}\n`));
  const json = section?.match(/Example input:\s*```json\n(.*?)\n```/s)?.[1];
  if (!json) throw new Error(`no example input for ${type} in ${DOC}`);
  return JSON.parse(json) as Record<string, unknown>;
}

/**
 * The drill's input is the documented example and nothing else: no shorter bounds are merged. Its
 * default bounds (2-minute detection and recovery, 30-minute restart, 1-hour drill) are only upper
 * limits: every wait is a long poll that returns as soon as the target shows the evidence, and the
 * test sandbox runs fast cycles (FAST_INTERVALS), so the whole drill takes a few seconds. A drill
 * that hangs instead is cut off by DRILL_BOUND_MS below, well inside the test's own timeout.
 */
const DRILL_BOUND_MS = 120000;
/** For the UI to show what the server already has (page loads, the worker answering the metadata query). */
const UI_BOUND_MS = 45000;

let sbx: TestSandbox;
let browser: Browser;
let stack: UiStack;
let client: UiStack['client'];
let ui: string;
let resultsDir: string;

beforeAll(async () => {
  browser = await launchChromium();
  resultsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'drill-ui-'));
  // The real sandbox process, named as the doc's example names its target.
  sbx = await startTestSandbox({ targetName: 'paper-sandbox' });
  stack = await startUiStack({
    taskQueue: TASK_QUEUE,
    activities: createActivities({
      config: {
        paging: PAGING_OFF,
        runsDir: path.join(resultsDir, 'runs'),
        resultsDir,
        stateDir: path.join(resultsDir, 'state'),
      },
      targets: sbx.deps.targets,
    }),
  });
  ({ client, ui } = stack);
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
  await sbx?.cleanup();
  if (resultsDir && !process.env.KEEP_SANDBOX_DIRS) fs.rmSync(resultsDir, { recursive: true, force: true });
});

test('a weekly drill started from Start Workflow with the documented example passes, and the UI shows it', async () => {
  const example = documentedExample('weeklyDrillWorkflow');
  expect(example).toEqual({ target: 'paper-sandbox' });
  // The documented id convention, drill~<target>~<drill id>, with a fresh drill id.
  const workflowId = workflowIds.drill(String(example.target), `ui-${Date.now().toString(36)}`);
  expect(workflowId).toMatch(/^drill~paper-sandbox~ui-/);

  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await page.goto(`${ui}/namespaces/default/workflows/start-workflow`, { waitUntil: 'domcontentloaded' });
  await page.locator('[data-testid=workflowId]:visible').fill(workflowId);
  await page.locator('[data-testid=taskQueue]:visible').fill(TASK_QUEUE);
  await page.locator('[data-testid=workflowType]:visible').fill('weeklyDrillWorkflow');
  await fillJson(page, example, '[data-testid=workflowId]:visible');
  await page.locator('[data-testid=start-workflow-button]:visible').click();

  // The UI started it (this test's client never does): wait for the server to have it.
  const handle = client.workflow.getHandle(workflowId);
  const described = await eventually(() => handle.describe(), `the drill ${workflowId} started from the UI`, UI_BOUND_MS);
  expect(described).toMatchObject({ type: 'weeklyDrillWorkflow', taskQueue: TASK_QUEUE });
  const result = await withTimeout(stack.connection, DRILL_BOUND_MS, `the drill ${workflowId} to finish`, () => handle.result() as Promise<WeeklyDrillResult>);
  expect(result.failures).toEqual([]);
  expect(result.result).toBe('pass');
  expect(result.target).toBe('paper-sandbox');

  // The drill's page: Completed, and the input the form sent.
  await page.goto(`${ui}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`, { waitUntil: 'domcontentloaded' });
  await page.locator('[data-testid=execution-status]', { hasText: /^\s*Completed\s*$/ }).waitFor({ timeout: UI_BOUND_MS });
  await page.locator('.cm-line', { hasText: '"target": "paper-sandbox"' }).first().waitFor({ timeout: UI_BOUND_MS });
  await screenshot(page, 'web-ui-drill');

  // User Metadata → Current Details: the drill's Markdown (setCurrentDetails), rendered by the UI in an iframe.
  await page.locator('[data-testid=user-metadata-tab]').click();
  const details = page.frameLocator('iframe[title=output]').locator('body');
  await details.getByText('Done: PASS').waitFor({ timeout: UI_BOUND_MS });
  const detailsText = await details.innerText();
  expect(detailsText).toContain('paper-sandbox');
  for (const step of ['preflight', 'chaos', 'stop', 'restart', 'record', 'rollback', 'evidence']) expect(detailsText).toContain(step);
  expect(detailsText).toMatch(/RTO [\d.]+ s \(target 900 s, ok\) · RPO [\d.]+ s \(target 60 s, ok\)/);
  expect(detailsText).toContain(result.reportPath!);
  await screenshot(page, 'web-ui-drill-details');

  // Search Attributes: the drill's own, as upserted (DrillState ends at done).
  await page.locator('[data-testid=search-attributes-tab]').click();
  for (const line of ['"DrillState": "done"', '"DrillResult": "pass"', '"DrillTarget": "paper-sandbox"']) {
    await page.locator('.cm-line', { hasText: line }).first().waitFor({ timeout: UI_BOUND_MS });
  }
  await screenshot(page, 'web-ui-drill-search-attributes');
  await page.close();

  // The report the drill wrote says pass.
  expect(result.reportPath).toBeDefined();
  expect(result.reportPath!.startsWith(resultsDir)).toBe(true);
  const report = drillReportSchema.parse(JSON.parse(fs.readFileSync(result.reportPath!, 'utf8')));
  expect(report).toMatchObject({ target: 'paper-sandbox', mode: 'paper', result: 'pass', failures: [], rto: { ok: true }, rpo: { ok: true } });
  expect(fs.readFileSync(path.join(path.dirname(result.reportPath!), 'report.md'), 'utf8')).toContain(`# DR drill ${report.drillId}: PASS`);
}, 240000);
