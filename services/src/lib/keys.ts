/**
 * Every Redis key the application owns (BullMQ's own keys live under `bullPrefix`). Keeping them in one
 * place lets tests and the cleanup task share a prefix without guessing.
 */
export function appKeys(prefix: string) {
  return {
    prefix,
    campaign: (id: string) => `${prefix}:campaign:${id}`,
    campaignIndexMembers: `${prefix}:campaign-index-members`,
    campaignIndex: (field: string) => `${prefix}:campaigns:idx:${field}`,
    campaignCount: `${prefix}:campaigns:count`,
    /** A random token every campaign write replaces: what a replica's cached list page is validated by. */
    campaignVersion: `${prefix}:campaigns:version`,
    seeded: `${prefix}:seeded`,
    rateLimit: `${prefix}:rl:`,
    dashboardLoginFailures: `${prefix}:dashboard-login:`,
    stats: (name: string) => `${prefix}:stats:${name}`,
    benchmarks: `${prefix}:benchmarks:latest`,
    systemHealth: `${prefix}:system:health`,
    upload: (id: string) => `${prefix}:upload:${id}`,
    artifact: (id: string) => `${prefix}:artifact:${id}`,
    artifactMeta: (id: string) => `${prefix}:artifact-meta:${id}`,
    artifactIndex: `${prefix}:artifacts:by-created`,
    uploadRows: (jobId: string) => `${prefix}:upload-rows:${jobId}`,
    scheduledLastSuccess: `${prefix}:scheduled:last-success`,
    backupLastSuccess: `${prefix}:backup:last-success`,
    uploadStage: (uploadId: string) => `${prefix}:upload-stage:${uploadId}`,
    uploadState: (uploadId: string) => `${prefix}:upload-state:${uploadId}`,
  };
}

export type AppKeys = ReturnType<typeof appKeys>;

/** BullMQ's key prefix for an install: queues live at `<bullPrefix>:<queue>:*`. */
export function bullPrefix(prefix: string): string {
  return `${prefix}:bull`;
}
