import autocannon from 'autocannon';

export interface LoadResult {
  /** Completed responses per second over the whole run. */
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly total: number;
  readonly non2xx: number;
  /** Connection errors and timeouts. */
  readonly errors: number;
  readonly statusCounts: Readonly<Record<string, number>>;
}

export interface LoadOptions {
  readonly connections: number;
  readonly durationS: number;
  readonly headers?: Record<string, string>;
}

/** One autocannon run from this process over loopback (no pipelining: one request per connection at a time). */
export async function runLoad(url: string, opts: LoadOptions): Promise<LoadResult> {
  const r = await autocannon({
    url,
    connections: opts.connections,
    duration: opts.durationS,
    headers: opts.headers,
    pipelining: 1,
    timeout: 10,
  });
  const statusCounts: Record<string, number> = {};
  for (const [code, s] of Object.entries(r.statusCodeStats ?? {})) statusCounts[code] = s.count ?? 0;
  return {
    rps: r.duration > 0 ? r.requests.total / r.duration : 0,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    total: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    statusCounts,
  };
}
