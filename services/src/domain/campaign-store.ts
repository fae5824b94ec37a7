import { randomUUID } from 'node:crypto';
import type { ClientContext, Result } from 'ioredis';
import type { RedisClient } from '../lib/redis';
import { appKeys, type AppKeys } from '../lib/keys';
import type { Campaign, CampaignInput, CampaignPatch, CampaignStatus, Channel } from './campaign';
import { CampaignConflictError, InvalidCursorError, InvalidFlightError } from './errors';

// The store's Lua commands, typed on every client and pipeline (ioredis' documented declaration merging).
declare module 'ioredis' {
  interface RedisCommander<Context extends ClientContext = { type: 'default' }> {
    /** KEYS: campaign, index members, count, one index per sort field; ARGV: id, json, mode, expected version, members. */
    pcaCampaignUpsert(numKeys: number, ...keysAndArgs: string[]): Result<number, Context>;
    /** KEYS as for the upsert; ARGV: id. */
    pcaCampaignDelete(numKeys: number, ...keysAndArgs: string[]): Result<number, Context>;
    /** KEYS: one index; ARGV: doc key prefix, order, lex bound, count. Member, doc (null if gone), member, doc… */
    pcaCampaignPage(numKeys: number, ...keysAndArgs: string[]): Result<(string | null)[], Context>;
  }
}

/** Clients that have the commands defined (many stores share one client). */
const SCRIPTED = new WeakSet<RedisClient>();

export const SORT_FIELDS = ['start_date', 'end_date', 'name', 'budget', 'spend', 'revenue', 'created_at'] as const;
export type SortField = (typeof SORT_FIELDS)[number];

export interface CampaignFilter {
  readonly ids?: readonly string[];
  readonly channel?: Channel;
  readonly status?: CampaignStatus;
  /** Campaigns whose flight overlaps [from, to] (inclusive ISO dates). */
  readonly from?: string;
  readonly to?: string;
}

export interface ListOptions extends CampaignFilter {
  /** @default 'start_date' */
  readonly sort?: SortField;
  /** @default 'desc' */
  readonly order?: 'asc' | 'desc';
  /** @default 20 */
  readonly limit?: number;
  /** Opaque cursor from a previous page's `next_cursor`. */
  readonly cursor?: string;
}

export interface Page {
  readonly items: Campaign[];
  readonly next_cursor: string | null;
}

// Separator below every printable character, so "ab" sorts before "abc" in a lexicographic index.
const SEP = '\u0000';

/** Fixed-width, lexicographically sortable encoding of one sort field. */
function sortKey(c: Campaign, field: SortField): string {
  switch (field) {
    case 'start_date':
    case 'end_date':
    case 'created_at':
      return c[field];
    case 'name':
      return c.name.toLowerCase().slice(0, 64);
    default:
      return Math.round(c[field] * 100).toString().padStart(16, '0');
  }
}

// Upsert with index maintenance in one atomic step. Version check makes PATCH safe under concurrency.
// KEYS: doc, members-hash, count, idx_1..idx_n   ARGV: id, json, mode, expectedVersion, member_1..member_n
const UPSERT = `
local entry = redis.call('HGET', KEYS[2], ARGV[1])
local mode = ARGV[3]
if mode == 'create' and entry then return -1 end
if mode == 'update' and not entry then return -2 end
local version = 0
if entry then
  local old = cjson.decode(entry)
  version = old.v
  if ARGV[4] ~= '' and tonumber(ARGV[4]) ~= version then return -3 end
  for i, m in ipairs(old.m) do redis.call('ZREM', KEYS[3 + i], m) end
else
  redis.call('INCR', KEYS[3])
end
local members = {}
for i = 4, #KEYS do
  local m = ARGV[i + 1]
  redis.call('ZADD', KEYS[i], 0, m)
  members[#members + 1] = m
end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], cjson.encode({ v = version + 1, m = members }))
return version + 1
`;

// KEYS: doc, members-hash, count, idx_1..idx_n   ARGV: id
const DELETE = `
local entry = redis.call('HGET', KEYS[2], ARGV[1])
if not entry then return 0 end
local old = cjson.decode(entry)
for i, m in ipairs(old.m) do redis.call('ZREM', KEYS[3 + i], m) end
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[1])
redis.call('DECR', KEYS[3])
return 1
`;

// A page of the index and its documents in one round trip (read-only). The doc keys are derived from
// the members: on Redis Cluster they share the index's slot, since a cluster prefix carries a hash tag.
// KEYS: idx   ARGV: doc key prefix, 'asc' | 'desc', lex bound, count
const PAGE = `
local members
if ARGV[2] == 'asc' then
  members = redis.call('ZRANGEBYLEX', KEYS[1], ARGV[3], '+', 'LIMIT', 0, tonumber(ARGV[4]))
else
  members = redis.call('ZREVRANGEBYLEX', KEYS[1], ARGV[3], '-', 'LIMIT', 0, tonumber(ARGV[4]))
end
if #members == 0 then return {} end
local keys = {}
for i, m in ipairs(members) do
  keys[i] = ARGV[1] .. string.sub(m, string.find(m, '\\0', 1, true) + 1)
end
local docs = redis.call('MGET', unpack(keys))
local out = {}
for i, m in ipairs(members) do
  out[2 * i - 1] = m
  out[2 * i] = docs[i]
end
return out
`;

type UpsertMode = 'create' | 'update' | 'upsert';

/** Campaigns in Redis: one JSON string per campaign plus one lexicographic index per sort field. */
export class CampaignStore {
  private readonly keys: AppKeys;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.keys = appKeys(prefix);
    if (!SCRIPTED.has(redis)) {
      redis.defineCommand('pcaCampaignUpsert', { lua: UPSERT });
      redis.defineCommand('pcaCampaignDelete', { lua: DELETE });
      redis.defineCommand('pcaCampaignPage', { lua: PAGE, readOnly: true });
      SCRIPTED.add(redis);
    }
  }

  private scriptKeys(id: string): string[] {
    return [
      this.keys.campaign(id),
      this.keys.campaignIndexMembers,
      this.keys.campaignCount,
      ...SORT_FIELDS.map((f) => this.keys.campaignIndex(f)),
    ];
  }

  private async write(c: Campaign, mode: UpsertMode, expectedVersion?: number): Promise<number> {
    const members = SORT_FIELDS.map((f) => `${sortKey(c, f)}${SEP}${c.id}`);
    return this.redis.pcaCampaignUpsert(
      3 + SORT_FIELDS.length,
      ...this.scriptKeys(c.id),
      c.id,
      JSON.stringify(c),
      mode,
      expectedVersion === undefined ? '' : String(expectedVersion),
      ...members,
    );
  }

  private toCampaign(input: CampaignInput, id: string, createdAt?: string): Campaign {
    const now = this.now().toISOString();
    const { id: _ignored, ...fields } = input;
    return { id, ...fields, created_at: createdAt ?? now, updated_at: now };
  }

  /** Creates a campaign; an explicit id that exists already is a conflict. */
  async create(input: CampaignInput): Promise<Campaign> {
    const campaign = this.toCampaign(input, input.id ?? `cmp_${randomUUID().replace(/-/g, '').slice(0, 20)}`);
    if ((await this.write(campaign, 'create')) === -1) throw new CampaignConflictError(campaign.id);
    return campaign;
  }

  /** Inserts or replaces campaigns by id in one round trip (bulk uploads, seeding). */
  async upsertMany(inputs: readonly (CampaignInput & { id: string })[]): Promise<void> {
    if (inputs.length === 0) return;
    const existing = await this.redis.mget(inputs.map((i) => this.keys.campaign(i.id)));
    const pipeline = this.redis.pipeline();
    inputs.forEach((input, n) => {
      const prev = existing[n] ? (JSON.parse(existing[n]) as Campaign) : undefined;
      const c = this.toCampaign(input, input.id, prev?.created_at);
      const members = SORT_FIELDS.map((f) => `${sortKey(c, f)}${SEP}${c.id}`);
      pipeline.pcaCampaignUpsert(
        3 + SORT_FIELDS.length,
        ...this.scriptKeys(c.id),
        c.id,
        JSON.stringify(c),
        'upsert',
        '',
        ...members,
      );
    });
    const results = await pipeline.exec();
    const failed = results?.find(([err]) => err);
    if (failed) throw failed[0] instanceof Error ? failed[0] : new Error(String(failed[0]));
  }

  async get(id: string): Promise<Campaign | null> {
    const raw = await this.redis.get(this.keys.campaign(id));
    return raw ? (JSON.parse(raw) as Campaign) : null;
  }

  async getMany(ids: readonly string[]): Promise<Campaign[]> {
    if (ids.length === 0) return [];
    const raws = await this.redis.mget(ids.map((id) => this.keys.campaign(id)));
    return raws.filter((r): r is string => r !== null).map((r) => JSON.parse(r) as Campaign);
  }

  /**
   * Applies a partial update. Returns null when the campaign does not exist; retries on a concurrent
   * write so no update is lost.
   */
  async update(id: string, patch: CampaignPatch): Promise<Campaign | null> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const [raw, entry] = await Promise.all([
        this.redis.get(this.keys.campaign(id)),
        this.redis.hget(this.keys.campaignIndexMembers, id),
      ]);
      if (!raw || !entry) return null;
      const current = JSON.parse(raw) as Campaign;
      const version = (JSON.parse(entry) as { v: number }).v;
      const next: Campaign = { ...current, ...patch, id, updated_at: this.now().toISOString() };
      if (next.start_date > next.end_date) {
        throw new InvalidFlightError(next.start_date, next.end_date);
      }
      const result = await this.write(next, 'update', version);
      if (result === -2) return null;
      if (result > 0) return next;
    }
    throw new Error(`campaign ${id}: too many concurrent updates`);
  }

  async delete(id: string): Promise<boolean> {
    return (await this.redis.pcaCampaignDelete(3 + SORT_FIELDS.length, ...this.scriptKeys(id), id)) === 1;
  }

  async count(): Promise<number> {
    return Number((await this.redis.get(this.keys.campaignCount)) ?? 0);
  }

  /** One page in index order after the cursor, filtered; never skips or repeats across pages. */
  async list(opts: ListOptions = {}): Promise<Page> {
    const sort = opts.sort ?? 'start_date';
    const order = opts.order ?? 'desc';
    const limit = opts.limit ?? 20;
    let after = opts.cursor ? decodeCursor(opts.cursor, sort, order) : undefined;
    const items: Campaign[] = [];
    let lastMember: string | undefined;
    // Unfiltered, one more than the page tells whether a next page exists; a filter may skip many.
    const chunk = isFiltered(opts) ? Math.max(limit * 2, 100) : limit + 1;
    for (;;) {
      const { members, docs } = await this.pageAfter(sort, order, after, chunk);
      if (members.length === 0) return { items, next_cursor: null };
      for (let i = 0; i < members.length; i++) {
        const raw = docs[i];
        if (!raw) continue;
        const c = JSON.parse(raw) as Campaign;
        if (!matches(c, opts)) continue;
        if (items.length === limit) {
          return { items, next_cursor: encodeCursor(lastMember!, sort, order) };
        }
        items.push(c);
        lastMember = members[i];
      }
      if (members.length < chunk) return { items, next_cursor: null };
      after = members[members.length - 1];
    }
  }

  /** Every campaign matching the filter, in chunks, without holding the whole store in memory. */
  async *iterate(filter: CampaignFilter = {}, chunk = 500): AsyncGenerator<Campaign[]> {
    if (filter.ids) {
      for (let i = 0; i < filter.ids.length; i += chunk) {
        const batch = (await this.getMany(filter.ids.slice(i, i + chunk))).filter((c) => matches(c, filter));
        if (batch.length) yield batch;
      }
      return;
    }
    let after: string | undefined;
    for (;;) {
      const { members, docs } = await this.pageAfter('start_date', 'asc', after, chunk);
      if (members.length === 0) return;
      const batch = docs.filter((d): d is string => d !== null).map((d) => JSON.parse(d) as Campaign);
      const kept = batch.filter((c) => matches(c, filter));
      if (kept.length) yield kept;
      if (members.length < chunk) return;
      after = members[members.length - 1];
    }
  }

  /** Up to `count` index members after `after` and their documents (null where one was deleted meanwhile), in one round trip. */
  private async pageAfter(sort: SortField, order: 'asc' | 'desc', after: string | undefined, count: number): Promise<{ members: string[]; docs: (string | null)[] }> {
    const bound = after === undefined ? (order === 'asc' ? '-' : '+') : `(${after}`;
    const flat = await this.redis.pcaCampaignPage(1, this.keys.campaignIndex(sort), this.keys.campaign(''), order, bound, String(count));
    const members: string[] = [];
    const docs: (string | null)[] = [];
    for (let i = 0; i < flat.length; i += 2) {
      members.push(flat[i] as string);
      docs.push(flat[i + 1] ?? null);
    }
    return { members, docs };
  }
}

const isFiltered = (f: CampaignFilter) => f.ids !== undefined || f.channel !== undefined || f.status !== undefined || f.from !== undefined || f.to !== undefined;

function matches(c: Campaign, f: CampaignFilter): boolean {
  if (f.ids && !f.ids.includes(c.id)) return false;
  if (f.channel && c.channel !== f.channel) return false;
  if (f.status && c.status !== f.status) return false;
  if (f.from && c.end_date < f.from) return false;
  if (f.to && c.start_date > f.to) return false;
  return true;
}

function encodeCursor(member: string, sort: SortField, order: string): string {
  return Buffer.from(JSON.stringify([sort, order, member])).toString('base64url');
}

function decodeCursor(cursor: string, sort: SortField, order: string): string {
  try {
    const [s, o, member] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (s === sort && o === order && typeof member === 'string' && member.includes(SEP)) return member;
  } catch {
    // fall through
  }
  throw new InvalidCursorError();
}

