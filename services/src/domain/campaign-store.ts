import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { ClientContext, Result } from 'ioredis';
import type { RedisClient } from '../lib/redis';
import { appKeys, type AppKeys } from '../lib/keys';
import { TrackedKey } from '../lib/tracked-key';
import type { Campaign, CampaignInput, CampaignPatch, CampaignStatus, Channel } from './campaign';
import { campaignJson, decodeCampaignRecord, encodeCampaignRecord, RecordItem } from './campaign-record';
import { CampaignConflictError, InvalidCursorError, InvalidFlightError } from './errors';

// The store's Lua commands, typed on every client and pipeline (ioredis' documented declaration merging).
declare module 'ioredis' {
  interface RedisCommander<Context extends ClientContext = { type: 'default' }> {
    /** KEYS: campaign, index members, count, one index per sort field, version; ARGV: id, json, mode, expected version, members, token. */
    pcaCampaignUpsert(numKeys: number, ...keysAndArgs: string[]): Result<number, Context>;
    /** KEYS as for the upsert; ARGV: id, token. */
    pcaCampaignDelete(numKeys: number, ...keysAndArgs: string[]): Result<number, Context>;
    /**
     * KEYS: one index, version; ARGV: doc key prefix, order, lex bound, count, the version the caller holds
     * the page for. Version, 1 when that is still current; else version, 0, member, doc (null if gone), member, doc…
     */
    pcaCampaignPage(numKeys: number, ...keysAndArgs: string[]): Result<(string | number | null)[], Context>;
    /** pcaCampaignPage with the reply as bytes (what the list endpoint sends on). */
    pcaCampaignPageBuffer(numKeys: number, ...keysAndArgs: string[]): Result<(Buffer | number | null)[], Context>;
    /** KEYS: index members, count, one index per sort field, one doc per row, version; ARGV: index count, created_at's index, each row's staged fields, token. */
    pcaCampaignCommitStaged(numKeys: number, ...keysAndArgs: string[]): Result<number, Context>;
  }
}

/** Clients that have the commands defined (many stores share one client). */
const SCRIPTED = new WeakSet<RedisClient>();

/** A page's size when the caller gives none. */
const DEFAULT_LIMIT = 20;

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

/** A page as its public JSON: `items` is the JSON array of the campaigns with their KPIs. */
export interface PageJson {
  /** The items as a JSON array. Shared with later requests for the same page: send or copy it, never change it. */
  readonly items: Buffer;
  /**
   * The list endpoint's whole document, `{"items":[…],"next_cursor":…,"limit":…}` (what `res.json` of the
   * three would send), `items` inside it. Shared like `items`.
   */
  readonly body: Buffer;
  readonly count: number;
  readonly next_cursor: string | null;
}

// Separator below every printable character, so "ab" sorts before "abc" in a lexicographic index.
const SEP = '\u0000';

/** What a campaign's index members are made of: its id and sort fields. */
export type IndexedFields = Pick<Campaign, 'id' | SortField>;

/** Fixed-width, lexicographically sortable encoding of one sort field. */
function sortKey(c: IndexedFields, field: SortField): string {
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

/** A campaign's member in each sort index, in SORT_FIELDS order: its sort key, a separator, its id. */
export function indexMembers(c: IndexedFields): string[] {
  return SORT_FIELDS.map((f) => `${sortKey(c, f)}${SEP}${c.id}`);
}

// Upsert with index maintenance in one atomic step. Version check makes PATCH safe under concurrency.
// KEYS: doc, members-hash, count, idx_1..idx_n, store version   ARGV: id, json, mode, expectedVersion, member_1..member_n, token
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
for i = 4, #KEYS - 1 do
  local m = ARGV[i + 1]
  redis.call('ZADD', KEYS[i], 0, m)
  members[#members + 1] = m
end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('SET', KEYS[#KEYS], ARGV[#ARGV])
redis.call('HSET', KEYS[2], ARGV[1], cjson.encode({ v = version + 1, m = members }))
return version + 1
`;

// KEYS: doc, members-hash, count, idx_1..idx_n, store version   ARGV: id, token
const DELETE = `
local entry = redis.call('HGET', KEYS[2], ARGV[1])
if not entry then return 0 end
local old = cjson.decode(entry)
for i, m in ipairs(old.m) do redis.call('ZREM', KEYS[3 + i], m) end
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[1])
redis.call('DECR', KEYS[3])
redis.call('SET', KEYS[#KEYS], ARGV[2])
return 1
`;

// A page of the index and its documents in one round trip (read-only). The doc keys are derived from
// the members: on Redis Cluster they share the index's slot, since a cluster prefix carries a hash tag.
// The store version comes back with it: a caller holding the page checks it later with one GET.
// KEYS: idx, store version   ARGV: doc key prefix, 'asc' | 'desc', lex bound, count
const PAGE = `
local version = redis.call('GET', KEYS[2]) or ''
local members
if ARGV[2] == 'asc' then
  members = redis.call('ZRANGEBYLEX', KEYS[1], ARGV[3], '+', 'LIMIT', 0, tonumber(ARGV[4]))
else
  members = redis.call('ZREVRANGEBYLEX', KEYS[1], ARGV[3], '-', 'LIMIT', 0, tonumber(ARGV[4]))
end
if #members == 0 then return { version } end
local keys = {}
for i, m in ipairs(members) do
  keys[i] = ARGV[1] .. string.sub(m, string.find(m, '\\0', 1, true) + 1)
end
local docs = redis.call('MGET', unpack(keys))
local out = { version }
for i, m in ipairs(members) do
  out[2 * i] = m
  out[2 * i + 1] = docs[i]
end
return out
`;

// Upserts a batch of campaigns (see `rowFields`) in one call: UPSERT's work with one command per
// index (and one MSET, one HSET) for the whole batch instead of a script call per row. An existing campaign
// keeps its created_at (read from its created_at member); an index member that did not change is not
// rewritten, so replaying a batch is cheap and harmless.
// KEYS: members-hash, count, idx_1..idx_n, doc_1..doc_r, store version
// ARGV: n, created_at's index, then per row: id, created_at, doc head, doc tail, entry if new, n-1 members; token
const COMMIT_STAGED = `
local NIDX = tonumber(ARGV[1])
local CI = tonumber(ARGV[2])
local W = 4 + NIDX
local rows = (#ARGV - 3) / W
local ids = {}
for r = 1, rows do ids[r] = ARGV[3 + (r - 1) * W] end
local entries = redis.call('HMGET', KEYS[1], unpack(ids))
-- per index: ZADD's arguments (score, member…) and how many; the members an update replaces
local adds, nadd, rems = {}, {}, {}
for i = 1, NIDX do adds[i] = {}; nadd[i] = 0; rems[i] = {} end
local docs, hash = {}, {}
local created_count = 0
-- the score as a string: a number would be converted to one for every member of every ZADD
local function add(i, m)
  local n = nadd[i]
  adds[i][n + 1] = '0'
  adds[i][n + 2] = m
  nadd[i] = n + 2
end
for r = 1, rows do
  local base = 2 + (r - 1) * W
  local id = ARGV[base + 1]
  local created = ARGV[base + 2]
  local entry
  local j = base + 6
  if entries[r] then
    local old = cjson.decode(entries[r])
    local oc = old.m[CI]
    created = string.sub(oc, 1, string.find(oc, '\\0', 1, true) - 1)
    local members = {}
    for i = 1, NIDX do
      local m
      if i == CI then m = oc else m = ARGV[j]; j = j + 1 end
      members[i] = m
      if old.m[i] ~= m then
        local rm = rems[i]
        rm[#rm + 1] = old.m[i]
        add(i, m)
      end
    end
    entry = cjson.encode({ v = old.v + 1, m = members })
  else
    created_count = created_count + 1
    for i = 1, NIDX do
      if i == CI then add(i, created .. '\\0' .. id) else add(i, ARGV[j]); j = j + 1 end
    end
    entry = ARGV[base + 5]
  end
  docs[2 * r - 1] = KEYS[2 + NIDX + r]
  docs[2 * r] = ARGV[base + 3] .. created .. ARGV[base + 4]
  hash[2 * r - 1] = id
  hash[2 * r] = entry
end
-- Unsorted: sorting each index's members first (in Lua) cost about what it saved ZADD.
for i = 1, NIDX do
  if #rems[i] > 0 then redis.call('ZREM', KEYS[2 + i], unpack(rems[i])) end
  if nadd[i] > 0 then redis.call('ZADD', KEYS[2 + i], unpack(adds[i])) end
end
redis.call('MSET', unpack(docs))
redis.call('HSET', KEYS[1], unpack(hash))
if created_count > 0 then redis.call('INCRBY', KEYS[2], created_count) end
redis.call('SET', KEYS[#KEYS], ARGV[#ARGV])
return rows
`;

const CREATED_AT_INDEX = SORT_FIELDS.indexOf('created_at');
const CREATED_AT_KEY = ',"created_at":"';

/** What the commit script takes per row: created_at, the record's JSON before and after it, the entry if new, the other members. */
type RowFields = [createdAt: string, head: string, tail: string, entry: string, ...members: string[]];

type UpsertMode = 'create' | 'update' | 'upsert';

export interface CampaignStoreOptions {
  /**
   * Keep the store version in memory between changes, which Redis announces (lib/tracked-key.ts): a held
   * list page then costs no round trip at all. Takes one more connection; `close()` ends it. @default false
   */
  readonly trackVersion?: boolean;
}

/** Campaigns in Redis: one pre-serialized record per campaign (campaign-record.ts) plus one lexicographic index per sort field. */
export class CampaignStore {
  private readonly keys: AppKeys;
  private readonly pages = new Map<string, HeldPage>();
  /** The store version, read through a watch when `trackVersion` is on (else one GET per read). */
  private readonly version: TrackedKey;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
    private readonly now: () => Date = () => new Date(),
    opts: CampaignStoreOptions = {},
  ) {
    this.keys = appKeys(prefix);
    this.version = new TrackedKey(redis, this.keys.campaignVersion, { watch: opts.trackVersion ?? false });
    if (!SCRIPTED.has(redis)) {
      redis.defineCommand('pcaCampaignUpsert', { lua: UPSERT });
      redis.defineCommand('pcaCampaignDelete', { lua: DELETE });
      redis.defineCommand('pcaCampaignPage', { lua: PAGE, readOnly: true });
      redis.defineCommand('pcaCampaignCommitStaged', { lua: COMMIT_STAGED });
      SCRIPTED.add(redis);
    }
  }

  private scriptKeys(id: string): string[] {
    return [
      this.keys.campaign(id),
      this.keys.campaignIndexMembers,
      this.keys.campaignCount,
      ...SORT_FIELDS.map((f) => this.keys.campaignIndex(f)),
      this.keys.campaignVersion,
    ];
  }

  /** Ends the version's tracking connection, if any (not `redis`, which the caller owns). */
  async close(): Promise<void> {
    await this.version.close();
  }

  /** A write of this store changed the version: its own next read must not wait for Redis's announcement. */
  private async changed<T>(write: Promise<T>): Promise<T> {
    try {
      return await write;
    } finally {
      this.version.invalidate();
    }
  }

  private async write(c: Campaign, mode: UpsertMode, expectedVersion?: number): Promise<number> {
    const members = indexMembers(c);
    return this.changed(this.redis.pcaCampaignUpsert(
      4 + SORT_FIELDS.length,
      ...this.scriptKeys(c.id),
      c.id,
      encodeCampaignRecord(c),
      mode,
      expectedVersion === undefined ? '' : String(expectedVersion),
      ...members,
      versionToken(),
    ));
  }

  private toCampaign(input: CampaignInput, id: string, createdAt?: string, at?: string): Campaign {
    const now = at ?? this.now().toISOString();
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
    const now = this.now().toISOString();
    await this.commitFields(inputs.map((input) => [input.id, this.rowFields(input, now)] as const));
  }

  /**
   * Campaigns as self-contained strings to stage and later `commitStaged`: each one's validated input as
   * JSON. What it becomes (the record, its index members) is worked out at the commit, which waits on
   * Redis anyway, instead of while the file is read, which waits on this process.
   */
  stagedForms(inputs: readonly (CampaignInput & { id: string })[]): string[] {
    return inputs.map((input) => JSON.stringify(input));
  }

  /** The script's fields of one campaign: its JSON split around created_at (an existing campaign keeps its own), its entry if it is new, its other members. */
  private rowFields(input: CampaignInput & { id: string }, now: string): RowFields {
    const c = this.toCampaign(input, input.id, undefined, now);
    const json = encodeCampaignRecord(c);
    // In JSON text a `"` inside a value is escaped, so this sequence can only be the key itself (the
    // record's KPIs and facts after the campaign's JSON hold no created_at).
    const at = json.lastIndexOf(CREATED_AT_KEY) + CREATED_AT_KEY.length;
    const members = indexMembers(c);
    const fields: RowFields = [c.created_at, json.slice(0, at), json.slice(at + c.created_at.length), JSON.stringify({ v: 1, m: members })];
    for (let i = 0; i < members.length; i++) if (i !== CREATED_AT_INDEX) fields.push(members[i]!);
    return fields;
  }

  /**
   * Upserts staged campaigns (`[id, stagedForms entry]` pairs) in one script call, keeping each one's created_at.
   * A JSON array is a row a release before this one staged as the script's fields (a commit resumed across an upgrade).
   */
  async commitStaged(batch: readonly (readonly [id: string, staged: string])[]): Promise<number> {
    const now = this.now().toISOString();
    return this.commitFields(
      batch.map(([id, staged]) => [id, staged.startsWith('[') ? (JSON.parse(staged) as RowFields) : this.rowFields({ ...(JSON.parse(staged) as CampaignInput), id }, now)] as const),
    );
  }

  private async commitFields(batch: readonly (readonly [id: string, fields: RowFields])[]): Promise<number> {
    // The script reads every row's old entry before writing any: an id twice in one batch keeps the last.
    const rows = [...new Map(batch.map((r) => [r[0], r] as const)).values()];
    if (rows.length === 0) return 0;
    const args: string[] = [String(SORT_FIELDS.length), String(CREATED_AT_INDEX + 1)];
    for (const [id, fields] of rows) args.push(id, ...fields);
    return this.changed(this.redis.pcaCampaignCommitStaged(
      3 + SORT_FIELDS.length + rows.length,
      this.keys.campaignIndexMembers,
      this.keys.campaignCount,
      ...SORT_FIELDS.map((f) => this.keys.campaignIndex(f)),
      ...rows.map(([id]) => this.keys.campaign(id)),
      this.keys.campaignVersion,
      ...args,
      versionToken(),
    ));
  }

  async get(id: string): Promise<Campaign | null> {
    const raw = await this.redis.get(this.keys.campaign(id));
    return raw ? decodeCampaignRecord(raw) : null;
  }

  async getMany(ids: readonly string[]): Promise<Campaign[]> {
    if (ids.length === 0) return [];
    const raws = await this.redis.mget(ids.map((id) => this.keys.campaign(id)));
    return raws.filter((r): r is string => r !== null).map(decodeCampaignRecord);
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
      const current = JSON.parse(campaignJson(raw)) as Campaign;
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
    return (await this.changed(this.redis.pcaCampaignDelete(4 + SORT_FIELDS.length, ...this.scriptKeys(id), id, versionToken()))) === 1;
  }

  async count(): Promise<number> {
    return Number((await this.redis.get(this.keys.campaignCount)) ?? 0);
  }

  /** One page in index order after the cursor, filtered; never skips or repeats across pages. */
  async list(opts: ListOptions = {}): Promise<Page> {
    const page = await this.collect(opts, (sort, order, after, count) => this.pageAfter(sort, order, after, count), (raw) => {
      const c = decodeCampaignRecord(raw);
      return matches(c, opts) ? c : undefined;
    });
    return { items: page.items, next_cursor: page.next_cursor };
  }

  /**
   * The same page as `list`, as the list endpoint sends it: each campaign with its KPIs as of `asOf`,
   * spliced from the stored records as bytes (no document is parsed or serialized). The page's records
   * are kept per query and validated on every call by the store's version: one GET, or none while a
   * tracked version is known to be current (`trackVersion`). After a change the page script reads the
   * page and its version together.
   */
  async listJson(opts: ListOptions, asOf: Date): Promise<PageJson> {
    const key = pageCacheKey(opts);
    const held = this.pages.get(key);
    const current = held && performance.now() - held.at < PAGE_CACHE_MAX_AGE_MS ? held : undefined;
    let page: ReadPage | undefined;
    if (current && (await this.version.get()) === current.version) page = current;
    if (!page) {
      const read = await this.collect(
        opts,
        (sort, order, after, count) => this.pageAfterBytes(sort, order, after, count),
        (raw, member) => {
          const item = RecordItem.from(raw);
          return matches({ ...item.facts, id: opts.ids ? memberId(member) : '' }, opts) ? item : undefined;
        },
      );
      if (read.version) {
        const fresh: HeldPage = { items: read.items, next_cursor: read.next_cursor, version: read.version, at: performance.now() };
        this.holdPage(key, fresh);
        page = fresh;
      } else {
        page = { items: read.items, next_cursor: read.next_cursor };
      }
    }
    const { items, body } = rendered(page, asOf, opts.limit ?? DEFAULT_LIMIT);
    return { items, body, count: page.items.length, next_cursor: page.next_cursor };
  }

  private holdPage(key: string, page: HeldPage): void {
    if (this.pages.size >= MAX_HELD_PAGES && !this.pages.has(key)) this.pages.clear();
    this.pages.set(key, page);
  }

  /** Walks the index in chunks until the page is full. */
  private async collect<Raw extends string | Buffer, T>(
    opts: ListOptions,
    read: (sort: SortField, order: 'asc' | 'desc', after: string | undefined, count: number) => Promise<Chunk<Raw>>,
    keep: (raw: Raw, member: string | Buffer) => T | undefined,
  ): Promise<{ items: T[]; next_cursor: string | null; version: string }> {
    const sort = opts.sort ?? 'start_date';
    const order = opts.order ?? 'desc';
    const limit = opts.limit ?? DEFAULT_LIMIT;
    let after = opts.cursor ? decodeCursor(opts.cursor, sort, order) : undefined;
    const items: T[] = [];
    let lastMember: Raw | undefined;
    // Unfiltered, one more than the page tells whether a next page exists; a filter may skip many.
    const chunk = isFiltered(opts) ? Math.max(limit * 2, 100) : limit + 1;
    let version: string | undefined;
    for (;;) {
      const { members, docs, ...state } = await read(sort, order, after, chunk);
      // the version the page is held for is the one its first chunk was read at
      version ??= state.version;
      const done = (next_cursor: string | null) => ({ items, next_cursor, version: version! });
      if (members.length === 0) return done(null);
      for (let i = 0; i < members.length; i++) {
        const raw = docs[i];
        if (!raw) continue;
        const item = keep(raw, members[i]!);
        if (item === undefined) continue;
        if (items.length === limit) return done(encodeCursor(lastMember!.toString(), sort, order));
        items.push(item);
        lastMember = members[i];
      }
      if (members.length < chunk) return done(null);
      after = members[members.length - 1]!.toString();
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
      const batch = docs.filter((d): d is string => d !== null).map(decodeCampaignRecord);
      const kept = batch.filter((c) => matches(c, filter));
      if (kept.length) yield kept;
      if (members.length < chunk) return;
      after = members[members.length - 1];
    }
  }

  /** Up to `count` index members after `after` and their records (null where one was deleted meanwhile), in one round trip. */
  private async pageAfter(sort: SortField, order: 'asc' | 'desc', after: string | undefined, count: number): Promise<Chunk<string>> {
    return unflatten(await this.redis.pcaCampaignPage(...this.pageArgs(sort, order, after, count)));
  }

  private async pageAfterBytes(sort: SortField, order: 'asc' | 'desc', after: string | undefined, count: number): Promise<Chunk<Buffer>> {
    return unflatten(await this.redis.pcaCampaignPageBuffer(...this.pageArgs(sort, order, after, count)));
  }

  private pageArgs(sort: SortField, order: 'asc' | 'desc', after: string | undefined, count: number): [number, ...string[]] {
    const bound = after === undefined ? (order === 'asc' ? '-' : '+') : `(${after}`;
    return [2, this.keys.campaignIndex(sort), this.keys.campaignVersion, this.keys.campaign(''), order, bound, String(count)];
  }
}

const OPEN_ARRAY = Buffer.from('[');
const COMMA = Buffer.from(',');
const ITEMS_OPEN = Buffer.from('{"items":');
const CLOSE_ARRAY = Buffer.from(']');

/** One read of the index: the store's version, members and their records. */
interface Chunk<Raw> {
  readonly version: string;
  readonly members: Raw[];
  readonly docs: (Raw | null)[];
}

/** The page script's flat reply (version, then member, record, member, record…). */
function unflatten<Raw extends string | Buffer>(flat: (Raw | number | null)[]): Chunk<Raw> {
  const members: Raw[] = [];
  const docs: (Raw | null)[] = [];
  for (let i = 1; i < flat.length; i += 2) {
    members.push(flat[i] as Raw);
    docs.push((flat[i + 1] as Raw | null) ?? null);
  }
  return { version: String(flat[0] ?? ''), members, docs };
}

/** A page as read, with the JSON last built from it. */
interface ReadPage {
  readonly items: RecordItem[];
  readonly next_cursor: string | null;
  /** The page's JSON as last sent and the pacings it shows; shared by every request for the page. */
  rendered?: Rendered & { readonly pacings: readonly (number | null)[] };
}

interface Rendered {
  readonly items: Buffer;
  readonly body: Buffer;
}

/** A page a replica holds, and the store version it was read at. */
interface HeldPage extends ReadPage {
  readonly version: string;
  readonly at: number;
}

/**
 * The page's items as a JSON array, as of `asOf`. Only budget_pacing moves with the clock, and at its four
 * places it stays the same for minutes: while every item's pacing is what the page last showed, the bytes
 * sent then are sent again (the same bytes a fresh rendering would give), instead of rebuilding them.
 */
function rendered(page: ReadPage, asOf: Date, limit: number): Rendered {
  const pacings = page.items.map((item) => item.pacing(asOf));
  const last = page.rendered;
  if (last && last.pacings.every((p, i) => p === pacings[i])) return last;
  const parts: Buffer[] = [ITEMS_OPEN, OPEN_ARRAY];
  page.items.forEach((item, i) => {
    if (i > 0) parts.push(COMMA);
    parts.push(...item.json(pacings[i] ?? null));
  });
  parts.push(CLOSE_ARRAY);
  const tail = Buffer.from(`,"next_cursor":${JSON.stringify(page.next_cursor)},"limit":${limit}}`);
  parts.push(tail);
  // one buffer per rendering, the items a view into it
  const body = Buffer.concat(parts);
  page.rendered = { pacings, items: body.subarray(ITEMS_OPEN.length, body.length - tail.length), body };
  return page.rendered;
}

/**
 * Held pages are also re-read after this long: a writer that does not replace the version (a replica of
 * the previous release during a rolling upgrade) is seen within it.
 */
const PAGE_CACHE_MAX_AGE_MS = 2000;
/** Distinct queries held per replica; past this the table starts over. A page holds its reply and its JSON (each up to ~120 KB for a filtered one). */
const MAX_HELD_PAGES = 64;

const versionToken = () => randomBytes(9).toString('base64url');

const pageCacheKey = (o: ListOptions) =>
  JSON.stringify([o.sort ?? 'start_date', o.order ?? 'desc', o.limit ?? DEFAULT_LIMIT, o.cursor ?? '', o.channel ?? '', o.status ?? '', o.from ?? '', o.to ?? '', o.ids ?? []]);

const memberId = (member: string | Buffer) => {
  const m = member.toString();
  return m.slice(m.indexOf(SEP) + 1);
};

const isFiltered = (f: CampaignFilter) => f.ids !== undefined || f.channel !== undefined || f.status !== undefined || f.from !== undefined || f.to !== undefined;

/** What a filter looks at: a campaign, or a record's facts and its id. */
interface Filterable {
  readonly id: string;
  readonly channel: string;
  readonly status: string;
  readonly start_date: string;
  readonly end_date: string;
}

function matches(c: Filterable, f: CampaignFilter): boolean {
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

