#!/usr/bin/env node
import { parseCommandLine } from '../lib/command-line';
import type { CommandContext } from './command-context';
import { dashboardsCommand } from './dashboards';
import { describeError, UsageError } from './errors';
import type { LocalPorts } from './port-plan';
import { createKubeClient, type KubeClient } from './kube-client';
import { DEFAULT_RELEASE } from './release';
import { runCommand } from './run';
import { statusCommand } from './status';
import { waitCommand } from './wait';

export const USAGE = `usage: pca-agent-ctl <command> [options]   (npm run ctl -- <command> [options])

commands:
  status [--json]                      Deployments, autoscaling, CronJobs and problem pods of the release; exit 1 when unhealthy
  dashboards [--api-port 8000] [--jaeger-port 16686] [--dashboard-port 5555] [--grafana-port 3000]
                                       port-forward the API docs, Jaeger UI, queue dashboard and, when the
                                       cluster runs one (app.kubernetes.io/name=grafana), Grafana until Ctrl-C
  run <task> [--wait] [--timeout 600]  start a Job from the task's CronJob now (e.g. run cleanup_old_reports --wait)
  wait [--timeout 300]                 wait until every Deployment of the release is rolled out and ready

options:
  -n, --namespace <ns>     namespace of the release (default: the context's namespace)
  -r, --release <name>     Helm release name (default: ${DEFAULT_RELEASE})
      --context <name>     kubeconfig context (default: the current context)
      --kubeconfig <path>  kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)
`;

const OPTIONS = {
  namespace: { type: 'string', short: 'n' },
  release: { type: 'string', short: 'r' },
  context: { type: 'string' },
  kubeconfig: { type: 'string' },
  json: { type: 'boolean' },
  wait: { type: 'boolean' },
  timeout: { type: 'string' },
  'api-port': { type: 'string' },
  'jaeger-port': { type: 'string' },
  'dashboard-port': { type: 'string' },
  'grafana-port': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const GLOBAL = ['namespace', 'release', 'context', 'kubeconfig', 'help'];
const PER_COMMAND: Record<string, string[]> = {
  status: ['json'],
  dashboards: ['api-port', 'jaeger-port', 'dashboard-port', 'grafana-port'],
  run: ['wait', 'timeout'],
  wait: ['timeout'],
};

export interface CtlIo {
  readonly out: { write(text: string): unknown };
  readonly err: { write(text: string): unknown };
  readonly env?: NodeJS.ProcessEnv;
  /** Ends `dashboards`. @default SIGINT or SIGTERM */
  readonly signal?: AbortSignal;
}

function positiveNumber(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} must be a positive number, got "${value}"`);
  return n;
}

function portNumber(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new UsageError(`--${name} must be a port number between 1 and 65535, got "${value}"`);
  return n;
}

function signalOnInterrupt(): AbortSignal {
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return controller.signal;
}

/** Parses the command line, runs one command and returns the exit code; errors become one sentence. */
export async function runCtl(argv: string[], io: CtlIo): Promise<number> {
  let client: KubeClient | undefined;
  let namespace: string | undefined;
  try {
    const { values, positionals } = parseCommandLine({ args: argv, options: OPTIONS, allowPositionals: true });
    const [command, ...rest] = positionals;
    if (values.help || !command || command === 'help') {
      io.out.write(USAGE);
      return command || values.help ? 0 : 2;
    }
    const allowed = PER_COMMAND[command];
    if (!allowed) throw new UsageError(`unknown command "${command}"`);
    const stray = Object.keys(values).filter((k) => !GLOBAL.includes(k) && !allowed.includes(k));
    if (stray.length > 0) throw new UsageError(`${command} does not take ${stray.map((s) => `--${s}`).join(', ')}`);
    const maxArgs = command === 'run' ? 1 : 0;
    if (rest.length > maxArgs) throw new UsageError(`${command} takes ${maxArgs === 0 ? 'no arguments' : 'one task name'}, got: ${rest.join(' ')}`);
    if (command === 'run' && rest.length === 0) throw new UsageError('run needs a task name, e.g. run cleanup_old_reports');
    const timeoutSeconds = positiveNumber('timeout', values.timeout);
    const ports: Partial<LocalPorts> = {};
    for (const component of ['api', 'jaeger', 'dashboard', 'grafana'] as const) {
      const value = values[`${component}-port`];
      if (value !== undefined) ports[component] = portNumber(`${component}-port`, value);
    }

    namespace = values.namespace;
    client = createKubeClient({ kubeconfig: values.kubeconfig, context: values.context, namespace: values.namespace }, io.env ?? process.env);
    namespace = client.namespace;
    const ctx: CommandContext = { client, release: values.release ?? DEFAULT_RELEASE, out: io.out };
    switch (command) {
      case 'status':
        return await statusCommand(ctx, { json: values.json });
      case 'dashboards':
        return await dashboardsCommand(ctx, { ports }, io.signal ?? signalOnInterrupt());
      case 'run':
        return await runCommand(ctx, rest[0] as string, { wait: values.wait, timeoutSeconds });
      default:
        return await waitCommand(ctx, { timeoutSeconds });
    }
  } catch (err) {
    io.err.write(`pca-agent-ctl: ${describeError(err, { context: client?.context, server: client?.server, namespace })}\n`);
    if (err instanceof UsageError) {
      io.err.write(`\n${USAGE}`);
      return 2;
    }
    return 1;
  }
}

if (require.main === module) {
  runCtl(process.argv.slice(2), { out: process.stdout, err: process.stderr }).then(
    // Exit once stdout is flushed: undici's idle keep-alive sockets would otherwise hold the process a few seconds.
    (code) => process.stdout.write('', () => process.exit(code)),
    (err: unknown) => {
      process.stderr.write(`pca-agent-ctl: ${describeError(err)}\n`);
      process.exit(1);
    },
  );
}
