import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import puppeteer, { type Browser, type CDPSession, type Page } from 'puppeteer-core';
import { ROOT } from '../helpers/processes';

/** Debian's chromium (installed by .ci/run when missing); nothing is downloaded at run time. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Git-ignored: screenshots of every flow, for people to look at. */
export const SCREENSHOTS = join(ROOT, 'test', 'browser', 'screenshots');

/** Headless Chromium resolving each host name to 127.0.0.1, as a /etc/hosts entry or DNS for an Ingress would. */
export function launchBrowser(hosts: readonly string[]): Promise<Browser> {
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    // The HTTPS test's proxy has a self-signed certificate.
    acceptInsecureCerts: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', `--host-resolver-rules=${hosts.map((h) => `MAP ${h} 127.0.0.1`).join(', ')}`],
    defaultViewport: { width: 1280, height: 900 },
  });
}

/** `SCREENSHOTS/<name>.png` of the viewport, or of the element `selector` when given. */
export async function screenshot(page: Page, name: string, selector?: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`) as `${string}.png`;
  const element = selector ? await page.$(selector) : null;
  if (element) await element.screenshot({ path });
  else await page.screenshot({ path });
}

/** The little of the page's globals the tests touch. */
interface BrowserGlobals {
  __cspViolations?: string[];
  document: { addEventListener(type: 'securitypolicyviolation', listener: (e: { violatedDirective: string; blockedURI: string }) => void): void };
}

export interface Exchange {
  readonly method: string;
  readonly url: string;
  readonly status: number;
  readonly requestHeaders: Record<string, string>;
  readonly headers: Record<string, string>;
}

/** Everything a page did on the network and in its console, for assertions. */
export class PageLog {
  readonly exchanges: Exchange[] = [];
  readonly failed: { url: string; error: string }[] = [];
  /** Console errors with the URL they are about (a failed resource names it there, not in the text). */
  readonly consoleErrors: { text: string; url: string }[] = [];

  constructor(private readonly page: Page) {
    page.on('response', (res) =>
      this.exchanges.push({ method: res.request().method(), url: res.url(), status: res.status(), requestHeaders: res.request().headers(), headers: res.headers() }),
    );
    page.on('requestfailed', (req) => this.failed.push({ url: req.url(), error: req.failure()?.errorText ?? 'unknown' }));
    page.on('console', (msg) => {
      if (msg.type() === 'error') this.consoleErrors.push({ text: msg.text(), url: msg.location().url ?? '' });
    });
    page.on('pageerror', (err) => this.consoleErrors.push({ text: `uncaught: ${String(err)}`, url: page.url() }));
  }

  /** Installs a listener for Content-Security-Policy violations in every document the page loads. */
  static async attach(page: Page): Promise<PageLog> {
    await page.evaluateOnNewDocument(() => {
      // runs in the page (no DOM types in this project's TypeScript setup)
      const w = globalThis as unknown as BrowserGlobals;
      w.__cspViolations = [];
      w.document.addEventListener('securitypolicyviolation', (e) => w.__cspViolations!.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    return new PageLog(page);
  }

  cspViolations(): Promise<string[]> {
    return this.page.evaluate(() => (globalThis as unknown as BrowserGlobals).__cspViolations ?? []);
  }

  /** The first exchange with this method and URL (the query is ignored). */
  find(method: string, url: string): Exchange | undefined {
    return this.exchanges.find((e) => e.method === method && e.url.split('?')[0] === url);
  }
}

/** How a test answers the browser's HTTP auth prompt: credentials, or Cancel (the page then shows the 401 body). */
export type AuthAnswer = { readonly username: string; readonly password: string } | 'cancel';

/**
 * The browser's basic-auth prompt, driven through the DevTools protocol: every prompt Chromium would
 * show is recorded and answered with the next answer (Cancel when none is left). Requests to hosts
 * outside `ownHosts` (bull-board's Google Fonts) are refused as the offline network would, and recorded.
 */
export class AuthPrompts {
  readonly prompts: string[] = [];
  readonly external: string[] = [];
  private answers: AuthAnswer[] = [];

  private constructor(private readonly cdp: CDPSession) {}

  static async attach(page: Page, ownHosts: readonly string[]): Promise<AuthPrompts> {
    const cdp = await page.createCDPSession();
    const prompts = new AuthPrompts(cdp);
    cdp.on('Fetch.requestPaused', (e) => {
      const host = new URL(e.request.url).hostname;
      if (ownHosts.includes(host)) return void cdp.send('Fetch.continueRequest', { requestId: e.requestId }).catch(() => undefined);
      prompts.external.push(host);
      void cdp.send('Fetch.failRequest', { requestId: e.requestId, errorReason: 'InternetDisconnected' }).catch(() => undefined);
    });
    cdp.on('Fetch.authRequired', (e) => {
      prompts.prompts.push(e.request.url);
      const answer = prompts.answers.shift() ?? 'cancel';
      void cdp
        .send('Fetch.continueWithAuth', {
          requestId: e.requestId,
          authChallengeResponse: answer === 'cancel' ? { response: 'CancelAuth' } : { response: 'ProvideCredentials', ...answer },
        })
        .catch(() => undefined);
    });
    await cdp.send('Fetch.enable', { handleAuthRequests: true, patterns: [{ urlPattern: '*' }] });
    return prompts;
  }

  /** The answers to the next prompts, in order. */
  answerWith(...answers: AuthAnswer[]): void {
    this.answers = [...answers];
    this.prompts.length = 0;
  }
}
