#!/usr/bin/env node
import { ConfigError } from './config/env';
import { BlobStoreConfigError } from './storage/blob-store';

// One entry point, one role per process: the container image runs any of them by command.
const USAGE = 'usage: main.js api | worker | dashboard | task <job_name> [--inline] [--timeout <s>] | restore <backup> [--force] | seed | smoke [--api-url <url>]';

// require (not import()) keeps every role on the CommonJS loader that OpenTelemetry instruments.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- see above
const load = <T>(path: string): T => require(path) as T;

async function main(argv: string[]): Promise<number | void> {
  const [role, ...rest] = argv;
  switch (role) {
    case 'api':
      return load<typeof import('./api/server')>('./api/server').runApi();
    case 'worker':
      return load<typeof import('./workers/main')>('./workers/main').runWorker();
    case 'dashboard':
      return load<typeof import('./dashboard/main')>('./dashboard/main').runDashboard();
    case 'task':
      return load<typeof import('./task/main')>('./task/main').runTask(rest);
    case 'restore':
      return load<typeof import('./restore/main')>('./restore/main').runRestore(rest);
    case 'smoke':
      return load<typeof import('./smoke/main')>('./smoke/main').runSmoke(rest);
    case 'seed':
      return load<typeof import('./seed/main')>('./seed/main').runSeed(rest);
    default:
      process.stderr.write(`${USAGE}\n`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (typeof code === 'number') process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof ConfigError || err instanceof BlobStoreConfigError) {
      process.stderr.write(`pca-agent: ${err.message}\n`);
      process.exit(78);
    }
    process.stderr.write(`pca-agent: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
