/**
 * A value fetched at most once per `maxAgeMs`, however often it is asked for: a busy Prometheus
 * scraping every replica must not turn into Redis load. A failed fetch yields `fallback` and is retried
 * on the next call after `maxAgeMs`.
 */
export function sampled<T>(fetch: () => Promise<T>, fallback: T, maxAgeMs = 5000): () => Promise<T> {
  let at = 0;
  let current: Promise<T> | undefined;
  return () => {
    if (!current || Date.now() - at > maxAgeMs) {
      at = Date.now();
      current = fetch().catch(() => fallback);
    }
    return current;
  };
}
