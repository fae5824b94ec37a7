import { isIP, connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { RedisEndpoint } from './redis-endpoint';

export class SnapshotError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = this.constructor.name;
  }
}

const resp = (...args: string[]) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;

/** Reads a socket as lines and byte counts, one chunk at a time. */
class SocketReader {
  private buffered = Buffer.alloc(0);
  private readonly chunks: AsyncIterator<Buffer>;

  constructor(socket: Socket) {
    this.chunks = (socket as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  }

  private async more(): Promise<void> {
    const next = await this.chunks.next();
    if (next.done) throw new SnapshotError('Redis closed the connection before the snapshot was complete');
    this.buffered = Buffer.concat([this.buffered, next.value]);
  }

  async line(): Promise<string> {
    for (;;) {
      const at = this.buffered.indexOf('\r\n');
      if (at >= 0) {
        const text = this.buffered.subarray(0, at).toString('utf8');
        this.buffered = this.buffered.subarray(at + 2);
        return text;
      }
      await this.more();
    }
  }

  /** Skips the bare newlines a master sends while it prepares the RDB. */
  async skipKeepalives(): Promise<void> {
    for (;;) {
      while (this.buffered.length && this.buffered[0] === 0x0a) this.buffered = this.buffered.subarray(1);
      if (this.buffered.length) return;
      await this.more();
    }
  }

  async *bytes(count: number): AsyncGenerator<Buffer> {
    let left = count;
    while (left > 0) {
      if (!this.buffered.length) await this.more();
      const take = this.buffered.subarray(0, Math.min(left, this.buffered.length));
      this.buffered = this.buffered.subarray(take.length);
      left -= take.length;
      yield take;
    }
  }
}

async function open(ep: RedisEndpoint, timeoutMs: number): Promise<Socket> {
  // SNI takes host names only; an IP address is still checked against the certificate's IP entries.
  const tlsOptions = { host: ep.host, port: ep.port, ...(isIP(ep.host) ? {} : { servername: ep.host }), ...(ep.ca ? { ca: ep.ca } : {}) };
  const socket = ep.tls ? tlsConnect(tlsOptions) : netConnect({ host: ep.host, port: ep.port });
  socket.setTimeout(timeoutMs, () => socket.destroy(new SnapshotError(`no data from Redis at ${ep.host}:${ep.port} for ${timeoutMs} ms`)));
  await new Promise<void>((resolve, reject) => {
    socket.once(ep.tls ? 'secureConnect' : 'connect', () => resolve());
    socket.once('error', (err: Error) => reject(new SnapshotError(`cannot connect to Redis at ${ep.host}:${ep.port}: ${err.message}`, { cause: err })));
  });
  return socket;
}

/**
 * A consistent point-in-time snapshot of the whole Redis (every database), as `redis-cli --rdb` takes
 * it: the replication handshake's SYNC makes Redis fork and send an RDB file, streamed here chunk by
 * chunk. Works against the chart's Redis and any Redis that allows SYNC for the user (managed services
 * that disable it, such as ElastiCache or Memorystore, do not).
 */
export async function* rdbSnapshot(ep: RedisEndpoint, opts: { timeoutMs?: number } = {}): AsyncGenerator<Buffer> {
  const socket = await open(ep, opts.timeoutMs ?? 60_000);
  try {
    const reader = new SocketReader(socket);
    if (ep.password) {
      socket.write(ep.username ? resp('AUTH', ep.username, ep.password) : resp('AUTH', ep.password));
      const reply = await reader.line();
      if (!reply.startsWith('+')) throw new SnapshotError(`Redis refused AUTH: ${reply.slice(1)}`);
    }
    socket.write(resp('SYNC'));
    await reader.skipKeepalives();
    const header = await reader.line();
    if (header.startsWith('-')) throw new SnapshotError(`Redis refused SYNC (${header.slice(1)}): this Redis does not allow snapshots over the replication protocol`);
    const m = /^\$(\d+)$/.exec(header);
    if (!m) throw new SnapshotError(`unexpected reply to SYNC: ${JSON.stringify(header.slice(0, 80))}`);
    let first = true;
    for await (const chunk of reader.bytes(Number(m[1]))) {
      if (first && !chunk.subarray(0, 5).equals(Buffer.from('REDIS'))) throw new SnapshotError('the SYNC payload is not an RDB file');
      first = false;
      yield chunk;
    }
  } finally {
    socket.destroy();
  }
}
