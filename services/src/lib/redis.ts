import { readFileSync } from 'node:fs';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { Config } from '../config/env';

export type RedisRole = 'request' | 'worker';

/** A connection of any topology: a single Redis or a Sentinel-managed primary (`Redis`), or a Redis Cluster. */
export type RedisClient = Redis | Cluster;

export type RedisMode = 'single' | 'sentinel' | 'cluster';

/** What the factory reads from the configuration (tests and tools pass just these). */
export type RedisConnectionConfig = Pick<Config, 'REDIS_URL' | 'REDIS_COMMAND_TIMEOUT_MS'> &
  Partial<
    Pick<
      Config,
      | 'REDIS_USERNAME'
      | 'REDIS_PASSWORD'
      | 'REDIS_SENTINELS'
      | 'REDIS_SENTINEL_NAME'
      | 'REDIS_SENTINEL_USERNAME'
      | 'REDIS_SENTINEL_PASSWORD'
      | 'REDIS_SENTINEL_TLS'
      | 'REDIS_CLUSTER_NODES'
      | 'REDIS_TLS_CA_FILE'
    >
  >;

export function redisMode(cfg: Pick<RedisConnectionConfig, 'REDIS_SENTINELS' | 'REDIS_CLUSTER_NODES'>): RedisMode {
  if (cfg.REDIS_CLUSTER_NODES?.length) return 'cluster';
  if (cfg.REDIS_SENTINELS?.length) return 'sentinel';
  return 'single';
}

function hostPort(endpoint: string): { host: string; port: number } {
  const at = endpoint.lastIndexOf(':');
  return { host: endpoint.slice(0, at), port: Number(endpoint.slice(at + 1)) };
}

/**
 * Credentials, database and TLS from REDIS_URL (in every mode) and the separate variables. Credentials in the
 * URL win; REDIS_USERNAME/REDIS_PASSWORD apply when it has none, so a password with URL-special characters
 * never has to be percent-encoded. TLS is on with rediss:// or a CA file.
 */
function endpointOptions(cfg: RedisConnectionConfig): { host: string; port: number; username?: string; password?: string; db: number; tls?: TlsOptions } {
  const url = new URL(cfg.REDIS_URL);
  const username = url.username ? decodeURIComponent(url.username) : cfg.REDIS_USERNAME;
  const password = url.password ? decodeURIComponent(url.password) : cfg.REDIS_PASSWORD;
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1',
    port: url.port ? Number(url.port) : 6379,
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    db: Number(url.pathname.replace(/^\//, '') || '0'),
    ...(tlsOn(cfg) ? { tls: tlsOptions(cfg) } : {}),
  };
}

/** TLS to the Redis servers: rediss:// or a CA file. */
function tlsOn(cfg: Pick<RedisConnectionConfig, 'REDIS_URL' | 'REDIS_TLS_CA_FILE'>): boolean {
  return new URL(cfg.REDIS_URL).protocol === 'rediss:' || cfg.REDIS_TLS_CA_FILE !== undefined;
}

/** The CA file when one is given; otherwise the system CAs. */
function tlsOptions(cfg: Pick<RedisConnectionConfig, 'REDIS_TLS_CA_FILE'>): TlsOptions {
  return cfg.REDIS_TLS_CA_FILE ? { ca: readFileSync(cfg.REDIS_TLS_CA_FILE) } : {};
}

/** TLS to the sentinels: REDIS_SENTINEL_TLS, else as the primary. */
function sentinelTls(cfg: RedisConnectionConfig): { sentinelTLS?: TlsOptions } {
  return (cfg.REDIS_SENTINEL_TLS ?? tlsOn(cfg)) ? { sentinelTLS: tlsOptions(cfg) } : {};
}

/**
 * One factory for every Redis connection, in every topology: single (REDIS_URL), Sentinel (REDIS_SENTINELS:
 * ioredis asks the sentinels for the primary and follows failovers) or Cluster (REDIS_CLUSTER_NODES), with
 * TLS (rediss://, REDIS_TLS_CA_FILE) and ACL users. Request-path connections fail fast while Redis is down or
 * failing over (no offline queue, bounded retries per command) so the API answers 503 instead of hanging;
 * worker connections block and retry forever, as BullMQ requires (`maxRetriesPerRequest: null`).
 */
export function createRedis(cfg: RedisConnectionConfig, role: RedisRole, name?: string): RedisClient {
  const { host, port, db, ...auth } = endpointOptions(cfg);
  const roleOptions: RedisOptions =
    role === 'worker'
      ? { maxRetriesPerRequest: null, enableReadyCheck: true }
      : { maxRetriesPerRequest: 1, enableOfflineQueue: false, commandTimeout: cfg.REDIS_COMMAND_TIMEOUT_MS };
  const common: RedisOptions = {
    connectionName: name,
    ...auth,
    lazyConnect: false,
    retryStrategy: (attempt) => Math.min(100 * 2 ** Math.min(attempt, 5), 2000),
    // A primary demoted by a failover answers READONLY: reconnect, and Sentinel hands out the new primary.
    reconnectOnError: (err) => err.message.startsWith('READONLY'),
    ...roleOptions,
  };
  let client: RedisClient;
  const mode = redisMode(cfg);
  if (mode === 'cluster') {
    const { enableOfflineQueue, ...nodeOptions } = common;
    const options: ClusterOptions = {
      redisOptions: nodeOptions,
      ...(enableOfflineQueue === false ? { enableOfflineQueue: false } : {}),
      enableReadyCheck: true,
      clusterRetryStrategy: (attempt) => Math.min(100 * 2 ** Math.min(attempt, 5), 2000),
      // Managed services (ElastiCache, Memorystore) hand out node addresses their certificates name; resolving
      // them to IPs first would fail the TLS host check.
      ...(auth.tls ? { dnsLookup: (address, callback) => callback(null, address) } : {}),
    };
    client = new Cluster((cfg.REDIS_CLUSTER_NODES ?? []).map(hostPort), options);
  } else if (mode === 'sentinel') {
    client = new Redis({
      ...common,
      db,
      sentinels: (cfg.REDIS_SENTINELS ?? []).map(hostPort),
      name: cfg.REDIS_SENTINEL_NAME,
      ...(cfg.REDIS_SENTINEL_USERNAME ? { sentinelUsername: cfg.REDIS_SENTINEL_USERNAME } : {}),
      ...(cfg.REDIS_SENTINEL_PASSWORD ? { sentinelPassword: cfg.REDIS_SENTINEL_PASSWORD } : {}),
      // ioredis keeps the two apart: `tls` + enableTLSForSentinelMode for the primary, sentinelTLS for the sentinels.
      ...(auth.tls ? { enableTLSForSentinelMode: true } : {}),
      ...sentinelTls(cfg),
      // Subscribes to the sentinels' +switch-master, so a primary that is still up but demoted is left at once.
      failoverDetector: true,
      sentinelRetryStrategy: (attempt) => Math.min(100 * 2 ** Math.min(attempt, 5), 2000),
    });
  } else {
    client = new Redis({ ...common, host, port, db });
  }
  // Errors surface through the commands that fail; without a listener ioredis prints every reconnect attempt.
  client.on('error', () => undefined);
  return client;
}

/** Quits a connection, falling back to disconnect when Redis is unreachable; safe to call twice. */
export async function closeRedis(client: RedisClient | undefined): Promise<void> {
  if (!client || client.status === 'end') return;
  try {
    await Promise.race([client.quit(), new Promise((_, reject) => setTimeout(() => reject(new Error('quit timeout')), 1000))]);
  } catch {
    // unreachable: disconnect below
  } finally {
    // Also after a clean QUIT: only disconnect() closes the sentinel subscriptions of ioredis' failover detector.
    client.disconnect();
  }
}

/**
 * INFO of the Redis that holds `key`: on a cluster the primary of the key's slot (every key of an install shares
 * one slot, so that node's memory is the install's), not whichever node ioredis would pick.
 */
export async function infoOf(client: RedisClient, key: string, section: string): Promise<string> {
  return (await nodeOf(client, key)).info(section);
}

/** The connection to the Redis that holds `key`: the client itself, or on a cluster its node for the key's slot. */
export async function nodeOf(client: RedisClient, key: string): Promise<RedisClient> {
  if (!(client instanceof Cluster)) return client;
  const owner = await slotOwner(client, key);
  return client.nodes('master').find((n) => n.options.host === owner.host && n.options.port === owner.port) ?? client;
}

/** The primary that serves `key`'s slot on a cluster, as the cluster announces it (CLUSTER SLOTS). */
export async function slotOwner(client: Cluster, key: string): Promise<{ host: string; port: number }> {
  const slot = Number(await client.call('CLUSTER', 'KEYSLOT', key));
  const owner = client.slots[slot]?.[0];
  if (!owner) throw new Error(`no node of the cluster serves slot ${slot} (key ${key})`);
  return hostPort(owner);
}

/**
 * The current primary as the sentinels name it (SENTINEL GET-MASTER-ADDR-BY-NAME), asking each in turn: for the
 * raw replication connection of a snapshot, which cannot go through ioredis' sentinel support.
 */
export async function sentinelPrimary(cfg: RedisConnectionConfig): Promise<{ host: string; port: number }> {
  const { sentinelTLS } = sentinelTls(cfg);
  const problems: string[] = [];
  for (const sentinel of cfg.REDIS_SENTINELS ?? []) {
    const c = new Redis({
      ...hostPort(sentinel),
      ...(cfg.REDIS_SENTINEL_USERNAME ? { username: cfg.REDIS_SENTINEL_USERNAME } : {}),
      ...(cfg.REDIS_SENTINEL_PASSWORD ? { password: cfg.REDIS_SENTINEL_PASSWORD } : {}),
      ...(sentinelTLS ? { tls: sentinelTLS } : {}),
      lazyConnect: true,
      connectTimeout: cfg.REDIS_COMMAND_TIMEOUT_MS,
      commandTimeout: cfg.REDIS_COMMAND_TIMEOUT_MS,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    c.on('error', () => undefined);
    try {
      await c.connect();
      const reply = await c.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', cfg.REDIS_SENTINEL_NAME ?? '');
      if (Array.isArray(reply) && reply.length === 2) return { host: String(reply[0]), port: Number(reply[1]) };
      problems.push(`${sentinel}: no master set ${cfg.REDIS_SENTINEL_NAME}`);
    } catch (err) {
      problems.push(`${sentinel}: ${(err as Error).message}`);
    } finally {
      c.disconnect();
    }
  }
  throw new Error(`no sentinel named the primary of ${cfg.REDIS_SENTINEL_NAME} (${problems.join('; ')})`);
}

/** True when Redis answers PING within the timeout. */
export async function pingRedis(client: RedisClient, timeoutMs = 1000): Promise<boolean> {
  if (client.status !== 'ready') return false;
  try {
    const reply = await Promise.race([
      client.ping(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('ping timeout')), timeoutMs)),
    ]);
    return reply === 'PONG';
  } catch {
    return false;
  }
}
