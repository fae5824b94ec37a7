import type { CommandContext } from './command-context';
import { CtlError, ReleaseNotFoundError } from './errors';
import { releaseSelector } from './release';
import { deploymentVerdict, statefulSetVerdict, type WorkloadVerdict } from './verdicts';
import { watchUntil } from './watch-until';

export interface WaitOptions {
  /** Seconds to wait for every Deployment (and StatefulSet) to be rolled out and ready. @default 300 */
  readonly timeoutSeconds?: number;
}

const done = (d: WorkloadVerdict): boolean => d.rollout === 'rolled-out' && d.ready >= d.desired;

const summary = (ds: WorkloadVerdict[]): string =>
  ds.map((d) => `${d.name} ${d.ready}/${d.desired} ${done(d) ? 'ready' : d.message}`).join('; ');

/** `wait [--timeout s]`: until every Deployment and StatefulSet of the release is rolled out and ready, watching both. */
export async function waitCommand(ctx: CommandContext, opts: WaitOptions = {}): Promise<number> {
  const timeoutMs = (opts.timeoutSeconds ?? 300) * 1000;
  const started = Date.now();
  const { namespace } = ctx.client;
  const labelSelector = releaseSelector(ctx.release);
  let last = '';
  let pending: WorkloadVerdict[] = [];
  const ready = await watchUntil(
    ctx.client.kc,
    [
      { path: `/apis/apps/v1/namespaces/${namespace}/deployments`, labelSelector, list: () => ctx.client.apps.listNamespacedDeployment({ namespace, labelSelector }) },
      { path: `/apis/apps/v1/namespaces/${namespace}/statefulsets`, labelSelector, list: () => ctx.client.apps.listNamespacedStatefulSet({ namespace, labelSelector }) },
    ],
    ([deployments, statefulSets]) => {
      const verdicts = [...deployments.map(deploymentVerdict), ...statefulSets.map(statefulSetVerdict)];
      if (verdicts.length === 0) {
        throw new ReleaseNotFoundError(
          `Release "${ctx.release}" has no Deployments in namespace "${namespace}" (nothing labelled ${labelSelector}); check --namespace and --release.`,
        );
      }
      const line = summary(verdicts);
      if (line !== last) ctx.out.write(`${line}\n`);
      last = line;
      const failed = verdicts.find((d) => d.rollout === 'failed');
      if (failed) throw new CtlError(`${failed.kind} ${failed.name} failed to roll out: ${failed.message}`);
      pending = verdicts.filter((d) => !done(d));
      return pending.length === 0 ? verdicts.length : undefined;
    },
    timeoutMs,
  );
  if (ready === undefined) {
    const what = pending.map((d) => `${d.name} (${d.message})`).join(', ') || 'the first answer of the API';
    throw new CtlError(`Timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${what}; see \`npm run ctl -- status\`.`);
  }
  ctx.out.write(`All ${ready} workloads of ${ctx.release} are rolled out and ready (${Math.round((Date.now() - started) / 1000)}s).\n`);
  return 0;
}
