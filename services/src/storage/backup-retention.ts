/** Backups are `backups/<timestamp>.rdb`, the timestamp an ISO instant with `:` and `.` as `-`. */
export const BACKUP_PREFIX = 'backups/';

export function backupKey(at: Date): string {
  return `${BACKUP_PREFIX}${at.toISOString().replace(/[:.]/g, '-')}.rdb`;
}

/** The instant a backup key names, or null for a key that is not a backup. */
export function backupTime(key: string): Date | null {
  const m = /^backups\/(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})-(\d{3})Z\.rdb$/.exec(key);
  if (!m) return null;
  const d = new Date(`${m[1]}T${m[2]}:${m[3]}:${m[4]}.${m[5]}Z`);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** ISO-8601 week of a UTC date, as `YYYY-Www`. */
function isoWeek(d: Date): string {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day);
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((t.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${t.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

/**
 * Which backups to keep: the newest of each of the `daily` most recent days that have one, and the
 * newest of each of the `weekly` most recent ISO weeks. Everything else may be deleted.
 */
export function backupsToKeep(keys: readonly string[], daily: number, weekly: number): Set<string> {
  const dated = keys
    .map((key) => ({ key, at: backupTime(key) }))
    .filter((b): b is { key: string; at: Date } => b.at !== null)
    .sort((a, b) => b.at.getTime() - a.at.getTime());
  const keep = new Set<string>();
  const pick = (bucket: (d: Date) => string, count: number) => {
    const seen = new Set<string>();
    for (const b of dated) {
      const k = bucket(b.at);
      if (seen.has(k)) continue;
      if (seen.size >= count) break;
      seen.add(k);
      keep.add(b.key);
    }
  };
  pick((d) => d.toISOString().slice(0, 10), daily);
  pick(isoWeek, weekly);
  return keep;
}
