import { spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { loadConfig } from '../../services/src/config/env';
import { closeQueues, createQueues, enqueue } from '../../services/src/queues/queues';
import { ROOT, RoleProcess } from '../helpers/processes';
import { deleteByPrefix, REDIS_URL, testPrefix } from '../helpers/redis';

const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
let prefix: string;
beforeEach(() => {
  prefix = testPrefix('task');
});
afterEach(() => deleteByPrefix(redis, prefix));
afterAll(() => redis.quit());

async function task(args: string[], env: Record<string, string> = {}) {
  const proc = new RoleProcess('task', { REDIS_URL, REDIS_KEY_PREFIX: prefix, HEALTH_MIN_WORKERS: '0', ...env }, args);
  const { code } = await proc.exited;
  return { code, stdout: proc.stdout, stderr: proc.stderr };
}

test('`npm run task -- health_check --inline`: exit 0 with one line', async () => {
  // exactly as the CronJob and a developer run it
  const child = spawn('npm', ['run', '--silent', 'task', '--', 'health_check', '--inline'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, REDIS_URL, REDIS_KEY_PREFIX: prefix, HEALTH_MIN_WORKERS: '0', OTEL_SDK_DISABLED: 'true' },
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise((r) => child.on('exit', r));
  expect(code).toBe(0);
  expect(out.trim().split('\n')).toHaveLength(1);
  expect(out).toMatch(/^health_check \(inline\) completed in [\d.]+s: \{"status":"ok"/);
});

test('exit 1 when a threshold is crossed, with the reason on one line', async () => {
  const queues = createQueues(loadConfig({ REDIS_KEY_PREFIX: prefix }), redis);
  await enqueue(queues, 'generate_pdf_report', {});
  await enqueue(queues, 'generate_pdf_report', {});
  await closeQueues(queues);
  const r = await task(['health_check', '--inline'], { HEALTH_MAX_BACKLOG: '1' });
  expect(r.code).toBe(1);
  expect(r.stderr.trim().split('\n')).toEqual(['health_check (inline) failed: unhealthy: reports: 2 jobs waiting > 1']);
});

test('exit 3 when no worker finishes the queued job within --timeout; the job it queued is removed', async () => {
  // --timeout counts from process start, connecting included: 8 s leaves a loaded CI machine room to start node.
  const r = await task(['refresh_benchmarks', '--timeout', '8']);
  expect(r.code).toBe(3);
  expect(r.stderr).toMatch(/^refresh_benchmarks \w+ did not finish within 8s \(state: waiting; removed from the queue, it will not run later\); exit 3\n$/);
  const queues = createQueues(loadConfig({ REDIS_KEY_PREFIX: prefix }), redis);
  expect(await queues.maintenance.getJobCounts('waiting', 'delayed', 'prioritized')).toEqual({ waiting: 0, delayed: 0, prioritized: 0 });
  await closeQueues(queues);
});

test.each([
  [[], /a job name is required/],
  [['nope'], /unknown job "nope"/],
  [['health_check', '--timeout', 'soon'], /--timeout needs whole seconds/],
  [['health_check', '--bogus'], /unknown option --bogus/],
  [['health_check', '--timeout'], /^task: --timeout needs a value; usage/],
  [['health_check', '--inline=yes'], /^task: --inline takes no value; usage/],
  [['health_check', 'report_builder'], /unexpected argument "report_builder"/],
  [['health_check', '--run-id', 'a b'], /--run-id needs letters/],
  [['health_check', '--data', '{'], /--data needs a JSON object/],
  [['generate_pdf_report', '--data', '{"channel":"radio"}'], /invalid payload for generate_pdf_report: channel/],
])('exit 2 on a usage error: %j', async (args, message) => {
  const r = await task(args);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(message);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(await redis.keys(`${prefix}:*`)).toEqual([]);
});
