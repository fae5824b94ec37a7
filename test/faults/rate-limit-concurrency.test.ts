import { testPrefix } from '../helpers/redis';
import { RedisServer, startApiProcess, waitFor, httpStatus, type ApiHandle } from '../helpers/processes';
import { auth, roleEnv } from './support';

jest.setTimeout(90_000);

const LIMIT = 50;
let redis: RedisServer;
let apis: ApiHandle[] = [];

beforeAll(async () => {
  redis = await RedisServer.start({ aof: true });
  // A long window so the whole test sits inside one.
  const env = roleEnv(testPrefix('f-rl'), redis.url, { RATE_LIMIT_PER_MINUTE: String(LIMIT), RATE_LIMIT_WINDOW_MS: '600000' });
  apis = await Promise.all([startApiProcess(env), startApiProcess(env)]);
});
afterAll(async () => {
  await Promise.all(apis.map((a) => a.proc.stop()));
  await redis?.close();
});

interface Outcome {
  readonly status: number;
  readonly type: string;
  readonly retryAfter: string | null;
}

/** `n` requests at once from 127.0.0.1, alternating between the two API processes. */
async function burst(n: number): Promise<Outcome[]> {
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const res = await fetch(`${apis[i % 2]!.url}/api/v1/campaigns?limit=1`, { headers: auth(), signal: AbortSignal.timeout(20_000) });
      await res.arrayBuffer();
      return { status: res.status, type: res.headers.get('content-type') ?? '', retryAfter: res.headers.get('retry-after') };
    }),
  );
}

const count = (outcomes: Outcome[], status: number) => outcomes.filter((o) => o.status === status).length;

test(`two API processes, one client IP: exactly ${LIMIT} allowed in the window across SCRIPT FLUSH, a Redis restart and 500 concurrent requests`, async () => {
  const phase1 = await burst(20);
  expect(count(phase1, 200)).toBe(20);

  // The limiter's Lua script vanishes from Redis: the next increments must reload it, counting each request once.
  const admin = redis.client();
  try {
    expect(await admin.script('FLUSH')).toBe('OK');
  } finally {
    admin.disconnect();
  }
  const phase2 = await burst(10);
  expect(count(phase2, 200)).toBe(10);

  // Crash and restart Redis (AOF): the counts survive, the script cache does not.
  await redis.stop('SIGKILL');
  await redis.start();
  for (const a of apis) await waitFor('API ready after the restart', async () => (await httpStatus(`${a.url}/ready`)) === 200, 10_000, 50);

  const phase3 = await burst(500);
  expect(count(phase3, 200)).toBe(LIMIT - 30);
  expect(count(phase3, 429)).toBe(500 - (LIMIT - 30));
  for (const o of phase3.filter((x) => x.status === 429)) {
    expect(o.type).toContain('application/problem+json');
    expect(Number(o.retryAfter)).toBeGreaterThan(0);
  }
  for (const a of apis) expect(a.proc.running).toBe(true);
  console.log(`rate limit: 530 requests over 2 processes, ${LIMIT} allowed exactly (SCRIPT FLUSH and a Redis restart mid-window)`);
});
