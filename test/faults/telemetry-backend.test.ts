import { createServer, type Server, type Socket } from 'node:net';
import { CampaignStore } from '../../services/src/domain/campaign-store';
import { freePort, rssOf, startApiProcess, type ApiHandle } from '../helpers/processes';
import { auth, inlineRow, median, queueFixture, roleEnv, type QueueFixture } from './support';

jest.setTimeout(120_000);

const ROUNDS = 300;
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
  // Standard OTEL_* settings only (exporter timeout and queue sizes are the SDK defaults); a short
  // schedule delay makes the exporter try, and fail, many times during the run.
  const traced = (endpoint: string) => ({ ...env, OTEL_SDK_DISABLED: 'false', OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_BSP_SCHEDULE_DELAY: '200' });
  const [off, hole, dead] = await Promise.all([
    startApiProcess(env),
    startApiProcess(traced(`http://127.0.0.1:${blackholePort}`)),
    startApiProcess(traced(`http://127.0.0.1:${deadPort}`)),
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
  const deadLog = apis.find((a) => a.name === 'dead')!.api.proc.logLines();
  expect(deadLog.some((l) => String(l.msg).startsWith('span export failed'))).toBe(true);
  for (const { api } of apis) expect(api.proc.running).toBe(true);
});
