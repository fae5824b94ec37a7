import type { RedisClient } from '../lib/redis';
import type { Logger } from 'pino';
import type { Config } from '../config/env';
import type { CampaignStore } from '../domain/campaign-store';
import type { Queues } from '../queues/queues';
import type { Stores } from '../storage/stores';
import type { OpenApiRegistry } from './openapi';

/** Everything the app needs from outside; server.ts (or a test) creates and owns these. */
export interface AppDeps {
  readonly config: Config;
  /** A request-role connection (fails fast while Redis is down). Not closed by the app. */
  readonly redis: RedisClient;
  readonly logger: Logger;
  /** Campaigns, artifacts, uploads and the blob store. @default createStores(redis, config), closed by close() */
  readonly stores?: Stores;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** Sent as X-Gateway-Version. @default the package.json version */
  readonly version?: string;
  /** BullMQ queues the task routes add jobs to. @default created on `redis`, closed by close() */
  readonly queues?: Queues;
}

/** What routers receive: the deps with defaults resolved, plus the OpenAPI registry to register in. */
export interface ApiContext extends AppDeps {
  readonly stores: Stores;
  /** The campaign store (`stores.campaigns`). */
  readonly store: CampaignStore;
  readonly now: () => Date;
  readonly version: string;
  readonly registry: OpenApiRegistry;
  readonly queues: Queues;
}
