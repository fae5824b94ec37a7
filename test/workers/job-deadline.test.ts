import { FINISHING_GRACE_MS, JobTimeoutError, withDeadline } from '../../services/src/workers/job-deadline';

const after = <T>(ms: number, value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));
const never = new Promise<never>(() => undefined);

test('the deadline ends an attempt whose work ignores the signal, and aborts the signal with the same error', async () => {
  let seen: unknown;
  const err = await withDeadline('job_x', 0.1, ({ signal }) => {
    signal.addEventListener('abort', () => (seen = signal.reason));
    return never;
  }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(JobTimeoutError);
  expect((err as Error).message).toBe('job_x timed out after 0.1 s');
  expect(seen).toBe(err);
});

test('a deadline inside a held section waits for it: the attempt returns what the work returns', async () => {
  let aborted = false;
  const value = await withDeadline('job_x', 0.1, async ({ signal, finishing }) => {
    const committed = await finishing(after(300, 'committed'));
    aborted = signal.aborted; // the signal still fires: nothing new should start
    return committed;
  });
  expect(value).toBe('committed');
  expect(aborted).toBe(true);
});

test('work that hangs after its held section ends past the deadline still times out, after the grace', async () => {
  const started = Date.now();
  const err = await withDeadline('job_x', 0.1, async ({ finishing }) => {
    await finishing(after(300, 'committed'));
    return never;
  }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(JobTimeoutError);
  expect(Date.now() - started).toBeGreaterThanOrEqual(300 + FINISHING_GRACE_MS - 20);
});

test("a held section's failure is the attempt's failure", async () => {
  const boom = new Error('commit failed');
  await expect(withDeadline('job_x', 0.1, ({ finishing }) => finishing(after(200, null).then(() => Promise.reject(boom))))).rejects.toBe(boom);
});

test('a signal first read after the deadline is already aborted, with the same error', async () => {
  let signal: AbortSignal | undefined;
  const err = await withDeadline('job_x', 0.1, async (attempt) => {
    await after(200, null);
    signal = attempt.signal;
    return never;
  }).catch((e: unknown) => e);
  await after(150, null); // the attempt ended at 100 ms; the work reads its signal at 200 ms
  expect(err).toBeInstanceOf(JobTimeoutError);
  expect(signal?.aborted).toBe(true);
  expect(signal?.reason).toBe(err);
});
