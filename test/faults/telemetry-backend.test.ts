import { createServer, type Server, type Socket } from 'node:net';
import { CampaignStore } from '../../services/src/domain/campaign-store';
import { freePort, rssOf, startApiProcess, waitFor, type ApiHandle } from '../helpers/processes';
import { auth, inlineRow, median, queueFixture, roleEnv, type QueueFixture } from './support';

jest.setTimeout(120_000);

const ROUNDS = 300;
// The "dead" collector's exporter settings, owned by this test. A batch is exported at most
// SCHEDULE_DELAY_MS after its first span; the OTLP exporter retries a refused connection with backoff
// (1 s, ×1.5, at most 5 times) but never past OTEL_EXPORTER_OTLP_TIMEOUT from its first attempt, and only
// then reports the failure. So the log line exists at the latest SCHEDULE_DELAY_MS + EXPORT_TIMEOUT_MS
// after a span ends; the wait below allows twice that for a loaded machine.
const SCHEDULE_DELAY_MS = 200;
const EXPORT_TIMEOUT_MS = 2000;
const FAILURE_LOGGED_WITHIN_MS = 2 * (SCHEDULE_DELAY_MS + EXPORT_TIMEOUT_MS);
let fx: QueueFixture;
let blackhole: Server;
const held: Socket[] = [];
let apis: { name: 'off' | 'blackhole' | 'dead'; api: ApiHandle }[] = [];

beforeAll(async () => {
  fx = queueFixture('f-otel');
  await new CampaignStore(fx.redis, fx.prefix).upsertMany(Array.from({ length: 20 }, (_, n) => inlineRow(n)));
  // Accepts connections and never answers: the exporter's requests hang until its own timeout.
  blackhole = createServer((s) => {
    held.push(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => blackhole.listen(0, '127.0.0.1', r));
  const blackholePort = (blackhole.address() as { port: number }).port;
  const deadPort = await freePort();
  // The same modest heap cap for all three keeps RSS close to the live set (V8 otherwise grows the heap
  // lazily) and turns unbounded span buffering into an out-of-memory crash instead of slow growth.
  const env = { ...roleEnv(fx.prefix), NODE_OPTIONS: '--max-old-space-size=160' };
  // Standard OTEL_* settings only (the blackhole keeps the SDK's default exporter timeout and queue sizes,
  // so its exports hang as long as they would in production); a short schedule delay makes the exporter
  // try, and fail, many times during the run.
  const traced = (endpoint: string, extra: Record<string, string> = {}) => ({
    ...env,
    OTEL_SDK_DISABLED: 'false',
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_BSP_SCHEDULE_DELAY: String(SCHEDULE_DELAY_MS),
    // every request's spans, so the exporter has work against the failing backend
    OTEL_TRACES_SAMPLER: 'always_on',
    ...extra,
  });
  const [off, hole, dead] = await Promise.all([
    startApiProcess(env),
    startApiProcess(traced(`http://127.0.0.1:${blackholePort}`)),
    startApiProcess(traced(`http://127.0.0.1:${deadPort}`, { OTEL_EXPORTER_OTLP_TIMEOUT: String(EXPORT_TIMEOUT_MS) })),
  ]);
  apis = [
    { name: 'off', api: off },
    { name: 'blackhole', api: hole },
    { name: 'dead', api: dead },
  ];
});
afterAll(async () => {
  await Promise.all(apis.map((a) => a.api.proc.stop()));
  for (const s of held) s.destroy();
  await new Promise((r) => blackhole?.close(r));
  await fx.close();
});

async function timed(url: string): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(url, { headers: auth() });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`${url}: ${res.status}`);
  return performance.now() - t0;
}

const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.95)]!;

test('a collector that hangs or is gone: request latency stays within noise of tracing off, memory stays bounded', async () => {
  const lat: Record<string, number[]> = { off: [], blackhole: [], dead: [] };
  const rss: Record<string, number[]> = { off: [], blackhole: [], dead: [] };
  // Interleaved, so machine noise hits all three alike.
  const run = async (rounds: number, record: boolean) => {
    for (let i = 0; i < rounds; i++) {
      for (const { name, api } of apis) {
        const ms = await timed(`${api.url}/api/v1/campaigns/c-${i % 20}`);
        if (record) lat[name]!.push(ms);
      }
    }
  };
  await run(100, false); // warm-up (JIT, connections, first export attempts)
  for (const { name, api } of apis) rss[name]!.push(await rssOf(api.proc.pid));
  await run(ROUNDS, true);
  for (const { name, api } of apis) rss[name]!.push(await rssOf(api.proc.pid));
  for (let k = 0; k < 4; k++) {
    await run(ROUNDS / 2, false);
    for (const { name, api } of apis) rss[name]!.push(await rssOf(api.proc.pid));
  }

  const m = Object.fromEntries(Object.entries(lat).map(([k, v]) => [k, { median: median(v), p95: p95(v) }]));
  const mib = (x: number) => Math.round(x / 2 ** 20);
  const growth = Object.fromEntries(Object.entries(rss).map(([k, v]) => [k, mib(v.at(-1)! - v[0]!)]));
  const lastHalf = Object.fromEntries(Object.entries(rss).map(([k, v]) => [k, mib(v.at(-1)! - v[3]!)]));
  console.log(
    `telemetry backend down: median/p95 ms ${JSON.stringify(m)}; RSS MiB per ${ROUNDS / 2} requests ` +
      `${JSON.stringify(Object.fromEntries(Object.entries(rss).map(([k, v]) => [k, v.map(mib)])))}`,
  );
  for (const name of ['blackhole', 'dead']) {
    // Tracing costs a little per request; a hanging exporter must not add waiting on top of it.
    expect(m[name]!.median).toBeLessThan(m.off!.median * 1.5 + 1.5);
    expect(m[name]!.p95).toBeLessThan(m.off!.p95 * 2.5 + 10);
    // Spans are dropped once the exporter's queue is full: memory does not follow the traffic.
    expect(growth[name]!).toBeLessThan(growth.off! + 60);
    expect(lastHalf[name]!).toBeLessThan(lastHalf.off! + 30);
  }
  // The last requests' spans are at most FAILURE_LOGGED_WITHIN_MS from being reported as failed (see above);
  // the first batches failed long before, so this normally returns at once.
  const dead = apis.find((a) => a.name === 'dead')!.api.proc;
  await waitFor(
    'the dead collector\'s export failure in the API log',
    () => dead.logLines().some((l) => String(l.msg).startsWith('span export failed')),
    FAILURE_LOGGED_WITHIN_MS,
  );
  for (const { api } of apis) expect(api.proc.running).toBe(true);
});
