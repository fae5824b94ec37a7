import { parseCommandLine } from '../lib/command-line';
import { loadConfig } from '../config/env';
import { closeRedis, createRedis } from '../lib/redis';
import { TOOL_NAMES } from '../telemetry/service-names';
import { CampaignStore } from '../domain/campaign-store';
import { seedCampaigns, seedIfEmpty } from '../domain/seed';

const USAGE = 'usage: main.js seed [--seed <n>] [--count <n>] [--if-empty]';

/** `npm run seed`: loads the sample dataset into REDIS_URL under REDIS_KEY_PREFIX. Returns the exit code. */
export async function runSeed(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseCommandLine({
      args,
      options: { seed: { type: 'string', default: '42' }, count: { type: 'string', default: '300' }, 'if-empty': { type: 'boolean', default: false } },
    }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const seed = Number(values.seed);
  const count = Number(values.count);
  if (!Number.isInteger(seed) || !Number.isInteger(count) || count < 1 || count > 100_000) {
    process.stderr.write(`--seed must be an integer and --count an integer from 1 to 100000\n${USAGE}\n`);
    return 2;
  }
  const cfg = loadConfig();
  const redis = createRedis(cfg, 'worker', TOOL_NAMES.seed);
  try {
    // Worker connections wait for Redis forever; a command-line tool should say so and stop instead.
    const reachable = await Promise.race([redis.ping().then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 5000).unref())]);
    if (!reachable) {
      process.stderr.write(`Redis is not reachable at ${cfg.REDIS_URL.replace(/\/\/[^@/]*@/, '//***@')}\n`);
      return 1;
    }
    const store = new CampaignStore(redis, cfg.REDIS_KEY_PREFIX);
    const n = values['if-empty'] ? await seedIfEmpty(store, { seed, count }) : await seedCampaigns(store, { seed, count });
    process.stdout.write(
      n ? `seeded ${n} campaigns (seed ${seed}) under prefix "${cfg.REDIS_KEY_PREFIX}"\n` : `store not empty; nothing seeded (prefix "${cfg.REDIS_KEY_PREFIX}")\n`,
    );
    return 0;
  } finally {
    await closeRedis(redis);
  }
}
