import { readFileSync } from 'node:fs';
import type { Config } from '../config/env';

/** Where and how to reach Redis outside ioredis (the replication protocol needs a raw socket). */
export interface RedisEndpoint {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  /** PEM CA of REDIS_TLS_CA_FILE (with tls); without it the system CAs. */
  readonly ca?: Buffer;
  readonly username?: string;
  readonly password?: string;
  readonly db: number;
}

/**
 * REDIS_URL with REDIS_USERNAME / REDIS_PASSWORD and TLS (rediss:// or REDIS_TLS_CA_FILE) applied as createRedis
 * applies them (the URL's credentials win).
 */
export function redisEndpoint(cfg: Pick<Config, 'REDIS_URL'> & Partial<Pick<Config, 'REDIS_USERNAME' | 'REDIS_PASSWORD' | 'REDIS_TLS_CA_FILE'>>): RedisEndpoint {
  const u = new URL(cfg.REDIS_URL);
  const password = u.password ? decodeURIComponent(u.password) : cfg.REDIS_PASSWORD;
  const username = u.username ? decodeURIComponent(u.username) : cfg.REDIS_USERNAME;
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: Number(u.port || 6379),
    tls: u.protocol === 'rediss:' || cfg.REDIS_TLS_CA_FILE !== undefined,
    ...(cfg.REDIS_TLS_CA_FILE ? { ca: readFileSync(cfg.REDIS_TLS_CA_FILE) } : {}),
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    db: Number(u.pathname.replace('/', '') || 0),
  };
}
