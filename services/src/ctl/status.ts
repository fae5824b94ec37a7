import { nowOf, type CommandContext } from './command-context';
import { fetchRelease } from './release';
import { table } from './table';
import { assessRelease, type Level, type ReleaseVerdict } from './verdicts';

const MARK: Record<Level, string> = { ok: 'ok', warning: 'WARN', unhealthy: 'FAIL' };

const ago = (iso: string | null, now: Date): string => {
  if (!iso) return '-';
  const s = Math.max(0, Math.round((now.getTime() - new Date(iso).getTime()) / 1000));
  if (s < 120) return `${s}s ago`;
  if (s < 7200) return `${Math.round(s / 60)}m ago`;
  if (s < 172800) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86400)}d ago`;
};

/** The one screen of `status`. */
export function renderStatus(v: ReleaseVerdict, head: { release: string; namespace: string; context: string }, now: Date): string {
  const parts = [
    `Release ${head.release} in namespace ${head.namespace} (context ${head.context}): ${v.healthy ? (v.level === 'ok' ? 'healthy' : 'healthy, with warnings') : 'UNHEALTHY'}\n`,
  ];
  parts.push(
    '\n' +
      table(
        ['WORKLOAD', 'COMPONENT', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'ROLLOUT', 'CHECK', 'DETAIL'],
        v.workloads.map((d) => [`${d.kind === 'Deployment' ? 'deploy' : 'sts'}/${d.name}`, d.component, `${d.ready}/${d.desired}`, String(d.updated), String(d.available), d.rollout, MARK[d.level], d.message]),
      ),
  );
  if (v.autoscalers.length > 0) {
    parts.push(
      '\n' +
        table(
          ['AUTOSCALER', 'KIND', 'TARGET', 'READY', 'REPLICAS', 'MIN/MAX', 'CHECK', 'DETAIL'],
          v.autoscalers.map((a) => [
            a.name,
            a.kind,
            a.target,
            a.ready === null ? '?' : String(a.ready),
            a.current === null ? '?' : String(a.current),
            `${a.min ?? '?'}/${a.max ?? '?'}`,
            MARK[a.level],
            a.message,
          ]),
        ),
    );
  }
  if (v.cronJobs.length > 0) {
    parts.push(
      '\n' +
        table(
          ['CRONJOB', 'TASK', 'SCHEDULE', 'SUSPENDED', 'LAST SCHEDULE', 'LAST SUCCESS', 'CHECK', 'DETAIL'],
          v.cronJobs.map((c) => [c.name, c.task, c.schedule, String(c.suspended), ago(c.lastSchedule, now), ago(c.lastSuccessful, now), MARK[c.level], c.message]),
        ),
    );
  }
  parts.push(
    v.pods.length === 0
      ? '\nAll pods ready, none restarted.\n'
      : '\n' +
          table(
            ['POD', 'COMPONENT', 'PHASE', 'READY', 'RESTARTS', 'REASON', 'CHECK', 'DETAIL'],
            v.pods.map((p) => [p.name, p.component, p.phase, String(p.ready), String(p.restarts), p.reason, MARK[p.level], p.message]),
          ),
  );
  return parts.join('');
}

/** `status [--json]`: exit 0 when healthy (warnings allowed), 1 when anything is unhealthy. */
export async function statusCommand(ctx: CommandContext, opts: { json?: boolean } = {}): Promise<number> {
  const objects = await fetchRelease(ctx.client, ctx.release);
  const now = nowOf(ctx);
  const verdict = assessRelease(objects, now);
  const head = { release: ctx.release, namespace: ctx.client.namespace, context: ctx.client.context };
  ctx.out.write(opts.json ? `${JSON.stringify({ ...head, ...verdict }, null, 2)}\n` : renderStatus(verdict, head, now));
  return verdict.healthy ? 0 : 1;
}
