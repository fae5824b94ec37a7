import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg, totalmem } from 'node:os';

export interface Machine {
  readonly nproc: number;
  readonly cpu_model: string;
  readonly node: string;
  readonly memory_gb: number;
  readonly redis_version: string;
  /** 1-minute load average when the run started and when it ended: above 0 before start means others were busy. */
  readonly loadavg_start: number;
  loadavg_end?: number;
}

export function describeMachine(redisInfo: string): Machine {
  let cpu = 'unknown';
  try {
    cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpu;
  } catch {
    // not Linux
  }
  return {
    nproc: availableParallelism(),
    cpu_model: cpu,
    node: process.version,
    memory_gb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    redis_version: /redis_version:(\S+)/.exec(redisInfo)?.[1] ?? 'unknown',
    loadavg_start: loadavg()[0]!,
  };
}

export function machineLine(m: Machine): string {
  const load = m.loadavg_end === undefined ? `${m.loadavg_start.toFixed(2)}` : `${m.loadavg_start.toFixed(2)} -> ${m.loadavg_end.toFixed(2)}`;
  return `${m.nproc} CPUs (${m.cpu_model}), ${m.memory_gb} GB, Node ${m.node}, Redis ${m.redis_version}; load average ${load}`;
}
