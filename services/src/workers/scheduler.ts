import type { Logger } from 'pino';
import { queueOf, SCHEDULED_JOBS, type ScheduledJobName } from '../queues/contract';
import { JOB_OPTIONS, type Queues } from '../queues/queues';

/**
 * Local schedules (`npm start`): the same jobs and cron patterns the Kubernetes CronJobs run, as BullMQ
 * job schedulers. When disabled they are removed, so a cluster never runs both.
 */
export async function syncSchedulers(queues: Queues, enabled: boolean, logger: Logger): Promise<void> {
  for (const name of Object.keys(SCHEDULED_JOBS) as ScheduledJobName[]) {
    const queue = queues[queueOf(name)];
    if (enabled) {
      await queue.upsertJobScheduler(name, { pattern: SCHEDULED_JOBS[name].schedule, tz: 'UTC' }, { name, data: {}, opts: JOB_OPTIONS[name] });
    } else if (await queue.removeJobScheduler(name)) {
      logger.info({ job: name }, 'removed local job scheduler (SCHEDULER_ENABLED=false)');
    }
  }
  if (enabled) logger.info({ jobs: Object.keys(SCHEDULED_JOBS) }, 'local job schedulers registered');
}
