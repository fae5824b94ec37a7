import { randomBytes } from 'node:crypto';
import { CampaignStore } from '../../services/src/domain/campaign-store';
import { seedCampaigns } from '../../services/src/domain/seed';
import { BenchChild, childScript, freePort, MAIN_JS, waitForHttp } from '../child-process';
import { serviceEnv, type BenchContext } from '../context';
import { runLoad, type LoadResult } from '../http-load';
import { cpuSeconds } from '../proc-status';
import { atLeast, atMost, pairedRatios } from '../stats';

const PATH = '/api/v1/campaigns?limit=20';

interface Target {
  readonly name: string;
  readonly child: BenchChild;
  readonly port: number;
  /** Every measured response must have this status. */
  readonly expectStatus: 200 | 429;
}

async function startTarget(
  name: string,
  args: string[],
  env: Record<string, string>,
  opts: { telemetry?: boolean; expectStatus?: 200 | 429; healthPath?: string } = {},
): Promise<Target> {
  const port = await freePort();
  const child = new BenchChild({ name, args, env: { ...env, PORT: String(port) }, telemetry: opts.telemetry });
  await waitForHttp(`http://127.0.0.1:${port}${opts.healthPath ?? '/health'}`, child);
  return { name, child, port, expectStatus: opts.expectStatus ?? 200 };
}

async function getJson(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, { headers });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text for the error message
  }
  return { status: res.status, body };
}

const idsOf = (body: unknown) => ((body as { items?: { id: string }[] }).items ?? []).map((c) => c.id).join(',');

/**
 * Figures 1 and 2: GET /api/v1/campaigns?limit=20 through the real API process (tracing as shipped, with
 * every request sampled, and off), the same handler on bare Express, the same page pre-serialized on
 * Express and on raw node:http from memory, and on Express with one GET of it from Redis per request (the
 * floor of reading Redis per request); then a client being rate limited.
 * Rounds alternate between the targets (in reverse order every other round) so a busy moment or a slow
 * drift of a shared machine hits all of them alike.
 */
export async function benchGateway(ctx: BenchContext): Promise<void> {
  const { opts, figures } = ctx;
  const prefix = `${ctx.basePrefix}.gw`;
  const seeded = await seedCampaigns(new CampaignStore(ctx.redis, prefix));
  const apiKey = `bench-${randomBytes(16).toString('hex')}`;
  const headers = { 'x-api-key': apiKey };
  const apiEnv = (tracing: boolean, limit: number, extra: Record<string, string> = {}) => ({
    ...serviceEnv(ctx, prefix, tracing),
    API_KEYS: apiKey,
    RATE_LIMIT_PER_MINUTE: String(limit),
    ...extra,
  });
  const baseline = { REDIS_URL: ctx.redisUrl, REDIS_KEY_PREFIX: prefix };

  ctx.log(`gateway: ${seeded} campaigns seeded; starting 8 servers`);
  const targets = await Promise.all([
    // Sampling as shipped (the SDK's default ratio): the figure the targets are about.
    startTarget('gateway', [MAIN_JS, 'api'], apiEnv(true, 1_000_000), { telemetry: true }),
    startTarget('gateway_sampled_all', [MAIN_JS, 'api'], apiEnv(true, 1_000_000, { OTEL_TRACES_SAMPLER: 'always_on' }), { telemetry: true }),
    startTarget('gateway_untraced', [MAIN_JS, 'api'], apiEnv(false, 1_000_000), { telemetry: true }),
    startTarget('bare_express', [childScript('bare-express')], baseline),
    startTarget('preserialized_express', [childScript('preserialized-express')], baseline),
    startTarget('one_round_trip_express', [childScript('one-round-trip-express')], baseline),
    startTarget('raw_http', [childScript('raw-http')], baseline),
    startTarget('rate_limited', [MAIN_JS, 'api'], apiEnv(true, 1), { telemetry: true, expectStatus: 429 }),
  ]);
  const byName = new Map(targets.map((t) => [t.name, t]));
  const url = (t: Target) => `http://127.0.0.1:${t.port}${PATH}`;
  try {
    // Same answer everywhere (the harness is wrong otherwise), and the gateway really authenticates.
    const reference = await getJson(url(byName.get('gateway')!), headers);
    if (reference.status !== 200 || idsOf(reference.body).split(',').length !== 20) {
      throw new Error(`gateway answered ${reference.status}: ${JSON.stringify(reference.body).slice(0, 300)}`);
    }
    for (const t of targets.filter((x) => x.expectStatus === 200)) {
      const got = await getJson(url(t), headers);
      if (got.status !== 200 || idsOf(got.body) !== idsOf(reference.body)) {
        throw new Error(`${t.name} does not answer like the gateway (HTTP ${got.status}, ids ${idsOf(got.body).slice(0, 80)})`);
      }
    }
    const anonymous = await getJson(url(byName.get('gateway')!));
    if (anonymous.status !== 401) throw new Error(`gateway without an API key answered ${anonymous.status}, not 401`);
    for (let i = 0; i < 3; i++) await getJson(url(byName.get('rate_limited')!), headers);
    const limited = await getJson(url(byName.get('rate_limited')!), headers);
    if (limited.status !== 429) throw new Error(`the rate-limited gateway answered ${limited.status}, not 429`);

    const results = new Map<string, LoadResult[]>();
    // Server CPU time per request: disturbed far less than req/s when other work shares the cores.
    const cpuPerRequest = new Map<string, number[]>();
    for (const c of opts.http.connections) {
      for (const t of targets) await runLoad(url(t), { connections: c, durationS: opts.http.warmupS, headers });
      for (let r = 0; r < opts.rounds; r++) {
        for (const t of r % 2 === 0 ? targets : [...targets].reverse()) {
          const cpuBefore = cpuSeconds(t.child.pid);
          const res = await runLoad(url(t), { connections: c, durationS: opts.http.durationS, headers });
          const key = `${t.name}_c${c}`;
          results.set(key, [...(results.get(key) ?? []), res]);
          cpuPerRequest.set(key, [...(cpuPerRequest.get(key) ?? []), ((cpuSeconds(t.child.pid) - cpuBefore) * 1e6) / Math.max(res.total, 1)]);
          ctx.log(`gateway: c=${c} round ${r + 1} ${t.name}: ${res.rps.toFixed(0)} req/s, p99 ${res.p99Ms} ms`);
        }
      }
    }

    ctx.sink.child.send({ kind: 'stats' });
    const sink = (await ctx.sink.child.waitForKind('stats', 5000)) as unknown as { requests: number; bytes: number };
    for (const c of opts.http.connections) {
      const get = (name: string) => results.get(`${name}_c${c}`)!;
      const anomalies = (t: Target) => {
        const rs = get(t.name);
        const wrong = rs.reduce((s, x) => s + x.total - (x.statusCounts[String(t.expectStatus)] ?? 0), 0);
        const errors = rs.reduce((s, x) => s + x.errors, 0);
        return [wrong ? `${wrong} responses not ${t.expectStatus}` : '', errors ? `${errors} connection errors` : ''].filter(Boolean).join('; ');
      };
      for (const t of targets) {
        const rs = get(t.name);
        const note = anomalies(t) || undefined;
        figures.add(`${t.name}_c${c}_rps`, 'req/s', rs.map((x) => x.rps), { note });
        figures.add(`${t.name}_c${c}_cpu_per_req`, 'µs', cpuPerRequest.get(`${t.name}_c${c}`)!, { note: 'server process CPU (user+sys)' });
        if (t.expectStatus === 200) {
          figures.add(`${t.name}_c${c}_p50`, 'ms', rs.map((x) => x.p50Ms));
          figures.add(`${t.name}_c${c}_p99`, 'ms', rs.map((x) => x.p99Ms));
        }
      }
      const rps = (name: string) => get(name).map((x) => x.rps);
      const p99 = (name: string) => get(name).map((x) => x.p99Ms);
      figures.add(`gateway_vs_bare_c${c}_rps_ratio`, '×', pairedRatios(rps('gateway'), rps('bare_express')), {
        verdictOf: (m) => atLeast(m, 0.75),
        note: 'tracing on, sampled as shipped',
      });
      figures.add(`gateway_vs_bare_c${c}_p99_ratio`, '×', pairedRatios(p99('gateway'), p99('bare_express')), {
        verdictOf: (m) => atMost(m, 2),
        note: 'tracing on, sampled as shipped',
      });
      figures.add(`gateway_sampled_all_vs_bare_c${c}_rps_ratio`, '×', pairedRatios(rps('gateway_sampled_all'), rps('bare_express')), {
        verdictOf: (m) => atLeast(m, 0.6),
        note: 'every request sampled (OTEL_TRACES_SAMPLER=always_on)',
      });
      const cpu = (name: string) => cpuPerRequest.get(`${name}_c${c}`)!;
      figures.add(`gateway_vs_bare_c${c}_cpu_per_req_ratio`, '×', pairedRatios(cpu('gateway'), cpu('bare_express')), {
        note: 'CPU cost of the gateway; no target',
      });
      figures.add(`gateway_untraced_vs_bare_c${c}_rps_ratio`, '×', pairedRatios(rps('gateway_untraced'), rps('bare_express')), {
        note: 'tracing off; no target',
      });
      figures.add(`gateway_untraced_vs_bare_c${c}_p99_ratio`, '×', pairedRatios(p99('gateway_untraced'), p99('bare_express')), {
        note: 'tracing off; no target',
      });
      figures.add(`gateway_traced_vs_untraced_c${c}_rps_ratio`, '×', pairedRatios(rps('gateway'), rps('gateway_untraced')), {
        note: 'the cost of tracing',
      });
      figures.add(`bare_vs_preserialized_express_c${c}_rps_ratio`, '×', pairedRatios(rps('bare_express'), rps('preserialized_express')), {
        verdictOf: (m) => atLeast(m, 0.5),
        note: 'the list handler (Redis read, KPIs, JSON) vs Express sending the page from memory',
      });
      figures.add(`one_round_trip_vs_preserialized_express_c${c}_rps_ratio`, '×', pairedRatios(rps('one_round_trip_express'), rps('preserialized_express')), {
        note: 'the floor of any handler that reads Redis per request: one GET of the finished page',
      });
      figures.add(`bare_vs_one_round_trip_express_c${c}_rps_ratio`, '×', pairedRatios(rps('bare_express'), rps('one_round_trip_express')), {
        note: 'the list handler vs that floor',
      });
      figures.add(`bare_vs_raw_http_c${c}_rps_ratio`, '×', pairedRatios(rps('bare_express'), rps('raw_http')), {
        note: 'Express + Redis read vs the ceiling',
      });
      figures.add(`rate_limited_vs_gateway_c${c}_rps_ratio`, '×', pairedRatios(rps('rate_limited'), rps('gateway')), {
        verdictOf: (m) => atLeast(m, 1),
        note: '429 path vs 200 path, both traced as shipped',
      });
    }
    ctx.log(`gateway: the OTLP sink received ${sink.requests} exports, ${(sink.bytes / 1e6).toFixed(1)} MB`);
    figures.add('otlp_sink_received', 'MB', [sink.bytes / 1e6], { note: `${sink.requests} exports during the gateway runs (tracing really on)` });
  } finally {
    await Promise.all(targets.map((t) => t.child.stop()));
  }
}
