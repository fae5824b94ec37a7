import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { WiringError } from './wiring-error';

/*
 * On a shared machine a container that misses its address falls back to a default (REDIS_URL unset →
 * 127.0.0.1:6379) and may find someone else's server there, so "it worked" proves nothing. This
 * samples, from /proc, the TCP connections every container process opens and fails when one goes to a
 * port the harness did not hand out.
 */

interface Socket {
  readonly localPort: number;
  readonly remote: string;
  readonly remotePort: number;
  readonly listening: boolean;
}

function address(hex: string): string {
  if (hex.length === 8) return [3, 2, 1, 0].map((i) => parseInt(hex.slice(i * 2, i * 2 + 2), 16)).join('.');
  // /proc/net/tcp6 prints the address as four little-endian 32-bit words
  if (/^0{16}FFFF0000/i.test(hex)) return address(hex.slice(24));
  if (/^0{24}01000000$/i.test(hex)) return '::1';
  return `[${hex}]`;
}

function tcpTable(): Map<string, Socket> {
  const out = new Map<string, Socket>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[9] === '0') continue;
      const [, lp = '0'] = f[1]!.split(':');
      const [ra = '', rp = '0'] = f[2]!.split(':');
      out.set(f[9]!, { localPort: parseInt(lp, 16), remote: address(ra), remotePort: parseInt(rp, 16), listening: f[3] === '0A' });
    }
  }
  return out;
}

function socketInodes(pid: number): string[] {
  const out: string[] = [];
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) out.push(m[1]!);
      } catch {
        // closed meanwhile
      }
    }
  } catch {
    // exited
  }
  return out;
}

const LOOPBACK = new Set(['127.0.0.1', '::1']);

export class EgressMonitor {
  private readonly watched = new Map<number, { where: string; seen: Set<string> }>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly everyMs = 250) {}

  watch(pid: number | undefined, where: string): void {
    if (pid === undefined) return;
    this.watched.set(pid, { where, seen: new Set() });
    this.timer ??= setInterval(() => this.sample(), this.everyMs);
  }

  /** One look at every watched process's sockets (also called before a report). */
  sample(): void {
    const table = tcpTable();
    for (const [pid, w] of this.watched) {
      const mine = socketInodes(pid)
        .map((i) => table.get(i))
        .filter((s): s is Socket => s !== undefined);
      const listening = new Set(mine.filter((s) => s.listening).map((s) => s.localPort));
      for (const s of mine) if (!s.listening && !listening.has(s.localPort)) w.seen.add(`${s.remote}:${s.remotePort}`);
    }
  }

  /** Outbound connections per process, as `address:port`. */
  connections(): { where: string; peers: string[] }[] {
    return [...this.watched.values()].map((w) => ({ where: w.where, peers: [...w.seen].sort() }));
  }

  /** Throws naming every process that connected to a port outside `known`. */
  check(known: Set<number>): void {
    this.sample();
    const bad: string[] = [];
    for (const w of this.watched.values()) {
      const stray = [...w.seen].filter((peer) => {
        const i = peer.lastIndexOf(':');
        return !LOOPBACK.has(peer.slice(0, i)) || !known.has(Number(peer.slice(i + 1)));
      });
      if (stray.length) bad.push(`${w.where} connected to ${stray.join(', ')}`);
    }
    if (bad.length) {
      throw new WiringError(`connections to addresses that are no Service or stand-in of the release (a variable that fell back to a default, or a hard-coded address): ${bad.join('; ')}`);
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
