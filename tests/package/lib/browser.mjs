// Headless Chromium via playwright-core, using the system Chromium (no browser download).

import { chromium } from "playwright-core";
import fs from "node:fs";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export const CHROMIUM_ARGS = [
  "--headless=new",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export function chromiumAvailable() {
  return fs.existsSync(CHROMIUM);
}

export async function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/**
 * Opens `url`, waits for window.__result (set by the page's scenario), and returns
 * { result, logs, page }. Console messages and page errors are collected in `logs`.
 */
export async function runPage(browser, url, { timeout = 30000 } = {}) {
  const context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
  const page = await context.newPage();
  const logs = [];
  page.on("console", (m) => logs.push(`console.${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => logs.push(`pageerror: ${e.message}`));
  page.on("requestfailed", (r) => logs.push(`requestfailed: ${r.url()} ${r.failure()?.errorText}`));
  // An uncaught page error (e.g. the module failed to load) ends the wait at once.
  let onError;
  const failed = new Promise((_, reject) => {
    onError = (e) => reject(new Error(`uncaught error in the page: ${e.message}`));
    page.on("pageerror", onError);
  });
  failed.catch(() => {});
  await page.goto(url);
  let result;
  try {
    await Promise.race([page.waitForFunction(() => window.__result !== undefined, null, { timeout }), failed]);
    result = await page.evaluate(() => window.__result);
  } catch (err) {
    throw new Error(`the page did not report a result: ${err.message}\n${logs.join("\n")}`);
  } finally {
    page.off("pageerror", onError);
  }
  return { result, logs, page, context };
}
