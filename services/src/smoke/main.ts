import { randomBytes } from 'node:crypto';
import { parseCommandLine } from '../lib/command-line';
import { loadConfig } from '../config/env';

const USAGE = 'usage: smoke [--api-url <url>] [--timeout <seconds>]  (PCA_API_URL, API_KEYS from the environment)';

interface SmokeArgs {
  readonly apiUrl: string;
  readonly timeoutSeconds: number;
}

function parseSmokeArgs(argv: readonly string[], env: NodeJS.ProcessEnv): SmokeArgs | string {
  let values: { 'api-url'?: string; timeout?: string };
  try {
    ({ values } = parseCommandLine({ args: [...argv], options: { 'api-url': { type: 'string' }, timeout: { type: 'string' } } }));
  } catch (err) {
    return (err as Error).message;
  }
  const apiUrl = values['api-url'] ?? env.PCA_API_URL ?? 'http://127.0.0.1:8000';
  const timeoutSeconds = Number(values.timeout ?? 120);
  if (!/^\d+$/.test(values.timeout ?? '120') || timeoutSeconds <= 0) return `--timeout needs whole seconds above 0, got ${JSON.stringify(values.timeout)}`;
  try {
    new URL(apiUrl);
  } catch {
    return `--api-url (or PCA_API_URL) is not a URL: ${JSON.stringify(apiUrl)}`;
  }
  return { apiUrl: apiUrl.replace(/\/$/, ''), timeoutSeconds };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The worker wrote the report to the blob store; the API must serve it back (a shared volume or the
 * bucket both reach). A redirect (REPORT_DOWNLOAD_MODE=redirect) is followed to the presigned URL.
 */
async function downloadReport(apiUrl: string, key: string, url: unknown): Promise<string> {
  if (typeof url !== 'string' || !url.startsWith('/')) throw new Error(`the result has no download_url (${JSON.stringify(url)})`);
  const res = await fetch(`${apiUrl}${url}`, { headers: { 'x-api-key': key }, redirect: 'manual', signal: AbortSignal.timeout(10_000) });
  let body = res;
  if (res.status === 302) {
    const location = res.headers.get('location');
    if (!location) throw new Error(`GET ${url} answered 302 without a Location`);
    body = await fetch(location, { signal: AbortSignal.timeout(10_000) });
  }
  if (body.status !== 200) throw new Error(`GET ${url} answered ${body.status}${res.status === 302 ? ' (from the presigned URL)' : ''}`);
  const bytes = (await body.arrayBuffer()).byteLength;
  if (bytes === 0) throw new Error(`GET ${url} returned an empty report`);
  return `its report (${bytes} bytes) downloaded${res.status === 302 ? ' through a presigned URL' : ''}`;
}

/**
 * `main.js smoke`: what `helm test` runs against an installed release. The API must be ready, accept a
 * report request, a worker must complete it and the API must serve the report file it stored. Exit 0 when all of that happened, 1 otherwise, 2 on usage.
 */
export async function runSmoke(argv: readonly string[]): Promise<number> {
  const args = parseSmokeArgs(argv, process.env);
  if (typeof args === 'string') {
    process.stderr.write(`smoke: ${args}; ${USAGE}\n`);
    return 2;
  }
  const cfg = loadConfig();
  const key = cfg.API_KEYS[0];
  if (!key) {
    process.stderr.write('smoke: API_KEYS is empty: the smoke test needs a key with write scope\n');
    return 2;
  }
  const deadline = Date.now() + args.timeoutSeconds * 1000;
  const headers = { 'x-api-key': key, 'content-type': 'application/json' };
  const call = async (path: string, init: RequestInit = {}, extra: Record<string, string> = {}) => {
    const res = await fetch(`${args.apiUrl}${path}`, { ...init, headers: { ...headers, ...extra }, signal: AbortSignal.timeout(10_000) });
    return { status: res.status, body: (await res.json().catch(() => null)) as Record<string, unknown> | null };
  };

  let step = 'waiting for /ready';
  try {
    for (;;) {
      const ready = await call('/ready').catch(() => ({ status: 0, body: null }));
      if (ready.status === 200) break;
      if (Date.now() > deadline) throw new Error(`API at ${args.apiUrl} not ready (last status ${ready.status})`);
      await sleep(1000);
    }
    step = 'submitting a report';
    const campaigns = [
      { name: 'smoke search', channel: 'search', start_date: '2026-01-01', end_date: '2026-01-31', budget: 1000, spend: 500, impressions: 10000, clicks: 200, conversions: 10, revenue: 1500 },
      { name: 'smoke social', channel: 'social', start_date: '2026-01-01', end_date: '2026-01-31', budget: 800, spend: 400, impressions: 20000, clicks: 100, conversions: 4, revenue: 600 },
    ];
    // A sampled traceparent: at any sampling ratio this request is traced API → queue → worker.
    const traceparent = `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
    const submitted = await call('/api/v1/analyze-async', { method: 'POST', body: JSON.stringify({ campaigns }) }, { traceparent });
    const taskId = submitted.body?.task_id;
    if (submitted.status !== 202 || typeof taskId !== 'string') {
      throw new Error(`POST /api/v1/analyze-async answered ${submitted.status}: ${JSON.stringify(submitted.body)}`);
    }
    step = `waiting for task ${taskId}`;
    for (;;) {
      const task = await call(`/api/v1/tasks/${encodeURIComponent(taskId)}`);
      const status = task.body?.status;
      if (status === 'completed') {
        step = `downloading the report of task ${taskId}`;
        const downloaded = await downloadReport(args.apiUrl, key, (task.body?.result as { download_url?: unknown } | undefined)?.download_url);
        process.stdout.write(`smoke: API ready, task ${taskId} completed by a worker, ${downloaded}\n`);
        return 0;
      }
      if (status === 'failed') throw new Error(`task ${taskId} failed: ${JSON.stringify(task.body?.error)}`);
      if (Date.now() > deadline) throw new Error(`task ${taskId} still ${String(status)} after ${args.timeoutSeconds}s`);
      await sleep(1000);
    }
  } catch (err) {
    process.stderr.write(`smoke failed while ${step}: ${(err as Error).message}\n`);
    return 1;
  }
}
