import type { RedisClient } from '../lib/redis';
import type { CampaignInput } from '../domain/campaign';
import type { CampaignStore } from '../domain/campaign-store';
import { appKeys, type AppKeys } from '../lib/keys';
import { DOMAIN_SPANS, withBatchSpan } from '../telemetry/spans';

/** Where an upload's import stands, kept per upload (not per job), so a retry or a duplicate finds it. */
export type ImportState<S> =
  | { readonly status: 'committing'; readonly summary: S }
  | { readonly status: 'imported'; readonly summary: S; readonly imported_at: string };

export interface UploadImportsOptions {
  /** How long the state of a finished import is kept (a manual retry within it returns the earlier result). @default 30 days */
  readonly stateTtlSeconds?: number;
  /** Rows moved from the stage to the store per round trip. @default 500 */
  readonly commitBatch?: number;
}

type StagedRow = CampaignInput & { id: string };

/**
 * All-or-nothing imports. Rows are staged under the upload's own key (nothing visible to readers); a
 * file-level error discards the stage; at the end the stage is committed into the campaign store and
 * the upload marked imported. The commit is journalled ("committing" with the summary): a worker that
 * dies mid-commit leaves a state the retry resumes, and upserts by id make replaying rows harmless, so
 * after the retry the store holds every row of the upload, never part of it for good.
 */
export class UploadImports {
  private readonly keys: AppKeys;
  private readonly ttl: number;
  private readonly batch: number;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
    private readonly store: Pick<CampaignStore, 'stagedForms' | 'commitStaged'>,
    opts: UploadImportsOptions = {},
  ) {
    this.keys = appKeys(prefix);
    this.ttl = opts.stateTtlSeconds ?? 30 * 86_400;
    this.batch = opts.commitBatch ?? 500;
  }

  async state<S>(uploadId: string): Promise<ImportState<S> | null> {
    const raw = await this.redis.get(this.keys.uploadState(uploadId));
    return raw ? (JSON.parse(raw) as ImportState<S>) : null;
  }

  /** A writer that stages rows for this upload (what the importer writes to instead of the store). */
  stager(uploadId: string): Pick<CampaignStore, 'upsertMany'> {
    const key = this.keys.uploadStage(uploadId);
    return {
      upsertMany: async (rows: readonly StagedRow[]) => {
        if (rows.length === 0) return;
        const staged = this.store.stagedForms(rows);
        const fields: string[] = [];
        rows.forEach((r, i) => fields.push(r.id, staged[i]!));
        await this.redis.multi().hset(key, ...fields).expire(key, this.ttl).exec();
      },
    };
  }

  /** Rolls back: the staged rows of an attempt that failed or was interrupted before its commit. */
  async discardStage(uploadId: string): Promise<void> {
    await this.redis.unlink(this.keys.uploadStage(uploadId));
  }

  /** Moves every staged row into the store, then marks the upload imported; resumable. */
  async commit<S>(uploadId: string, summary: S, onProgress?: (rowsCommitted: number) => Promise<void> | void): Promise<S> {
    const stateKey = this.keys.uploadState(uploadId);
    const stageKey = this.keys.uploadStage(uploadId);
    await this.redis.set(stateKey, JSON.stringify({ status: 'committing', summary }), 'EX', this.ttl);
    return withBatchSpan(DOMAIN_SPANS.storeCommit, { 'pca.upload.id': uploadId }, () => this.moveStage(stateKey, stageKey, summary, onProgress));
  }

  private async moveStage<S>(stateKey: string, stageKey: string, summary: S, onProgress?: (rowsCommitted: number) => Promise<void> | void): Promise<S> {
    const scan = (cursor: string) => this.redis.hscan(stageKey, cursor, 'COUNT', this.batch);
    const batchOf = (flat: string[]) => {
      const rows: [string, string][] = [];
      for (let i = 0; i < flat.length; i += 2) rows.push([flat[i]!, flat[i + 1]!]);
      return rows;
    };
    let committed = 0;
    // Progress is told in order but not waited for: its round trip would queue behind the batch just
    // sent, and the next one would be prepared only once that batch was written.
    let told: Promise<void> = Promise.resolve();
    const counted = (written: number) => {
      committed += written;
      const n = committed;
      if (written && onProgress) told = told.then(() => onProgress(n));
      told.catch(() => undefined);
    };
    // The next page is asked for before this one's commit, so it is here while Redis writes this one, and
    // each batch is prepared and sent while the one before it is still being written. Redis runs the
    // commits one after the other, each atomic as alone.
    let [cursor, flat] = await scan('0');
    let next = cursor === '0' ? null : scan(cursor);
    let previous: Promise<number> | undefined;
    for (;;) {
      const writing = this.store.commitStaged(batchOf(flat));
      // surfaced by an await below, never as an unhandled rejection
      writing.catch(() => undefined);
      next?.catch(() => undefined);
      if (previous) counted(await previous);
      previous = writing;
      if (!next) break;
      [cursor, flat] = await next;
      next = cursor === '0' ? null : scan(cursor);
    }
    counted(await previous);
    await told;
    const done: ImportState<S> = { status: 'imported', summary, imported_at: new Date().toISOString() };
    await this.redis.multi().set(stateKey, JSON.stringify(done), 'EX', this.ttl).unlink(stageKey).exec();
    return summary;
  }
}
