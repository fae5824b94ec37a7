import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { processBulkUpload } from '../../services/src/workers/process-bulk-upload';
import { fakeJob, jobTestEnv, type JobTestEnv } from '../helpers/jobs';

let env: JobTestEnv;
afterEach(() => env.close(), 60_000);

describe('a 100,000-row CSV', () => {
  beforeEach(() => {
    env = jobTestEnv('upl-big');
  });

  test('streams in constant memory: peak retained heap growth well under the rows as objects', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const ROWS = 100_000;
    const channels = ['search', 'social', 'display', 'video', 'email', 'affiliate'];
    const lines = ['name,channel,start_date,end_date,budget,spend,impressions,clicks,conversions,revenue'];
    for (let i = 0; i < ROWS; i++) {
      lines.push(`Campaign number ${i},${channels[i % 6]},2026-01-01,2026-03-31,${1000 + i},${i % 900},${10_000 + i},${i % 300},${i % 20},${i % 2000}`);
    }
    await env.ctx.uploads.write('up1', [Buffer.from(lines.join('\n'))]);
    const lines0 = lines.slice(0, 2001);
    lines.length = 0;

    // What holding every row as an object would cost: measured, not guessed.
    gc();
    const before = process.memoryUsage().heapUsed;
    const all = Array.from({ length: ROWS }, (_, i) => ({
      id: `u0123456789abcdef-${i + 2}`, name: `Campaign number ${i}`, channel: channels[i % 6], status: 'active',
      start_date: '2026-01-01', end_date: '2026-03-31', budget: 1000 + i, spend: i % 900, impressions: 10_000 + i,
      clicks: i % 300, conversions: i % 20, revenue: i % 2000, currency: 'USD',
    }));
    gc();
    const objectsBytes = process.memoryUsage().heapUsed - before;
    expect(all).toHaveLength(ROWS);
    all.length = 0;

    // Warm up on a small file first: compiled code and caches are a one-off cost, not a per-row one.
    await env.ctx.uploads.write('warm', [Buffer.from(lines0.slice(0, 2001).join('\n'))]);
    await processBulkUpload(fakeJob('process_bulk_upload', { upload_id: 'warm', filename: 'w.csv', format: 'csv' as const, size: 0 }, 'warm'), env.ctx);

    gc();
    const baseline = process.memoryUsage().heapUsed;
    let peak = 0;
    // A full GC costs more the bigger the heap (a jest worker that ran many files holds a lot): sampling
    // waits ten times as long as the last GC took, so the measurement never starves the import.
    let sampler: NodeJS.Timeout;
    const sample = () => {
      const t0 = performance.now();
      gc();
      peak = Math.max(peak, process.memoryUsage().heapUsed - baseline);
      sampler = setTimeout(sample, Math.max(250, 10 * (performance.now() - t0)));
    };
    sampler = setTimeout(sample, 250);
    const started = Date.now();
    const job = fakeJob('process_bulk_upload', { upload_id: 'up1', filename: 'big.csv', format: 'csv' as const, size: 0 });
    const summary = await processBulkUpload(job, env.ctx).finally(() => clearTimeout(sampler));
    const seconds = (Date.now() - started) / 1000;

    expect(summary).toMatchObject({ rows_total: ROWS, rows_imported: ROWS, rows_invalid: 0 });
    expect(await env.ctx.store.count()).toBe(ROWS + 2000);
    expect(job.progress.length).toBeGreaterThanOrEqual(ROWS / 500);
    console.log(`100k rows in ${seconds.toFixed(1)} s; peak retained heap growth ${(peak / 1e6).toFixed(1)} MB vs ${(objectsBytes / 1e6).toFixed(1)} MB as objects`);
    // Only a sanity floor on the baseline (100k objects measured 19.8–25 MB across runs: GC timing moves it);
    // the verdict is the ratio below.
    expect(objectsBytes).toBeGreaterThan(10e6);
    expect(peak).toBeLessThan(objectsBytes / 3);
  // A guard against a hang, not a speed goal (throughput is `npm run bench`'s): alone the import takes
  // about 20 s here, beside other suites on two busy cores up to ~1.5 minutes.
  }, 420_000);
});
