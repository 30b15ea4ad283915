/**
 * Headless Chromium (playwright-core) for the UI tests: one persistent context on a throwaway
 * profile, page errors collected, dialogs accepted. Screenshots go to test/output/.
 */

import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { repoRoot } from "./server.ts";

export const chromiumPath = "/usr/bin/chromium";
export const hasChromium = existsSync(chromiumPath);
export const outputDir = join(repoRoot, "test/output");
/** Browser steps on a busy 2-core machine can be slow; a timed-out test would kill the shared server. */
export const browserTimeout = 30000;

export interface TestBrowser {
  page: Page;
  pageErrors: string[];
  close(): Promise<void>;
}

export async function openBrowser(): Promise<TestBrowser> {
  mkdirSync(outputDir, { recursive: true });
  const { chromium } = await import("playwright-core");
  const profile = mkdtempSync(join(tmpdir(), "fml-chromium-"));
  const context: BrowserContext = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    viewport: { width: 1440, height: 900 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  // Fail a step well before the test's own timeout, which would also end the shared server.
  page.setDefaultTimeout(10000);
  const pageErrors: string[] = [];
  page.on("pageerror", (error) => pageErrors.push(String(error)));
  page.on("dialog", (dialog) => void dialog.accept());
  return {
    page,
    pageErrors,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
