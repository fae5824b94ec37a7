import { readFileSync } from 'node:fs';

export interface MemoryKb {
  /** Resident set size now. */
  readonly rss: number;
  /** Peak resident set size since the process started (VmHWM). */
  readonly hwm: number;
}

/** RSS and peak RSS in kB from /proc/<pid>/status (Linux). */
export function memoryKb(pid: number | 'self' = 'self'): MemoryKb {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text);
    if (!m) throw new Error(`/proc/${pid}/status has no ${name}`);
    return Number(m[1]);
  };
  return { rss: field('VmRSS'), hwm: field('VmHWM') };
}

const CLOCK_TICKS_PER_S = 100;

/** CPU time (user + system) a process has used so far, in seconds, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces): state is the first, utime the 12th, stime the 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S;
}
