import { Redis } from 'ioredis';
import type { Browser, Page } from 'puppeteer-core';
import { loadConfig } from '../../services/src/config/env';
import { closeQueues, createQueues, type Queues } from '../../services/src/queues/queues';
import { freePort, RoleProcess } from '../helpers/processes';
import { deleteByPrefix, REDIS_URL, testPrefix } from '../helpers/redis';
import { AuthPrompts, launchBrowser, PageLog, screenshot } from './browser';

jest.setTimeout(90_000);

const HOST = 'dash.test';
const USER = 'ops';
const PASSWORD = 'browser-dash-pass-41c7e2';
const JOB = 'browser-job-1';
const MARKER = 'browser-detail-marker';

const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
let prefix: string;
let queues: Queues;
let dashboard: RoleProcess;
let origin: string;
let browser: Browser;

beforeAll(async () => {
  prefix = testPrefix('browser-dash');
  queues = createQueues(loadConfig({ REDIS_KEY_PREFIX: prefix }), redis);
  await queues.reports.add('generate_pdf_report', { format: 'pdf', note: MARKER }, { jobId: JOB });
  const port = await freePort();
  dashboard = new RoleProcess('dashboard', {
    REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    DASHBOARD_PORT: String(port),
    DASHBOARD_USERNAME: USER,
    DASHBOARD_PASSWORD: PASSWORD,
    DASHBOARD_LOGIN_MAX_FAILURES: '3',
  });
  await dashboard.waitReady(`http://127.0.0.1:${port}/ready`);
  origin = `http://${HOST}:${port}`;
  browser = await launchBrowser([HOST]);
});
// each test starts with no failed logins counted for 127.0.0.1
beforeEach(() => deleteByPrefix(redis, `${prefix}:dashboard-login`));
afterAll(async () => {
  await browser?.close();
  await dashboard?.stop();
  await closeQueues(queues);
  await deleteByPrefix(redis, prefix);
  await redis.quit();
});

/** A fresh browser profile (no cached credentials) with its network log and auth prompts. */
async function visit<T>(fn: (page: Page, log: PageLog, prompts: AuthPrompts) => Promise<T>): Promise<T> {
  const context = await browser.createBrowserContext();
  try {
    const page = await context.newPage();
    const log = await PageLog.attach(page);
    const prompts = await AuthPrompts.attach(page, [HOST]);
    return await fn(page, log, prompts);
  } finally {
    await context.close();
  }
}

const bodyText = (page: Page) => page.$eval('body', (b) => b.textContent ?? '');
const STACK = /\n\s+at |node_modules|\bError:|\.js:\d+/;

test('after logging in, the dashboard shows the three queues and a job\'s detail', async () => {
  await visit(async (page, log, prompts) => {
    prompts.answerWith({ username: USER, password: PASSWORD });
    const res = await page.goto(`${origin}/`, { waitUntil: 'networkidle0' });
    expect(res?.status()).toBe(200);
    expect(prompts.prompts).toEqual([`${origin}/`]);

    await page.waitForSelector('a[href="/queue/maintenance"]');
    const queueLinks = await page.$$eval('a[href^="/queue/"]', (as) => [...new Set(as.map((a) => a.getAttribute('href')))].sort());
    expect(queueLinks).toEqual(['/queue/maintenance', '/queue/reports', '/queue/uploads']);
    await screenshot(page, 'dashboard-queues');

    await page.click('a[href="/queue/reports"]');
    await page.waitForSelector(`a[href="/queue/reports/${JOB}"]`);
    await page.click(`a[href="/queue/reports/${JOB}"]`);
    await page.waitForFunction(`location.pathname === '/queue/reports/${JOB}'`);
    // the detail view has rendered (the list it replaces showed the data too)
    await page.waitForFunction(`document.body.innerText.includes(${JSON.stringify(MARKER)}) && !document.body.innerText.includes('Loading')`);
    expect(page.url()).toBe(`${origin}/queue/reports/${JOB}`);
    const detail = await bodyText(page);
    expect(detail).toContain(JOB);
    expect(detail).toContain('generate_pdf_report');
    await screenshot(page, 'dashboard-job-detail');

    // Nothing of the dashboard's own failed; the only other host is bull-board's Google Fonts (offline here).
    expect(log.failed.filter((f) => new URL(f.url).hostname === HOST)).toEqual([]);
    expect([...new Set(prompts.external)]).toEqual(prompts.external.length ? ['fonts.googleapis.com'] : []);
    expect(log.exchanges.filter((e) => new URL(e.url).hostname === HOST && e.status >= 400)).toEqual([]);
    expect(log.consoleErrors.filter((c) => !c.url.startsWith('https://fonts.googleapis.com/'))).toEqual([]);
  });
});

test('a failed login shows the browser\'s auth prompt again, and Cancel shows a plain 401, not a stack trace', async () => {
  await visit(async (page, log, prompts) => {
    prompts.answerWith({ username: USER, password: 'wrong-password' }, 'cancel');
    const res = await page.goto(`${origin}/`, { waitUntil: 'networkidle0' });
    expect(prompts.prompts).toEqual([`${origin}/`, `${origin}/`]);
    expect(res?.status()).toBe(401);
    const text = await bodyText(page);
    expect(JSON.parse(text)).toMatchObject({ status: 401, title: 'Unauthorized', detail: 'the dashboard needs its user name and password' });
    expect(text).not.toMatch(STACK);
    expect(log.failed).toEqual([]);
    await screenshot(page, 'dashboard-login-failed');
  });
});

test('past DASHBOARD_LOGIN_MAX_FAILURES the browser stops prompting and shows 429 with Retry-After', async () => {
  await visit(async (page, _log, prompts) => {
    const wrong = (n: number) => ({ username: USER, password: `wrong-${n}` });
    prompts.answerWith(wrong(1), wrong(2), wrong(3), wrong(4));
    const res = await page.goto(`${origin}/`, { waitUntil: 'networkidle0' });
    // the first prompt follows the credential-less request; three refusals are allowed, the fourth attempt is refused unchecked
    expect(prompts.prompts).toHaveLength(4);
    expect(res?.status()).toBe(429);
    expect(Number(res?.headers()['retry-after'])).toBeGreaterThan(0);
    const text = await bodyText(page);
    expect(JSON.parse(text)).toMatchObject({ status: 429, type: 'urn:pca-agent:problem:too_many_failed_logins' });
    expect(text).not.toMatch(STACK);
    await screenshot(page, 'dashboard-login-blocked');
  });
  for (const n of [1, 2, 3, 4]) expect(dashboard.stdout).not.toContain(`wrong-${n}`);
  expect(dashboard.stdout).not.toContain(PASSWORD);
});
