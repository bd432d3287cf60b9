import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../src/index.ts';

/**
 * The browser example, bundled by esbuild and driven in headless Chromium (Debian's `chromium`):
 * the page loads, a CSV goes in through the file input, the fit runs on the WebAssembly kernels, both
 * charts render, and the console stays free of errors. Without a Chromium the suite is skipped,
 * unless GROUPSPARSE_REQUIRE_BROWSER=1 (CI sets it), where a missing browser fails.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.GROUPSPARSE_REQUIRE_BROWSER === '1') {
  throw new Error(`test/browser.test.ts: no Chromium at ${CHROMIUM} (apt-get install chromium)`);
}
const root = fileURLToPath(new URL('..', import.meta.url));
const pageDir = join(root, 'examples', 'browser');
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.map': 'application/json', '.csv': 'text/csv' };

/** A table the page has never seen: semicolons, a 4-level category that matters, two noise columns. */
function unseenCsv(): string {
  const r = new Random(11);
  const lines = ['noise1;dose;site;noise2;response'];
  for (let i = 0; i < 200; i++) {
    const dose = r.normal();
    const site = ['north', 'south', 'east', 'west'][i % 4];
    const y = 3 * dose + (site === 'east' ? 2 : site === 'west' ? -2 : 0) + 0.5 * r.normal();
    lines.push(`${r.normal().toFixed(3)};${dose.toFixed(3)};${site};${r.normal().toFixed(3)};${y.toFixed(3)}`);
  }
  return lines.join('\n') + '\n';
}

// Skipped only where no Chromium is installed; .ci/run installs it and sets
// GROUPSPARSE_REQUIRE_BROWSER=1, which makes a missing browser a failure instead.
describe.skipIf(!haveChromium)('browser example in headless Chromium', () => {
  let server: Server;
  let base = '';
  let browser: import('playwright-core').Browser;

  beforeAll(async () => {
    execFileSync(process.execPath, [join(root, 'scripts', 'build-browser.mjs')], { stdio: 'pipe' });
    server = createServer((req, res) => {
      const rel = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
      const file = join(pageDir, rel === '/' ? 'index.html' : rel);
      if (!file.startsWith(pageDir) || !existsSync(file)) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const addr = server.address();
    base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  async function openPage() {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${base}/index.html`);
    return { page, errors };
  }

  it('fits a dropped-in CSV on the WebAssembly kernels and draws both charts, with no console error', async () => {
    const { page, errors } = await openPage();
    await page.setInputFiles('#file', { name: 'unseen.csv', mimeType: 'text/csv', buffer: Buffer.from(unseenCsv()) });
    await page.waitForSelector('body[data-state="loaded"]', { timeout: 30_000 });
    expect(await page.$$eval('#target option', (o) => o.map((x) => (x as HTMLOptionElement).value))).toEqual(['noise1', 'dose', 'noise2', 'response']);
    await page.click('#fit');
    await page.waitForSelector('body[data-state="done"], body[data-state="error"]', { timeout: 90_000 });
    expect(await page.textContent('#error')).toBe('');
    expect(await page.getAttribute('body', 'data-backend')).toBe('wasm');
    const groups = await page.$$eval('#summary tbody td:first-child', (td) => td.map((x) => x.textContent));
    expect(groups).toEqual(expect.arrayContaining(['dose', 'site']));
    // vega draws one line mark per group on the path chart and error bars on the CV chart.
    const lines = await page.$$eval('#path-chart svg .mark-line path', (p) => p.length);
    expect(lines).toBeGreaterThanOrEqual(4);
    expect(await page.$$eval('#cv-chart svg .mark-rule line, #cv-chart svg .mark-rule path', (p) => p.length)).toBeGreaterThan(10);
    expect(await page.textContent('#status')).toMatch(/fitted in \d+ ms on the WebAssembly SIMD kernels/);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it('runs the shipped table and shows a refusal as a message, not a crash', async () => {
    const { page, errors } = await openPage();
    await page.click('#example');
    await page.waitForSelector('body[data-state="loaded"]');
    expect(await page.inputValue('#target')).toBe('bwt');
    await page.selectOption('#loss', 'logistic'); // birth weight in grams is not a 0/1 label
    await page.click('#fit');
    await page.waitForSelector('body[data-state="error"]', { timeout: 60_000 });
    expect(await page.textContent('#error')).toMatch(/0\/1|labels|logistic/);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);
});
