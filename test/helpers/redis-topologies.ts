import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis, type RedisOptions } from 'ioredis';
import { ChildRun, freePort } from './child-process';
import { waitFor } from './wait';

const run = promisify(execFile);

/** One private redis-server (or sentinel) process in `dir`; `kill()` is a crash. */
export class RedisNode {
  private readonly proc: ChildRun;
  readonly exited: Promise<void>;

  constructor(
    readonly port: number,
    readonly dir: string,
    args: readonly string[],
    /** What `client()` and `waitPong()` connect with by default (TLS, a user). */
    private readonly defaults: RedisOptions = {},
  ) {
    this.proc = new ChildRun(`redis-server :${port}`, ['redis-server', ...args], { cwd: dir, env: process.env, keepChars: 16 * 1024 });
    this.exited = this.proc.exited.then(() => undefined);
  }

  get running(): boolean {
    return this.proc.running;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** A plain client for setup and assertions (caller quits it). */
  client(opts: RedisOptions = {}): Redis {
    const c = new Redis({ host: '127.0.0.1', port: this.port, maxRetriesPerRequest: 1, retryStrategy: () => null, lazyConnect: true, ...this.defaults, ...opts });
    c.on('error', () => undefined);
    return c;
  }

  async waitPong(opts: RedisOptions = {}): Promise<void> {
    const probe = this.client(opts);
    try {
      await waitFor(`redis on ${this.port}`, async () => {
        if (!this.running) throw new Error(`redis on ${this.port} exited`);
        if (probe.status !== 'ready') await probe.connect().catch(() => undefined);
        // LOADING while a replica syncs or an AOF is replayed: wait for a real PONG
        return (await probe.ping()) === 'PONG';
      }, 15_000);
    } finally {
      probe.disconnect();
    }
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    this.proc.signal(signal);
    await this.exited;
  }
}

/**
 * A private redis-server on its own port with its data (AOF, fsync on every write) in a temp dir, so
 * a test can crash it and start it again on the same port and data. `close()` kills it and removes the dir.
 */
export class RedisServer {
  private node: RedisNode | undefined;
  readonly dir: string;

  private constructor(
    readonly port: number,
    private readonly aof: boolean,
    readonly password: string | undefined,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), 'pca-redis-'));
  }

  /** `port`: a given free port instead of one picked here; `password`: `--requirepass`. */
  static async start(opts: { aof?: boolean; port?: number; password?: string } = {}): Promise<RedisServer> {
    const r = new RedisServer(opts.port ?? (await freePort()), opts.aof ?? true, opts.password);
    await r.start();
    return r;
  }

  get url(): string {
    return `redis://${this.password === undefined ? '' : `:${encodeURIComponent(this.password)}@`}127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.node?.running ?? false;
  }

  async start(): Promise<void> {
    if (this.running) return;
    const persistence = this.aof ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
    const auth = this.password === undefined ? [] : ['--requirepass', this.password];
    this.node = new RedisNode(this.port, this.dir, ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', ...persistence, ...auth]);
    await this.node.waitPong(this.password === undefined ? {} : { password: this.password });
  }

  /** Stops the server (SIGKILL by default: a crash; with `appendfsync always` nothing acknowledged is lost). */
  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const node = this.node;
    this.node = undefined;
    await node?.kill(signal);
  }

  /** A plain client for assertions (caller quits it). */
  client(): Redis {
    return new Redis(this.url, { maxRetriesPerRequest: 1 });
  }

  async close(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const NO_PERSISTENCE = ['--save', '', '--appendonly', 'no'];

/** A data node; with `tls` it listens on TLS only and replicates over TLS. */
async function dataNode(root: string, name: string, extra: readonly string[] = [], tls?: TlsFiles): Promise<RedisNode> {
  const port = await freePort();
  const dir = join(root, name);
  mkdirSync(dir);
  const listen = tls
    ? ['--port', '0', '--tls-port', String(port), '--tls-replication', 'yes', ...tlsServerArgs(tls)]
    : ['--port', String(port)];
  const node = new RedisNode(port, dir, [...listen, '--bind', '127.0.0.1', '--dir', dir, ...NO_PERSISTENCE, ...extra], tls ? tlsClientOptions(tls) : {});
  await node.waitPong();
  return node;
}

export interface TlsFiles {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

/** Server certificate and CA; clients need no certificate of their own. */
const tlsServerArgs = (tls: TlsFiles) => ['--tls-cert-file', tls.cert, '--tls-key-file', tls.key, '--tls-ca-cert-file', tls.ca, '--tls-auth-clients', 'no'];
const tlsClientOptions = (tls: TlsFiles): RedisOptions => ({ tls: { ca: [readFileSync(tls.ca)] } });

export interface SentinelSetOptions {
  /** Primary, replica and sentinels speak TLS only (replication and the sentinels' links too). */
  readonly tls?: TlsFiles;
  /** The sentinels' default user is off: clients and the other sentinels log in as this ACL user. */
  readonly sentinelUser?: { readonly name: string; readonly password: string };
}

/**
 * One primary, one replica and three sentinels (quorum 2) from Debian's redis-server, with short timeouts
 * (`down-after-milliseconds` 1000) so a failover takes seconds. Ready once every sentinel knows the replica
 * and the other sentinels, i.e. once a failover can happen.
 */
export class SentinelSet {
  static readonly MASTER = 'pcamaster';

  private constructor(
    readonly root: string,
    readonly primary: RedisNode,
    readonly replica: RedisNode,
    readonly sentinels: readonly RedisNode[],
  ) {}

  static async start(opts: SentinelSetOptions = {}): Promise<SentinelSet> {
    const root = mkdtempSync(join(tmpdir(), 'pca-sentinel-'));
    const { tls, sentinelUser } = opts;
    const primary = await dataNode(root, 'primary', [], tls);
    const replica = await dataNode(root, 'replica', ['--replicaof', '127.0.0.1', String(primary.port)], tls);
    const sentinels: RedisNode[] = [];
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const dir = join(root, `sentinel-${i}`);
      mkdirSync(dir);
      const conf = join(dir, 'sentinel.conf');
      writeFileSync(
        conf,
        [
          ...(tls
            ? ['port 0', `tls-port ${port}`, 'tls-replication yes', `tls-cert-file ${tls.cert}`, `tls-key-file ${tls.key}`, `tls-ca-cert-file ${tls.ca}`, 'tls-auth-clients no']
            : [`port ${port}`]),
          'bind 127.0.0.1',
          `dir ${dir}`,
          ...(sentinelUser
            ? ['user default off', `user ${sentinelUser.name} on >${sentinelUser.password} ~* &* +@all`, `sentinel sentinel-user ${sentinelUser.name}`, `sentinel sentinel-pass ${sentinelUser.password}`]
            : []),
          `sentinel monitor ${SentinelSet.MASTER} 127.0.0.1 ${primary.port} 2`,
          `sentinel down-after-milliseconds ${SentinelSet.MASTER} 1000`,
          `sentinel failover-timeout ${SentinelSet.MASTER} 10000`,
          `sentinel parallel-syncs ${SentinelSet.MASTER} 1`,
          '',
        ].join('\n'),
      );
      const login: RedisOptions = sentinelUser ? { username: sentinelUser.name, password: sentinelUser.password } : {};
      sentinels.push(new RedisNode(port, dir, [conf, '--sentinel'], { ...(tls ? tlsClientOptions(tls) : {}), ...login }));
    }
    const set = new SentinelSet(root, primary, replica, sentinels);
    try {
      await Promise.all(sentinels.map((s) => s.waitPong()));
      await waitFor('the replica in sync', async () => (await set.info(replica, 'replication')).includes('master_link_status:up'), 20_000, 100);
      for (const s of sentinels) {
        await waitFor(`sentinel ${s.port} to know the replica and the other sentinels`, async () => {
          const c = s.client();
          try {
            const master = (await c.call('SENTINEL', 'MASTER', SentinelSet.MASTER)) as string[];
            const field = (k: string) => Number(master[master.indexOf(k) + 1]);
            return field('num-slaves') >= 1 && field('num-other-sentinels') >= 2;
          } finally {
            c.disconnect();
          }
        }, 30_000, 200);
      }
    } catch (err) {
      await set.close();
      throw err;
    }
    return set;
  }

  get sentinelAddresses(): string {
    return this.sentinels.map((s) => s.address).join(',');
  }

  async info(node: RedisNode, section: string): Promise<string> {
    const c = node.client();
    try {
      return await c.info(section);
    } finally {
      c.disconnect();
    }
  }

  /** The primary's address as a sentinel reports it now. */
  async masterAddress(sentinel: RedisNode = this.sentinels[0]!): Promise<string> {
    const c = sentinel.client();
    try {
      const [host, port] = (await c.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', SentinelSet.MASTER)) as [string, string];
      return `${host}:${port}`;
    } finally {
      c.disconnect();
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.primary, this.replica, ...this.sentinels].map((n) => n.kill()));
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** A Redis Cluster of three primaries (no replicas) built with `redis-cli --cluster create`. */
export class RedisClusterSet {
  private constructor(
    readonly root: string,
    readonly nodes: readonly RedisNode[],
  ) {}

  static async start(): Promise<RedisClusterSet> {
    const root = mkdtempSync(join(tmpdir(), 'pca-cluster-'));
    const nodes: RedisNode[] = [];
    const set = new RedisClusterSet(root, nodes);
    try {
      for (let i = 0; i < 3; i++) {
        nodes.push(await dataNode(root, `node-${i}`, ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000']));
      }
      await run('redis-cli', ['--cluster', 'create', ...nodes.map((n) => n.address), '--cluster-replicas', '0', '--cluster-yes'], { timeout: 30_000 });
      for (const n of nodes) {
        await waitFor(`cluster_state:ok on ${n.port}`, async () => {
          const c = n.client();
          try {
            return ((await c.call('CLUSTER', 'INFO')) as string).includes('cluster_state:ok');
          } finally {
            c.disconnect();
          }
        }, 20_000, 100);
      }
    } catch (err) {
      await set.close();
      throw err;
    }
    return set;
  }

  get addresses(): string {
    return this.nodes.map((n) => n.address).join(',');
  }

  /** The node that serves `key`'s slot (CLUSTER KEYSLOT, then CLUSTER SLOTS). */
  async nodeOf(key: string): Promise<RedisNode> {
    const c = this.nodes[0]!.client();
    try {
      const slot = (await c.call('CLUSTER', 'KEYSLOT', key)) as number;
      const ranges = (await c.call('CLUSTER', 'SLOTS')) as [number, number, [string, number, ...unknown[]], ...unknown[]][];
      const range = ranges.find(([from, to]) => slot >= from && slot <= to);
      if (!range) throw new Error(`no node serves slot ${slot}`);
      const port = range[2][1];
      const node = this.nodes.find((n) => n.port === port);
      if (!node) throw new Error(`slot ${slot} is on unknown port ${port}`);
      return node;
    } finally {
      c.disconnect();
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.kill()));
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** A CA and a server certificate for 127.0.0.1/localhost, generated with openssl into `dir`. */
export async function generateTlsFiles(dir: string): Promise<TlsFiles> {
  const f = (n: string) => join(dir, n);
  const openssl = (...args: string[]) => run('openssl', args, { cwd: dir, timeout: 30_000 });
  await openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '2', '-subj', '/CN=pca-test-ca');
  await openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=localhost');
  writeFileSync(f('san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await openssl('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('server.pem'), '-days', '2', '-extfile', f('san.ext'));
  return { ca: f('ca.pem'), cert: f('server.pem'), key: f('server.key') };
}

/**
 * A TLS-only redis-server (no plaintext port) with ACLs as managed services run it: the default user is
 * off and `user` may do everything with `password`.
 */
export async function startTlsRedis(root: string, user: string, password: string): Promise<{ node: RedisNode; ca: string }> {
  const tls = await generateTlsFiles(root);
  const port = await freePort();
  const dir = join(root, 'tls-redis');
  mkdirSync(dir);
  const node = new RedisNode(port, dir, [
    '--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1', '--dir', dir, ...NO_PERSISTENCE,
    ...tlsServerArgs(tls),
    '--user', 'default', 'off',
    '--user', user, 'on', `>${password}`, '~*', '&*', '+@all',
  ]);
  await node.waitPong({ username: user, password, tls: { ca: [readFileSync(tls.ca)] } });
  return { node, ca: tls.ca };
}
