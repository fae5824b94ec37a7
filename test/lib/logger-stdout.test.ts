import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import pino from 'pino';
import { ASYNC_STDOUT_BATCH_BYTES, isoTime } from '../../services/src/lib/logger';

const LOGGER = resolve(__dirname, '../../dist/services/src/lib/logger.js');
const running = new Set<() => void>();
afterEach(() => {
  for (const kill of running) kill();
  running.clear();
});

/** Runs `body` in a child process with `log`, an asyncStdout logger; resolves with each stdout line as it arrives. */
function child(body: string): { lines: string[]; firstLine: Promise<string>; exited: Promise<number | null>; kill(): void } {
  const script = `const { createLogger } = require(${JSON.stringify(LOGGER)});
const log = createLogger({ service: 't', level: 'info', pretty: false, asyncStdout: true });
${body}`;
  const proc = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  let buffered = '';
  let resolveFirst: (l: string) => void = () => undefined;
  const firstLine = new Promise<string>((r) => (resolveFirst = r));
  proc.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop()!;
    for (const l of parts) {
      lines.push(l);
      resolveFirst(l);
    }
  });
  const exited = new Promise<number | null>((r) => proc.on('close', (code) => r(code)));
  const kill = () => proc.kill('SIGKILL');
  running.add(kill);
  return { lines, firstLine, exited, kill };
}

describe('batched asynchronous stdout', () => {
  it('writes a lone line while the process keeps running, though it is far below the batch size', async () => {
    // The process stays alive for a minute: only the periodic flush can bring the line out before then.
    const c = child(`log.info({ n: 1 }, 'lone line'); setTimeout(() => {}, 60_000);`);
    const line = JSON.parse(await c.firstLine) as Record<string, unknown>;
    expect(line).toMatchObject({ msg: 'lone line', n: 1, level: 'info', 'service.name': 't' });
    expect(JSON.stringify(line).length).toBeLessThan(ASYNC_STDOUT_BATCH_BYTES);
  });

  it('loses no line when the process exits right after logging', async () => {
    const c = child(`for (let i = 0; i < 2000; i++) log.info({ i }, 'burst'); process.exit(0);`);
    expect(await c.exited).toBe(0);
    const seen = c.lines.map((l) => (JSON.parse(l) as { i: number }).i);
    expect(seen).toEqual(Array.from({ length: 2000 }, (_, i) => i));
  });
});

describe('isoTime', () => {
  it("writes pino's isoTime field, the current time to the millisecond", () => {
    const before = Date.now();
    const field = isoTime();
    const after = Date.now();
    const ours = /^,"time":"(.+)"$/.exec(field);
    expect(ours).not.toBeNull();
    const at = Date.parse(ours![1]!);
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(after);
    expect(ours![1]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(pino.stdTimeFunctions.isoTime()).toMatch(/^,"time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"$/);
  });

  it('moves on with the clock', async () => {
    const first = isoTime();
    await new Promise((r) => setTimeout(r, 5));
    expect(isoTime()).not.toBe(first);
  });
});
