import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { Browser, Page } from 'puppeteer-core';
import { campaignBody } from '../api/helpers';
import { startApiProcess, type ApiHandle } from '../helpers/processes';
import { deleteByPrefix, REDIS_URL, testPrefix } from '../helpers/redis';
import { launchBrowser, PageLog, screenshot } from './browser';
import { startReverseProxy, type ReverseProxy } from './reverse-proxy';

jest.setTimeout(90_000);

const HOST = 'pca.test';
const KEY = 'browser-write-key-7c1d9e3a5b20';
const CAMPAIGNS = ['Browser Spring Search', 'Browser Summer Social'];

let prefix: string;
let direct: ApiHandle;
let proxied: ApiHandle;
const proxies: ReverseProxy[] = [];
let tlsDir: string;
let browser: Browser;

beforeAll(async () => {
  prefix = testPrefix('browser-swagger');
  const env = { REDIS_URL, REDIS_KEY_PREFIX: prefix, API_KEYS: KEY, RATE_LIMIT_PER_MINUTE: '100000' };
  // One API as reached directly, one behind the proxies below (which it trusts, as behind an Ingress).
  [direct, proxied] = await Promise.all([startApiProcess(env), startApiProcess({ ...env, TRUST_PROXY_HOPS: '1' })]);
  for (const name of CAMPAIGNS) {
    const res = await fetch(`${direct.url}/api/v1/campaigns`, { method: 'POST', headers: { 'x-api-key': KEY, 'content-type': 'application/json' }, body: JSON.stringify(campaignBody({ name })) });
    expect(res.status).toBe(201);
  }
  tlsDir = mkdtempSync(join(tmpdir(), 'pca-tls-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${HOST}`, '-addext', `subjectAltName=DNS:${HOST}`, '-keyout', join(tlsDir, 'key.pem'), '-out', join(tlsDir, 'cert.pem')], { stdio: 'ignore' });
  browser = await launchBrowser([HOST]);
});
afterAll(async () => {
  await browser?.close();
  await Promise.all(proxies.map((p) => p.close()));
  await Promise.all([direct?.proc.stop(), proxied?.proc.stop()]);
  if (tlsDir) rmSync(tlsDir, { recursive: true, force: true });
  const admin = new Redis(REDIS_URL);
  await deleteByPrefix(admin, prefix);
  await admin.quit();
});

const OP = '#operations-campaigns-getApiV1Campaigns';

/** Opens Swagger UI at `docsUrl`, authorizes with the API key and runs "Try it out" on GET /api/v1/campaigns. */
async function tryItOut(page: Page, docsUrl: string): Promise<{ status: string; body: string; requestUrl: string }> {
  await page.goto(docsUrl, { waitUntil: 'networkidle0' });
  await page.waitForSelector(OP);
  await page.click('.btn.authorize');
  await page.waitForSelector('#api_key_value');
  await page.type('#api_key_value', KEY);
  await page.click('.auth-container button.authorize');
  await page.waitForSelector('.auth-container button[aria-label="Remove authorization"]');
  await page.click('button.close-modal');
  await page.click(`${OP} .opblock-summary-control`);
  await page.waitForSelector(`${OP} .try-out__btn`);
  await page.click(`${OP} .try-out__btn`);
  await page.click(`${OP} .execute`);
  const statusCell = `${OP} .live-responses-table .response .response-col_status`;
  await page.waitForSelector(statusCell);
  await page.waitForNetworkIdle({ idleTime: 200 });
  return page.$eval(OP, (op) => ({
    status: op.querySelector('.live-responses-table .response .response-col_status')?.textContent?.trim() ?? '',
    body: op.querySelector('.live-responses-table .response .response-col_description pre')?.textContent ?? '',
    requestUrl: op.querySelector('.request-url pre')?.textContent?.trim() ?? '',
  }));
}

/** The page did what a user needs and nothing failed along the way. */
async function expectClean(log: PageLog, origin: string): Promise<void> {
  expect(log.failed).toEqual([]);
  expect(log.consoleErrors).toEqual([]);
  expect(await log.cspViolations()).toEqual([]);
  expect(log.exchanges.filter((e) => !e.url.startsWith(`${origin}/`) && !e.url.startsWith('data:'))).toEqual([]);
  expect(log.exchanges.filter((e) => e.status >= 400)).toEqual([]);
}

async function check(name: string, origin: string, docsPath: string, apiPath: string): Promise<PageLog> {
  const context = await browser.createBrowserContext();
  try {
    const page = await context.newPage();
    const log = await PageLog.attach(page);
    const result = await tryItOut(page, `${origin}${docsPath}`);
    await screenshot(page, name, OP);
    expect(result.status).toBe('200');
    for (const campaign of CAMPAIGNS) expect(result.body).toContain(campaign);
    // Swagger adds the parameters' defaults as the query
    expect(result.requestUrl.split('?')[0]).toBe(`${origin}${apiPath}`);
    const call = log.find('GET', `${origin}${apiPath}`);
    expect(call).toMatchObject({ status: 200, requestHeaders: expect.objectContaining({ 'x-api-key': KEY }) });
    await expectClean(log, origin);
    return log;
  } finally {
    await context.close();
  }
}

test('Swagger UI over plain HTTP through a host name: loads, authorizes, "Try it out" answers 200 with data', async () => {
  const origin = `http://${HOST}:${direct.port}`;
  const log = await check('swagger-plain-http', origin, '/api/docs', '/api/v1/campaigns');
  const page = log.find('GET', `${origin}/api/docs/`)!;
  expect(page.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
  expect(page.headers['strict-transport-security']).toBeUndefined();
});

test('the same through a sub-path an ingress strips (/pca/api/docs → /api/docs)', async () => {
  const proxy = await startReverseProxy({ target: proxied.port, prefix: '/pca' });
  proxies.push(proxy);
  const origin = `http://${HOST}:${proxy.port}`;
  const log = await check('swagger-sub-path', origin, '/pca/api/docs', '/pca/api/v1/campaigns');
  expect(log.find('GET', `${origin}/pca/api/openapi.json`)?.status).toBe(200);
  expect(proxy.outside).toEqual([]);
});

test('the same over HTTPS (TLS at the proxy): HSTS and upgrade-insecure-requests are sent and break nothing', async () => {
  const proxy = await startReverseProxy({ target: proxied.port, tls: { key: readFileSync(join(tlsDir, 'key.pem'), 'utf8'), cert: readFileSync(join(tlsDir, 'cert.pem'), 'utf8') } });
  proxies.push(proxy);
  const origin = `https://${HOST}:${proxy.port}`;
  const log = await check('swagger-https', origin, '/api/docs', '/api/v1/campaigns');
  const page = log.find('GET', `${origin}/api/docs/`)!;
  expect(page.headers['content-security-policy']).toContain('upgrade-insecure-requests');
  expect(page.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
});
