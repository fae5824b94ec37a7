/**
 * V8 heap flags the worker runs with by default (`npm run start:worker`, `npm start`, the chart's
 * worker.nodeOptions, the bench). An import streams its file, so the live set stays small whatever the
 * file size; but without a cap V8 sizes the old space from the machine's memory and lets the heap grow
 * lazily to hundreds of MB of garbage before it collects. 384 MB of old space bounds that (the worker's
 * peak RSS then stays near 210 MB for a 100k- or a 1M-row CSV) and leaves room for the reports, which do
 * hold their data; 32 MB semi-spaces keep scavenges few and cheap, so throughput does not pay for the cap.
 */
export const WORKER_NODE_FLAGS = ['--max-old-space-size=384', '--max-semi-space-size=32'] as const;

/** The same flags as one NODE_OPTIONS string (the chart's default of worker.nodeOptions). */
export const WORKER_NODE_OPTIONS = WORKER_NODE_FLAGS.join(' ');

/** `--max_old_space_size=1024` → `--max-old-space-size`: V8 accepts both spellings of a flag. */
function flagName(arg: string): string {
  return arg.split('=', 1)[0]!.replace(/_/g, '-');
}

/**
 * `nodeOptions` (a NODE_OPTIONS value, possibly empty) with each of `flags` added in front unless it
 * already sets that flag: a user's own `--max-old-space-size` wins. The given string is kept as it is.
 */
export function withNodeFlags(nodeOptions: string | undefined, flags: readonly string[] = WORKER_NODE_FLAGS): string {
  const given = (nodeOptions ?? '').trim();
  const set = new Set(given.split(/\s+/).filter((t) => t.startsWith('--')).map(flagName));
  const missing = flags.filter((f) => !set.has(flagName(f)));
  return [...missing, ...(given ? [given] : [])].join(' ');
}
