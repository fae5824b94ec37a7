import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { CampaignStore } from '../../services/src/domain/campaign-store';
import { rssOf, startApiProcess, type ApiHandle } from '../helpers/processes';
import { inlineRow, leaked, queueFixture, READ_KEY, roleEnv, WRITE_KEY, type QueueFixture } from './support';

jest.setTimeout(180_000);

const RUNS = 1200;
const SEEDED = ['c-0', 'c-1', 'c-2'];
let fx: QueueFixture;
let api: ApiHandle;

beforeAll(async () => {
  fx = queueFixture('f-fuzz');
  await new CampaignStore(fx.redis, fx.prefix).upsertMany(SEEDED.map((_, n) => inlineRow(n)));
  api = await startApiProcess({ ...roleEnv(fx.prefix), NODE_OPTIONS: '--max-old-space-size=160' });
});
afterAll(async () => {
  await api?.proc.stop();
  await fx.close();
});

/**
 * Every key the application owns under the prefix with its DUMP, except the two that change by design on
 * any request: the gateway's request statistics and the rate-limit counters.
 */
async function snapshot(redis: Redis, prefix: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      if (key.startsWith(`${prefix}:stats:`) || key.startsWith(`${prefix}:rl:`)) continue;
      out.set(key, ((await redis.dumpBuffer(key)) ?? Buffer.alloc(0)).toString('base64'));
    }
  } while (cursor !== '0');
  return out;
}

interface FuzzRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string | Uint8Array;
  readonly note: string;
}

const ID_RE = /^[A-Za-z0-9_-]{1,64}$/;
const POISON_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '__defineGetter__', 'valueOf'];
// Percent-encodes the UTF-8 bytes (a lone surrogate becomes U+FFFD, as a browser would send it).
const seg = (s: string) => [...Buffer.from(s, 'utf8')].map((b) => (/[A-Za-z0-9_.~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, '0').toUpperCase()}`)).join('');

// Ids: malformed ones (400) or well-formed ones that do not exist (404); never a seeded id.
const badId = fc.oneof(
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 80 }).filter((s) => !ID_RE.test(s)),
  fc.constantFrom('..', '../..', '../../etc/passwd', '..%2f..%2fx', '*', '?', 'a:b', 't-other:campaign:c-1', '{x}', ' ', '\u0000', 'c-1\n', '%00', '\uD800'),
  fc.integer({ min: 65, max: 4000 }).map((n) => 'a'.repeat(n)),
  fc.stringMatching(ID_RE).filter((s) => !SEEDED.includes(s)),
  fc.constantFrom('__proto__', 'constructor', 'prototype'),
);

const unicode = fc.string({ unit: 'grapheme', maxLength: 40 });
const junkValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, -0, 1.5, -1, 0, '', 'NaN', 'Infinity', '1e999', true, null),
  unicode,
);
const knownFields = ['id', 'name', 'channel', 'status', 'start_date', 'end_date', 'budget', 'spend', 'impressions', 'clicks', 'conversions', 'revenue', 'currency', 'campaign_ids', 'campaigns', 'format'];

// A value that no field's schema accepts, per field.
const wrongFor: Record<string, fc.Arbitrary<unknown>> = {
  id: fc.oneof(fc.integer(), badId.filter((s) => !ID_RE.test(s)), fc.constant(null)),
  name: fc.oneof(fc.integer(), fc.constant(''), fc.constant('   '), fc.string({ minLength: 201, maxLength: 300 }).filter((s) => s.trim().length > 200), fc.array(unicode)),
  channel: fc.oneof(unicode.filter((s) => !['search', 'social', 'display', 'video', 'email', 'affiliate'].includes(s)), fc.integer()),
  status: fc.oneof(fc.constantFrom('archived', 'ACTIVE', ''), fc.integer(), fc.constant(null)),
  start_date: fc.oneof(fc.constantFrom('2026-13-01', '2026-02-30', '26-01-01', '', 'yesterday', '2026-01-01T00:00:00Z'), fc.integer()),
  end_date: fc.oneof(fc.constantFrom('2026-00-10', '9999999-01-01', '\u0662\u0660\u0662\u0666-01-01'), fc.boolean()),
  budget: fc.oneof(fc.constantFrom(-1, 1e13, 1e308, '100', null), fc.object()),
  spend: fc.oneof(fc.constantFrom(-0.01, 2e12, '1', true), fc.array(fc.integer())),
  impressions: fc.oneof(fc.constantFrom(1.5, -1, 1e16, '10'), fc.double({ noInteger: true, noDefaultInfinity: true, noNaN: true })),
  clicks: fc.constantFrom(-5, 0.1, 'many', 2e15),
  conversions: fc.constantFrom(-1, 1.01, [], {}),
  revenue: fc.constantFrom(-100, 1e15, 'free'),
  currency: fc.oneof(fc.constantFrom('usd', 'US', 'EURO', '€€€', ''), fc.integer()),
  campaign_ids: fc.oneof(fc.constant([]), fc.array(badId.filter((s) => !ID_RE.test(s)), { minLength: 1, maxLength: 3 }), unicode, fc.integer()),
  campaigns: fc.oneof(fc.constant([]), fc.array(fc.jsonValue({ maxDepth: 2 }).filter((v) => typeof v !== 'object' || v === null || Array.isArray(v)), { minLength: 1, maxLength: 3 }), fc.constant({})),
  format: fc.oneof(fc.constantFrom('docx', 'PDF', 'csv', ''), fc.integer()),
};

/** A JSON object body that is invalid for every JSON route: a poison or unknown key, or a wrong value. */
const badObject = fc
  .tuple(
    fc.dictionary(fc.constantFrom(...knownFields), junkValue, { maxKeys: 4 }),
    fc.oneof(
      fc.tuple(fc.constantFrom(...POISON_KEYS), junkValue).map(([k, v]) => `"${k}":${JSON.stringify(v ?? null)}`),
      fc.tuple(unicode.filter((k) => !knownFields.includes(k) && !k.includes('"') && !k.includes('\\')), junkValue).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v ?? null)}`),
      fc.constantFrom(...Object.keys(wrongFor)).chain((k) => wrongFor[k]!.map((v) => `${JSON.stringify(k)}:${JSON.stringify(v ?? null)}`)),
    ),
  )
  // Built as text so that "__proto__" is a real own key of the parsed body, as an attacker would send it.
  .map(([rest, bad]) => {
    const inner = JSON.stringify(rest).slice(1, -1);
    return `{${inner ? `${inner},` : ''}${bad}}`;
  });

const deepNesting = fc.oneof(
  fc.integer({ min: 100, max: 50_000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`),
  fc.integer({ min: 100, max: 20_000 }).map((n) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`),
  fc.integer({ min: 50, max: 5000 }).map((n) => `{"campaigns":${'['.repeat(n)}${']'.repeat(n)}}`),
);
const notJsonObject = fc.jsonValue({ maxDepth: 2 }).filter((v) => typeof v !== 'object' || v === null || Array.isArray(v)).map((v) => JSON.stringify(v));
// Never empty: an empty body is documented as valid for analyze-async ("every stored campaign").
const malformedJson = fc.string({ minLength: 1, maxLength: 200 }).filter((s) => {
  if (s.trim() === '') return false;
  try {
    JSON.parse(s);
    return false;
  } catch {
    return true;
  }
});
const oversize = fc.integer({ min: 1024 * 1024 + 1, max: 3 * 1024 * 1024 }).map((n) => `{"name":"${'x'.repeat(n)}"}`);

const jsonBody = fc.oneof(
  { weight: 8, arbitrary: badObject },
  { weight: 2, arbitrary: notJsonObject },
  { weight: 2, arbitrary: malformedJson },
  { weight: 2, arbitrary: deepNesting },
  { weight: 1, arbitrary: oversize },
);

const writeAuth = { 'x-api-key': WRITE_KEY };
const jsonHeaders = { ...writeAuth, 'content-type': 'application/json' };

const CHANNEL_LIST = ['search', 'social', 'display', 'video', 'email', 'affiliate'];
const LIST_KEYS = ['channel', 'status', 'from', 'to', 'sort', 'cursor', 'limit'];
const badListQuery = fc
  .oneof(
    fc.tuple(fc.constant('limit'), fc.oneof(fc.integer({ min: 101 }), fc.integer({ max: 0 }), fc.constantFrom('1.5', 'ten', '1e309', '9'.repeat(400), '-0x1', ' '))),
    fc.tuple(fc.constant('channel'), unicode.filter((s) => !CHANNEL_LIST.includes(s))),
    fc.tuple(fc.constant('status'), fc.constantFrom('live', 'ACTIVE', '')),
    fc.tuple(fc.constantFrom('from', 'to'), fc.constantFrom('2026-02-30', 'now', '')),
    fc.tuple(fc.constant('sort'), fc.constantFrom('budget;drop', '--name', 'ctr', '', 'name,budget', '+name')),
    fc.tuple(fc.constant('cursor'), fc.oneof(fc.string({ minLength: 513, maxLength: 600 }), fc.constantFrom('!!', 'eyJ4IjoxfQ', '__proto__'))),
    fc.tuple(fc.constantFrom(...POISON_KEYS, '__proto__[x]', 'constructor[prototype][x]', 'a[]'), unicode),
    fc.tuple(unicode.filter((k) => k !== '' && !LIST_KEYS.includes(k)), unicode),
  )
  .map(([k, v]) => `${seg(k)}=${seg(String(v))}`);

const route = fc.oneof(
  // GET one campaign / task / report: bad or unknown ids.
  fc.tuple(fc.constantFrom('/api/v1/campaigns/', '/api/v1/tasks/', '/api/v1/reports/'), badId).map(([p, id]): FuzzRequest => ({
    method: 'GET', path: `${p}${seg(id)}`, headers: writeAuth, note: 'bad id',
  })),
  // DELETE unknown or malformed ids.
  badId.map((id): FuzzRequest => ({ method: 'DELETE', path: `/api/v1/campaigns/${seg(id)}`, headers: writeAuth, note: 'delete bad id' })),
  // PATCH an existing or unknown campaign with a bad body.
  fc.tuple(fc.oneof(fc.constantFrom(...SEEDED), badId), jsonBody).map(([id, body]): FuzzRequest => ({
    method: 'PATCH', path: `/api/v1/campaigns/${seg(id)}`, headers: jsonHeaders, body, note: 'patch bad body',
  })),
  // POST bodies on every JSON route.
  fc.tuple(fc.constantFrom('/api/v1/campaigns', '/api/v1/analyze-async', '/api/v1/reports'), jsonBody).map(([path, body]): FuzzRequest => ({
    method: 'POST', path, headers: jsonHeaders, body, note: 'bad body',
  })),
  // Valid JSON in the wrong media type.
  fc.tuple(fc.constantFrom('/api/v1/campaigns', '/api/v1/analyze-async', '/api/v1/reports'), fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16')).map(
    ([path, type]): FuzzRequest => ({ method: 'POST', path, headers: { ...writeAuth, 'content-type': type }, body: '{"name":"x"}', note: 'media type' }),
  ),
  // Queries.
  fc.array(badListQuery, { minLength: 1, maxLength: 4 }).map((q): FuzzRequest => ({ method: 'GET', path: `/api/v1/campaigns?${q.join('&')}`, headers: writeAuth, note: 'bad query' })),
  fc.tuple(fc.constantFrom(...POISON_KEYS, 'x', 'limit'), unicode).map(([k, v]): FuzzRequest => ({
    method: 'GET', path: `/api/v1/campaigns/suggested-questions?${seg(k)}=${seg(v)}`, headers: writeAuth, note: 'bad query',
  })),
  // Uploads: multipart that carries no acceptable file.
  fc.tuple(fc.uint8Array({ maxLength: 4096 }), fc.constantFrom('multipart/form-data', 'multipart/form-data; boundary=', 'multipart/form-data; boundary=zz', 'text/csv', 'application/octet-stream')).map(
    ([bytes, type]): FuzzRequest => ({ method: 'POST', path: '/api/v1/uploads', headers: { ...writeAuth, 'content-type': type }, body: bytes, note: 'upload junk' }),
  ),
  fc.tuple(fc.constantFrom('evil.exe', 'a.csv.exe', '../../x.csv', 'x.xlsx'), fc.constantFrom('application/x-msdownload', 'image/png', 'text/html')).map(([name, type]): FuzzRequest => {
    const b = 'fuzzb';
    const body = `--${b}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: ${type}\r\n\r\nhello\r\n--${b}--\r\n`;
    return { method: 'POST', path: '/api/v1/uploads', headers: { ...writeAuth, 'content-type': `multipart/form-data; boundary=${b}` }, body, note: 'upload type' };
  }),
  // Credentials: none, wrong, or read-only on a write route.
  fc.tuple(fc.constantFrom('/api/v1/campaigns', '/api/v1/tasks/x', '/gateway/stats'), fc.option(fc.string({ unit: 'binary-ascii', maxLength: 100 }).map((s) => s.replace(/[^\x21-\x7e]/g, 'x')))).map(
    ([path, key]): FuzzRequest => ({ method: 'GET', path, headers: key === null ? {} : { 'x-api-key': key || 'x' }, note: 'bad credentials' }),
  ),
  fc.constantFrom('/api/v1/campaigns', '/api/v1/analyze-async', '/api/v1/reports').map((path): FuzzRequest => ({
    method: 'POST', path, headers: { 'x-api-key': READ_KEY, 'content-type': 'application/json' }, body: '{}', note: 'read-only key',
  })),
  // Unknown routes and methods.
  fc.tuple(fc.constantFrom('PUT', 'GET', 'POST', 'DELETE'), fc.constantFrom('/api/v1/campaign', '/api/v2/campaigns', '/api/v1/tasks', '/api/v1/reports', '/%2e%2e/etc/passwd', '/api/v1/campaigns/c-0/x')).map(
    ([method, path]): FuzzRequest => ({ method, path, headers: writeAuth, note: 'no route' }),
  ),
);

async function send(r: FuzzRequest): Promise<{ status: number; type: string; body: string }> {
  const res = await fetch(`${api.url}${r.path}`, { method: r.method, headers: r.headers, body: r.body, signal: AbortSignal.timeout(15_000) });
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
}

test(`${RUNS} generated malformed requests over every route: all 4xx problem+json, nothing written, process alive, memory flat`, async () => {
  const before = await snapshot(fx.redis, fx.prefix);
  expect(before.size).toBeGreaterThan(0);
  // Warm-up so the RSS baseline includes JIT and connection pools.
  for (const [r] of fc.sample(route, { numRuns: 150 }).map((x) => [x] as const)) await send(r).catch(() => undefined);
  const rssBefore = await rssOf(api.proc.pid);

  const statuses = new Map<number, number>();
  let sent = 0;
  const series: number[] = [];
  await fc.assert(
    fc.asyncProperty(route, async (r) => {
      sent++;
      if (sent % 100 === 0) series.push(Math.round((await rssOf(api.proc.pid)) / 2 ** 20));
      const res = await send(r);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const ctx = `${r.method} ${r.path.slice(0, 200)} (${r.note}) → ${res.status} ${res.body.slice(0, 300)}`;
      if (res.status < 400 || res.status > 499) throw new Error(`not a 4xx: ${ctx}`);
      if (!res.type.startsWith('application/problem+json')) throw new Error(`not problem+json (${res.type}): ${ctx}`);
      const problem = JSON.parse(res.body) as { status: number; type: string; title: string };
      if (problem.status !== res.status || !problem.type.startsWith('urn:pca-agent:problem:') || !problem.title) throw new Error(`bad problem body: ${ctx}`);
      if (!api.proc.running) throw new Error(`API died: ${ctx}`);
    }),
    { numRuns: RUNS, endOnFailure: true },
  );
  const rssAfter = await rssOf(api.proc.pid);

  expect(api.proc.running).toBe(true);
  expect(await fetch(`${api.url}/health`).then((r) => r.status)).toBe(200);
  const after = await snapshot(fx.redis, fx.prefix);
  expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
  for (const [k, v] of before) expect({ key: k, dump: after.get(k) }).toEqual({ key: k, dump: v });
  // No 500 was logged either, and the keys sent with every request appear nowhere in the logs.
  await api.proc.logsWritten();
  expect(api.proc.logLines().filter((l) => l.msg === 'unhandled error')).toEqual([]);
  expect(leaked(api.proc.stdout + api.proc.stderr, [WRITE_KEY, READ_KEY])).toEqual([]);
  // Flat: after the first few hundred requests (buffers for the oversize bodies, JIT) RSS stops moving.
  const mib = (x: number) => Math.round(x / 2 ** 20);
  const mid = series[Math.floor(series.length / 2)]!;
  expect(mib(rssAfter) - mid).toBeLessThan(16);
  expect(mib(rssAfter - rssBefore)).toBeLessThan(80);
  console.log(
    `fuzz: ${sent} requests, statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}, RSS MiB ${mib(rssBefore)} → ${series.join(' → ')} → ${mib(rssAfter)}, ${before.size} keys unchanged`,
  );
});
