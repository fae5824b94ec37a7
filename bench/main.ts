import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { BenchChild, childScript, killAllChildrenNow, REPO_ROOT, stopAllChildren } from './child-process';
import { deleteKeys, type BenchContext } from './context';
import { Figures, formatLines, formatTable } from './figures';
import { describeMachine, machineLine } from './machine';
import { BenchUsageError, parseBenchArgs, type SectionName } from './options';
import { benchChart } from './sections/chart';
import { benchGateway } from './sections/gateway';
import { benchReports } from './sections/reports';
import { benchUpload } from './sections/upload';
import { benchWorker } from './sections/worker';

const SECTION_RUNNERS: Record<SectionName, (ctx: BenchContext) => Promise<void>> = {
  gateway: benchGateway,
  worker: benchWorker,
  upload: benchUpload,
  reports: benchReports,
  chart: benchChart,
};

/**
 * `npm run bench [-- --quick] [--only a,b]`: starts what it measures (child processes against REDIS_URL
 * under a random `bench-*` prefix), measures, stops everything, deletes its keys, prints a table and one
 * `name value unit` line per figure, and writes the same as JSON to bench/results/. A missed target is
 * reported, never thrown; the exit code is 1 only when a section could not run.
 */
async function main(): Promise<number> {
  const opts = parseBenchArgs(process.argv.slice(2));
  const started = performance.now();
  const log = (m: string) => process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(3)}s] ${m}\n`);
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 3, lazyConnect: true });
  redis.on('error', () => undefined);
  await redis.connect();
  const machine = describeMachine(await redis.info('server'));
  const basePrefix = `bench-${randomBytes(4).toString('hex')}`;
  const tmpDir = mkdtempSync(join(tmpdir(), 'pca-bench-'));
  const figures = new Figures();
  log(`${opts.quick ? 'quick' : 'full'} run on ${machineLine(machine)}; prefix ${basePrefix}`);

  const interrupted = () => {
    killAllChildrenNow();
    // keys are left; a later run does not see them (random prefix) and `bench-*` marks them as ours
    process.stderr.write(`\ninterrupted: children killed; keys under ${basePrefix}* may remain\n`);
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  // A bug in the harness must not leave servers running.
  process.once('uncaughtException', (err) => {
    killAllChildrenNow();
    process.stderr.write(`bench: ${err.stack ?? err.message}\nchildren killed; keys under ${basePrefix}* may remain\n`);
    process.exit(1);
  });

  try {
    const sinkChild = new BenchChild({ name: 'otlp-sink', args: [childScript('otlp-sink')], env: {} });
    const sinkPort = Number((await sinkChild.waitForKind('ready', 10_000)).port);
    const ctx: BenchContext = { opts, redisUrl, redis, basePrefix, sink: { url: `http://127.0.0.1:${sinkPort}`, child: sinkChild }, tmpDir, figures, log };
    for (const [name, run] of Object.entries(SECTION_RUNNERS) as [SectionName, (c: BenchContext) => Promise<void>][]) {
      if (!opts.only.has(name)) continue;
      const t0 = performance.now();
      log(`${name}: start`);
      try {
        await run(ctx);
      } catch (err) {
        figures.fail(name, err);
        log(`${name}: FAILED: ${err instanceof Error ? err.message : String(err)}`);
      }
      log(`${name}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
  } finally {
    await stopAllChildren();
    const deleted = await deleteKeys(redis, `${basePrefix}[.:]*`).catch((err: Error) => {
      log(`cleanup failed: ${err.message}`);
      return 0;
    });
    log(`cleanup: ${deleted} keys deleted under ${basePrefix}`);
    await redis.quit().catch(() => redis.disconnect());
    rmSync(tmpDir, { recursive: true, force: true });
  }

  machine.loadavg_end = loadavg()[0]!;
  const seconds = (performance.now() - started) / 1000;
  const missed = figures.list.filter((f) => f.verdict && !f.verdict.met);
  const resultsDir = join(REPO_ROOT, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(
    file,
    `${JSON.stringify({ quick: opts.quick, rounds: opts.rounds, duration_s: Math.round(seconds), machine, params: opts, figures: figures.list, errors: figures.errors }, (k, v) => (v instanceof Set ? [...v] : v), 2)}\n`,
  );

  const out = [
    '',
    `pca-agent bench (${opts.quick ? 'quick' : 'full'}, median of ${opts.rounds} rounds) on ${machineLine(machine)}; ${seconds.toFixed(0)} s`,
    '',
    formatTable(figures.list),
    '',
    formatLines(figures.list),
    '',
    missed.length
      ? `targets MISSED: ${missed.map((f) => `${f.name} ${f.verdict!.text}`).join('; ')}`
      : figures.errors.length
        ? 'no target missed among the sections that ran'
        : 'all targets met',
    ...figures.errors.map((e) => `section ${e.section} could not run: ${e.message}`),
    `results written to ${file}`,
  ];
  if (seconds > (opts.quick ? 90 : 300)) out.push(`note: the run took ${seconds.toFixed(0)} s, more than the ${opts.quick ? 90 : 300} s budget (busy machine?)`);
  process.stdout.write(`${out.join('\n')}\n`);
  return figures.errors.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    killAllChildrenNow();
    process.stderr.write(err instanceof BenchUsageError ? `${err.message}\n` : `bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(err instanceof BenchUsageError ? 2 : 1);
  },
);
