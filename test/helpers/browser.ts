/**
 * Headless Chromium for the Web UI tests (Debian's chromium; `.ci/run` installs it, CHROMIUM_PATH
 * overrides the path), and the one form control of the Temporal Web UI that `fill` cannot drive.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startDevServer } from '../../src/client/dev-server';
import { requireTool } from '../../src/tools/provision';
import { freePort } from './process';
import { installTestRuntime, workflowBundle } from './temporal';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Where browser tests keep their screenshots (`test-output/` is not committed). */
export const SHOTS = path.resolve(__dirname, '../../test-output/screenshots');

export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A CodeMirror JSON editor (the UI's input / update payload): type, then leave it so the form takes the value. */
export async function fillJson(page: Page, json: object, thenClick: string): Promise<void> {
  await page.locator('[contenteditable=true][aria-label=Data]:visible').click();
  await page.keyboard.type(JSON.stringify(json));
  await page.locator(thenClick).click();
}

/** A full-page screenshot under test-output/screenshots. */
export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

/** The embedded dev server with its Web UI, one worker on `taskQueue`, and a client: what a Web UI test drives. */
export interface UiStack {
  /** The Web UI's base URL. */
  ui: string;
  client: Client;
  connection: Connection;
  close(): Promise<void>;
}

export async function startUiStack(o: { taskQueue: string; activities: object }): Promise<UiStack> {
  installTestRuntime();
  const [port, uiPort] = [await freePort(), await freePort()];
  const server = await startDevServer({ cliPath: requireTool('temporal').path, host: '127.0.0.1', port, uiPort, namespace: 'default' });
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const worker = await Worker.create({
    connection: nativeConnection,
    taskQueue: o.taskQueue,
    workflowBundle: await workflowBundle(),
    activities: o.activities,
  });
  const workerDone = worker.run();
  const connection = await Connection.connect({ address: server.address });
  return {
    ui: server.uiUrl!,
    client: new Client({ connection }),
    connection,
    async close() {
      worker.shutdown();
      await workerDone;
      await connection.close();
      await nativeConnection.close();
      await server.stop();
    },
  };
}
