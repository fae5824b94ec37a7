/**
 * A value fetched at most once per `maxAgeMs`, however often it is asked for: a busy Prometheus
 * scraping every replica must not turn into Redis load. A fetch that fails or takes longer than
 * `timeoutMs` (a Redis connection that queues commands while disconnected) yields `fallback`, so a
 * scrape never hangs on Redis; the next call after `maxAgeMs` tries again.
 */
export function sampled<T>(fetch: () => Promise<T>, fallback: T, maxAgeMs = 5000, timeoutMs = 2000): () => Promise<T> {
  let at = 0;
  let current: Promise<T> | undefined;
  return () => {
    if (!current || Date.now() - at > maxAgeMs) {
      at = Date.now();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<T>((resolve) => {
        timer = setTimeout(() => resolve(fallback), timeoutMs);
        timer.unref();
      });
      current = Promise.race([fetch().catch(() => fallback), timeout]).finally(() => clearTimeout(timer));
    }
    return current;
  };
}
