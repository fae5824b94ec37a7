import { Router } from 'express';
import { z } from 'zod';
import { campaignIdSchema, campaignInputSchema, campaignPatchSchema, campaignSchema, CHANNELS, STATUSES, type Campaign } from '../../domain/campaign';
import { SORT_FIELDS, type CampaignStore, type SortField } from '../../domain/campaign-store';
import { CampaignConflictError, InvalidCursorError, InvalidFlightError } from '../../domain/errors';
import { campaignKpis, roundKpis } from '../../domain/kpi';
import { QuestionFinder } from '../../domain/suggested-questions';
import { ApiError } from '../errors';
import type { OpenApiRegistry } from '../openapi';
import { defineRoute } from '../route';

export interface CampaignsRouterOptions {
  readonly store: CampaignStore;
  readonly registry: OpenApiRegistry;
  /** Clock for KPIs (pacing) and suggested questions. @default () => new Date() */
  readonly now?: () => Date;
}

const isoDate = z.iso.date('a date as YYYY-MM-DD');
const nullableNumber = z.number().nullable();
const kpisSchema = z.object({
  ctr: nullableNumber.describe('clicks / impressions'),
  cpc: nullableNumber.describe('spend / clicks'),
  cpm: nullableNumber.describe('spend / impressions × 1000'),
  cpa: nullableNumber.describe('spend / conversions'),
  conversion_rate: nullableNumber.describe('conversions / clicks'),
  roas: nullableNumber.describe('revenue / spend'),
  budget_pacing: nullableNumber.describe('spend / (budget × elapsed share of the flight); > 1 overspends'),
});
const campaignOut = campaignSchema.extend({ kpis: kpisSchema.describe('null where the denominator is zero') });
const SORTS = [...SORT_FIELDS, ...SORT_FIELDS.map((f) => `-${f}` as const)] as const;

const idParams = z.strictObject({ id: campaignIdSchema });
const listQuery = z
  .strictObject({
    channel: z.enum(CHANNELS).optional(),
    status: z.enum(STATUSES).optional(),
    from: isoDate.optional().describe('campaigns whose flight ends on or after this day'),
    to: isoDate.optional().describe('campaigns whose flight starts on or before this day'),
    sort: z.enum(SORTS).default('-start_date').describe('field to sort by; a leading "-" sorts descending'),
    cursor: z.string().max(512).optional().describe('next_cursor of the previous page'),
    limit: z.coerce.number().int().min(1).max(100).default(20),
  })
  .refine((q) => !q.from || !q.to || q.from <= q.to, { message: 'to must not be before from', path: ['to'] });
const pageOut = z.object({ items: z.array(campaignOut), next_cursor: z.string().nullable(), limit: z.number().int() });
const questionsOut = z.object({
  as_of: z.string(),
  campaigns_considered: z.number().int(),
  questions: z.array(
    z.object({
      id: z.string(),
      question: z.string(),
      finding: z.string(),
      campaign_ids: z.array(z.string()),
      endpoint: z.object({ method: z.literal('GET'), path: z.string(), query: z.record(z.string(), z.string()) }),
      href: z.string(),
    }),
  ),
});

const notFound = (id: string) => new ApiError(404, 'campaign_not_found', `no campaign with id ${id}`);
const TAGS = ['campaigns'];

/** The campaign resource: list (filters, sort, cursor pages), get, create, patch, delete, suggested questions. */
export function createCampaignsRouter(opts: CampaignsRouterOptions): Router {
  const { store, registry } = opts;
  const now = opts.now ?? (() => new Date());
  const withKpis = (c: Campaign) => ({ ...c, kpis: roundKpis(campaignKpis(c, now())) });
  const router = Router();

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/api/v1/campaigns',
      summary: 'List campaigns',
      description: 'Filter by channel, status and flight dates; sort by a field; page with next_cursor (no skips or repeats).',
      tags: TAGS,
      scope: 'read',
      query: listQuery,
      responses: { 200: { description: 'One page of campaigns with KPIs', schema: pageOut } },
    },
    async ({ query }, _req, res) => {
      const desc = query.sort.startsWith('-');
      try {
        const page = await store.listJson({
          channel: query.channel,
          status: query.status,
          from: query.from,
          to: query.to,
          sort: (desc ? query.sort.slice(1) : query.sort) as SortField,
          order: desc ? 'desc' : 'asc',
          limit: query.limit,
          cursor: query.cursor,
        }, now());
        // The same JSON as res.json({ items, next_cursor, limit }), spliced from the stored records.
        res.set('Content-Type', 'application/json; charset=utf-8');
        res.send(page.body);
      } catch (err) {
        if (err instanceof InvalidCursorError) {
          throw new ApiError(400, 'validation_failed', 'invalid query: cursor', [{ field: 'cursor', location: 'query', message: err.message }]);
        }
        throw err;
      }
    },
  );

  // Before /:id, which would otherwise take "suggested-questions" as an id.
  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/api/v1/campaigns/suggested-questions',
      summary: 'Questions worth asking of the stored campaigns',
      description: 'Computed from the data on every call; each question carries the request that answers it.',
      tags: TAGS,
      scope: 'read',
      query: z.strictObject({}),
      responses: { 200: { description: 'Suggested questions', schema: questionsOut } },
    },
    async (_input, _req, res) => {
      const asOf = now();
      const finder = new QuestionFinder(asOf);
      let considered = 0;
      for await (const chunk of store.iterate()) {
        considered += chunk.length;
        finder.add(chunk);
      }
      res.json({ as_of: asOf.toISOString(), campaigns_considered: considered, questions: finder.questions() });
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/api/v1/campaigns/:id',
      summary: 'Get one campaign with its KPIs',
      tags: TAGS,
      scope: 'read',
      params: idParams,
      responses: { 200: { description: 'The campaign', schema: campaignOut }, 404: { description: 'No such campaign' } },
    },
    async ({ params }, _req, res) => {
      const c = await store.get(params.id);
      if (!c) throw notFound(params.id);
      res.json(withKpis(c));
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/api/v1/campaigns',
      summary: 'Create a campaign',
      tags: TAGS,
      scope: 'write',
      body: campaignInputSchema,
      responses: {
        201: { description: 'Created', schema: campaignOut, headers: { Location: 'URL of the new campaign' } },
        409: { description: 'A campaign with this id exists' },
      },
    },
    async ({ body }, _req, res) => {
      try {
        const c = await store.create(body);
        res.status(201).location(`/api/v1/campaigns/${encodeURIComponent(c.id)}`).json(withKpis(c));
      } catch (err) {
        if (err instanceof CampaignConflictError) throw new ApiError(409, 'campaign_exists', err.message, [{ field: 'id', location: 'body', message: 'already exists' }]);
        throw err;
      }
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'patch',
      path: '/api/v1/campaigns/:id',
      summary: 'Update some fields of a campaign',
      tags: TAGS,
      scope: 'write',
      params: idParams,
      body: campaignPatchSchema,
      responses: { 200: { description: 'The updated campaign', schema: campaignOut }, 404: { description: 'No such campaign' } },
    },
    async ({ params, body }, _req, res) => {
      let c: Campaign | null;
      try {
        c = await store.update(params.id, body);
      } catch (err) {
        // The patch alone can be valid and still put end_date before the stored start_date.
        if (err instanceof InvalidFlightError) {
          throw new ApiError(400, 'validation_failed', err.message, [{ field: body.end_date ? 'end_date' : 'start_date', location: 'body', message: err.message }]);
        }
        throw err;
      }
      if (!c) throw notFound(params.id);
      res.json(withKpis(c));
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'delete',
      path: '/api/v1/campaigns/:id',
      summary: 'Delete a campaign',
      tags: TAGS,
      scope: 'write',
      params: idParams,
      responses: { 204: { description: 'Deleted' }, 404: { description: 'No such campaign' } },
    },
    async ({ params }, _req, res) => {
      if (!(await store.delete(params.id))) throw notFound(params.id);
      res.status(204).end();
    },
  );

  return router;
}
