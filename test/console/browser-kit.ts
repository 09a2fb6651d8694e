import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Express } from 'express';
import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * What a console browser test needs: Debian's chromium (installed on a fresh machine), the
 * console's scripts compiled from this tree, the app on a free loopback port, and a step() that
 * keeps the page (screenshot, address, text) when a step fails.
 */
export const ROOT = join(__dirname, '..', '..');
export const SCREENSHOTS = join(ROOT, '.data', 'screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface BrowserKit {
  base: string;
  browser: Browser;
  page: Page;
  /** A screenshot of the viewport (small enough for docs/console/) under .data/screenshots: from the page's top, or where the page is scrolled with `keepScroll`. */
  shot(name: string, opts?: { keepScroll?: boolean }): Promise<unknown>;
  close(): Promise<void>;
}

export function prepareChromium(): void {
  if (!existsSync(CHROMIUM) && !process.env.CHROMIUM_PATH) execFileSync('bash', [join(ROOT, 'scripts', 'services.sh'), 'chromium'], { stdio: 'inherit' });
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'console', 'tsconfig.json')], { stdio: 'inherit' });
  mkdirSync(SCREENSHOTS, { recursive: true });
}

export async function openBrowser(app: Express): Promise<BrowserKit> {
  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    // Below jest's per-test timeout, so a wait that never ends fails with Playwright's message.
    page.setDefaultTimeout(20_000);
    page.on('dialog', (dialog) => void dialog.accept());
    const opened = browser;
    return {
      base,
      browser: opened,
      page,
      shot: async (name, opts) => {
        if (!opts?.keepScroll) await page.evaluate('window.scrollTo(0, 0)');
        return page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: false });
      },
      async close() {
        await opened.close();
        await new Promise((resolve) => server.close(resolve));
      },
    };
  } catch (err) {
    await browser?.close();
    await new Promise((resolve) => server.close(resolve));
    throw err;
  }
}

/** A browser step: when it fails, the page as it was is kept under .data/screenshots and printed. */
export function stepOf(kit: () => BrowserKit | undefined) {
  return (name: string, body: () => Promise<void>, timeout?: number) =>
    it(
      name,
      async () => {
        try {
          await body();
        } catch (err) {
          const k = kit();
          if (k) {
            const file = `failed-${name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)}`;
            await k.shot(file).catch(() => undefined);
            const text = await k.page
              .locator('body')
              .innerText()
              .catch(() => '(no page text)');
            writeFileSync(join(SCREENSHOTS, `${file}.txt`), `${k.page.url()}\n\n${text}`);
            process.stderr.write(`console e2e: "${name}" failed at ${k.page.url()}; page kept in .data/screenshots/${file}.{png,txt}\n${text.slice(0, 2000)}\n`);
          }
          throw err;
        }
      },
      timeout,
    );
}
