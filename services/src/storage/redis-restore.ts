import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { Redis } from 'ioredis';

export class RestoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = this.constructor.name;
  }
}

export interface RdbSource {
  readonly size: number;
  open(): Promise<Readable>;
}

export interface RestoreOptions {
  /** The address the target Redis connects back to. @default this side's address of the connection to it */
  readonly advertiseHost?: string;
  /** @default '0.0.0.0' */
  readonly listenHost?: string;
  /** @default 600000 */
  readonly timeoutMs?: number;
}

/** Keys in every database of the target (INFO keyspace). */
export async function keyCount(redis: Redis): Promise<number> {
  const info = await redis.info('keyspace');
  let total = 0;
  for (const m of info.matchAll(/^db\d+:keys=(\d+)/gm)) total += Number(m[1]);
  return total;
}

function field(info: string, name: string): string | undefined {
  return new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();
}

/** Splits what a replica sends into commands (RESP arrays, or inline commands). */
function commands(onCommand: (args: string[]) => void): (chunk: Buffer) => void {
  let buf = '';
  return (chunk) => {
    buf += chunk.toString('latin1');
    for (;;) {
      if (buf.startsWith('*')) {
        const args: string[] = [];
        let at = buf.indexOf('\r\n');
        if (at < 0) return;
        const n = Number(buf.slice(1, at));
        let pos = at + 2;
        for (let i = 0; i < n; i++) {
          at = buf.indexOf('\r\n', pos);
          if (at < 0) return;
          const len = Number(buf.slice(pos + 1, at));
          if (buf.length < at + 2 + len + 2) return;
          args.push(buf.slice(at + 2, at + 2 + len));
          pos = at + 2 + len + 2;
        }
        buf = buf.slice(pos);
        onCommand(args);
      } else {
        const at = buf.indexOf('\n');
        if (at < 0) return;
        const line = buf.slice(0, at).trim();
        buf = buf.slice(at + 1);
        if (line) onCommand(line.split(/\s+/));
      }
    }
  };
}

/**
 * Loads an RDB snapshot into the target Redis through a connection: this process poses as a master
 * (`REPLICAOF <us>`), answers the target's PSYNC with a full resync carrying the snapshot, waits until
 * the target has loaded it, then detaches it again (`REPLICAOF NO ONE`). The target replaces all of its
 * data with the snapshot's, exactly (every database, TTLs, streams), as any replica does. Needs a target
 * that allows REPLICAOF, can connect back to this process, and reads the snapshot's RDB version (the same
 * Redis version or newer).
 */
export async function restoreRdb(target: Redis, rdb: RdbSource, opts: RestoreOptions = {}): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 600_000);
  const sockets = new Set<Socket>();
  let served = false;
  let serveError: unknown;
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.on(
      'data',
      commands((args) => {
        const cmd = (args[0] ?? '').toUpperCase();
        if (cmd === 'PING') socket.write('+PONG\r\n');
        else if (cmd === 'PSYNC' || cmd === 'SYNC') {
          if (cmd === 'PSYNC') socket.write(`+FULLRESYNC ${randomBytes(20).toString('hex')} 0\r\n`);
          socket.write(`$${rdb.size}\r\n`);
          rdb.open().then(
            (body) => {
              body.on('error', (err) => {
                serveError = err;
                socket.destroy();
              });
              body.on('end', () => {
                served = true;
              });
              body.pipe(socket, { end: false });
            },
            (err: unknown) => {
              serveError = err;
              socket.destroy();
            },
          );
        } else if (cmd === 'REPLCONF' || cmd === 'AUTH') {
          // REPLCONF ACK carries no reply
          if ((args[1] ?? '').toUpperCase() !== 'ACK') socket.write('+OK\r\n');
        } else socket.write(`-ERR ${cmd} is not served by the restore\r\n`);
      }),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, opts.listenHost ?? '0.0.0.0', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = opts.advertiseHost ?? (target.stream.localAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
  try {
    await target.call('REPLICAOF', host, String(port));
    for (;;) {
      if (serveError) throw new RestoreError(`reading the backup failed: ${(serveError as Error).message}`, { cause: serveError });
      const info = await target.info().catch(() => '');
      const linkUp = field(info, 'master_link_status') === 'up';
      if (served && linkUp && field(info, 'master_sync_in_progress') === '0' && field(info, 'loading') === '0') return;
      if (Date.now() > deadline) {
        throw new RestoreError(
          `the target did not load the backup in time (master_link_status ${field(info, 'master_link_status') ?? '?'}, sync in progress ${field(info, 'master_sync_in_progress') ?? '?'}): can it reach ${host}:${port}? (--advertise-host)`,
        );
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await target.call('REPLICAOF', 'NO', 'ONE').catch(() => undefined);
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
