/**
 * Headless Chromium for the Web UI tests (Debian's chromium; `.ci/run` installs it, CHROMIUM_PATH
 * overrides the path), and the one form control of the Temporal Web UI that `fill` cannot drive.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

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
