import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { loadConfig, type Config } from '../config/env';
import { shutdownTelemetry, tracedRequests } from '../telemetry/sdk';
import { SERVICE_NAMES } from '../telemetry/service-names';
import { createHttpServer, httpServerLimits } from '../lib/http-server';
import { createLogger } from '../lib/logger';
import { closeRedis, createRedis, type RedisClient } from '../lib/redis';
import { checkBlobStoreAtStart } from '../storage/blob-store';
import { createApp, type ApiApp } from './app';

export interface StartOverrides {
  /** @default a pino logger for service pca-agent-api */
  readonly logger?: Logger;
  /** Use this connection instead of creating one; the caller then closes it. */
  readonly redis?: RedisClient;
  /** @default cfg.PORT (0 picks a free port) */
  readonly port?: number;
  /** @default all interfaces */
  readonly host?: string;
}

export interface RunningApi {
  readonly server: Server;
  readonly port: number;
  readonly api: ApiApp;
  /**
   * Graceful stop: readiness 503 at once, keep serving for `delayMs`, then stop accepting, let
   * in-flight requests finish (idle keep-alive connections are closed), flush stats, close Redis.
   * Safe to call twice (both calls share one shutdown).
   */
  shutdown(opts?: { delayMs?: number }): Promise<void>;
  /** `shutdown` without the delay. */
  close(): Promise<void>;
}

/** Builds the app and listens; runApi and in-process tests/bench share it. */
export async function startApi(cfg: Config, overrides: StartOverrides = {}): Promise<RunningApi> {
  const logger = overrides.logger ?? createLogger({ service: SERVICE_NAMES.api, level: cfg.LOG_LEVEL });
  const redis = overrides.redis ?? createRedis(cfg, 'request', SERVICE_NAMES.api);
  const api = createApp({ config: cfg, redis, logger });
  try {
    await checkBlobStoreAtStart(api.context.stores.blobs, (msg) => logger.warn(msg));
  } catch (err) {
    await api.close();
    if (!overrides.redis) await closeRedis(redis);
    throw err;
  }
  const server = createHttpServer(tracedRequests(api.app), { ...httpServerLimits(cfg), logger });
  // Once draining, every response asks the client to reconnect (to a pod that is not going away).
  server.prependListener('request', (_req, res) => {
    if (api.isShuttingDown()) res.setHeader('Connection', 'close');
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(overrides.port ?? cfg.PORT, overrides.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await api.close();
    if (!overrides.redis) await closeRedis(redis);
    throw err;
  }
  const port = (server.address() as AddressInfo).port;

  let stopping: Promise<void> | undefined;
  const shutdown = (opts: { delayMs?: number } = {}) =>
    (stopping ??= (async () => {
      api.beginShutdown();
      const delayMs = opts.delayMs ?? 0;
      logger.info({ delay_ms: delayMs }, 'shutdown started: readiness is 503, still serving');
      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
      logger.info('no longer accepting connections; finishing in-flight requests');
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await api.close();
      if (!overrides.redis) await closeRedis(redis);
    })());
  return { server, port, api, shutdown, close: () => shutdown({ delayMs: 0 }) };
}

/**
 * The `api` role: config once, listen on PORT, and on SIGTERM/SIGINT a graceful shutdown bounded by
 * SHUTDOWN_TIMEOUT_MS (exit 0 when clean; 1 on the deadline or a second signal).
 */
export async function runApi(): Promise<void> {
  const cfg = loadConfig();
  // The access log writes a line per request: batched, and flushed when the process exits.
  const logger = createLogger({ service: SERVICE_NAMES.api, level: cfg.LOG_LEVEL, asyncStdout: true });
  if (cfg.API_KEYS.length + cfg.API_KEYS_READ_ONLY.length === 0 && !cfg.JWT_SECRET && !cfg.JWT_PUBLIC_KEY) {
    logger.warn('no API_KEYS, API_KEYS_READ_ONLY, JWT_SECRET or JWT_PUBLIC_KEY set: every /api/v1 request will get 401');
  }
  if (cfg.SHUTDOWN_DELAY_MS >= cfg.SHUTDOWN_TIMEOUT_MS) {
    logger.warn({ delay: cfg.SHUTDOWN_DELAY_MS, timeout: cfg.SHUTDOWN_TIMEOUT_MS }, 'SHUTDOWN_DELAY_MS >= SHUTDOWN_TIMEOUT_MS: every shutdown will hit the deadline');
  }
  const running = await startApi(cfg, { logger });
  logger.info({ port: running.port, version: running.api.context.version }, 'pca-agent api listening');

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (++signals > 1) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    logger.info({ signal }, 'signal received');
    setTimeout(() => {
      logger.error({ timeout_ms: cfg.SHUTDOWN_TIMEOUT_MS }, 'shutdown deadline passed: exiting');
      process.exit(1);
    }, cfg.SHUTDOWN_TIMEOUT_MS).unref();
    running.shutdown({ delayMs: cfg.SHUTDOWN_DELAY_MS }).then(
      async () => {
        logger.info('shutdown complete');
        await shutdownTelemetry(2000);
        // The async stdout may have a write in flight, which the exit-time flush cannot wait for.
        await new Promise<void>((resolve) => logger.flush(() => resolve()));
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
