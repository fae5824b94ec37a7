import type { Config } from '../config/env';

/** Where and how to reach Redis outside ioredis (the replication protocol needs a raw socket). */
export interface RedisEndpoint {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  readonly username?: string;
  readonly password?: string;
  readonly db: number;
}

/** REDIS_URL with REDIS_USERNAME / REDIS_PASSWORD applied as createRedis applies them (the URL's win). */
export function redisEndpoint(cfg: Pick<Config, 'REDIS_URL'> & Partial<Pick<Config, 'REDIS_USERNAME' | 'REDIS_PASSWORD'>>): RedisEndpoint {
  const u = new URL(cfg.REDIS_URL);
  const password = u.password ? decodeURIComponent(u.password) : cfg.REDIS_PASSWORD;
  const username = u.username ? decodeURIComponent(u.username) : cfg.REDIS_USERNAME;
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: Number(u.port || 6379),
    tls: u.protocol === 'rediss:',
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    db: Number(u.pathname.replace('/', '') || 0),
  };
}
