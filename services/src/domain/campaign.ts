import { z } from 'zod';

export const CHANNELS = ['search', 'social', 'display', 'video', 'email', 'affiliate'] as const;
export const STATUSES = ['draft', 'active', 'paused', 'completed'] as const;

export type Channel = (typeof CHANNELS)[number];
export type CampaignStatus = (typeof STATUSES)[number];

export const campaignIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and - only, 1 to 64 characters');

const isoDate = z.iso.date('a date as YYYY-MM-DD');
const money = z.number().finite().min(0).max(1e12);
const count = z.number().int().min(0).max(1e15);

const campaignFields = {
  name: z.string().trim().min(1).max(200),
  channel: z.enum(CHANNELS),
  status: z.enum(STATUSES),
  start_date: isoDate,
  end_date: isoDate,
  budget: money,
  spend: money,
  impressions: count,
  clicks: count,
  conversions: count,
  revenue: money,
  currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as USD'),
};

const datesInOrder = (c: { start_date?: string; end_date?: string }) =>
  !c.start_date || !c.end_date || c.start_date <= c.end_date;
const datesMessage = { message: 'end_date must not be before start_date', path: ['end_date'] };

/** Body of `POST /api/v1/campaigns` and one row of an inline report or upload. */
export const campaignInputSchema = z
  .strictObject({
    id: campaignIdSchema.optional(),
    ...campaignFields,
    status: campaignFields.status.default('active'),
    impressions: count.default(0),
    clicks: count.default(0),
    conversions: count.default(0),
    spend: money.default(0),
    revenue: money.default(0),
    currency: campaignFields.currency.default('USD'),
  })
  .refine(datesInOrder, datesMessage);

/** Body of `PATCH /api/v1/campaigns/{id}`: any subset of the fields, at least one. */
export const campaignPatchSchema = z
  .strictObject(campaignFields)
  .partial()
  .refine((p) => Object.keys(p).length > 0, { message: 'at least one field is required' });

/** A stored campaign as the public JSON shows it. */
export const campaignSchema = z.strictObject({
  id: campaignIdSchema,
  ...campaignFields,
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
});

export type CampaignInput = z.infer<typeof campaignInputSchema>;
export type CampaignPatch = z.infer<typeof campaignPatchSchema>;
export type Campaign = z.infer<typeof campaignSchema>;
