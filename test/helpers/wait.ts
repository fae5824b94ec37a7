type Check<T> = () => Promise<T | undefined | null | false> | T | undefined | null | false;

/**
 * Polls `check` until it returns a value other than undefined, null or false, and returns that value;
 * throws (naming `what` when given) after the timeout. Errors thrown by `check` count as "not yet".
 */
export async function waitFor<T>(check: Check<T>, timeoutMs?: number, everyMs?: number): Promise<T>;
export async function waitFor<T>(what: string, check: Check<T>, timeoutMs?: number, everyMs?: number): Promise<T>;
export async function waitFor<T>(a: string | Check<T>, b?: Check<T> | number, c?: number, d?: number): Promise<T> {
  const [what, check, timeoutMs = 10_000, everyMs = 50] =
    typeof a === 'string' ? [a, b as Check<T>, c, d] : ['a condition', a, b as number | undefined, c];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await Promise.resolve().then(check).catch(() => undefined);
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
