/**
 * Per-profile features over typed arrays: the one place where every feature segsync computes is
 * defined and documented (FEATURE_CATALOGUE; docs/features.md is checked against it by a test).
 *
 * Conventions: one row per live profile; a missing number is NaN, a missing category is null.
 * Purchases after the reference date are ignored ("as of" semantics, as in RFM); days are whole
 * days (floor) before the reference date.
 */
import type { PurchaseColumns, RfmResult } from './rfm.js';
import { MS_PER_DAY, RFM_STATUS_SCORED } from './rfm.js';
import { parseStrictDate } from '../domain/dates.js';
import type { EngagementChannel } from '../domain/records.js';
import {
  ENGAGEMENT_WINDOW_FEATURES, WINDOW_DAYS, WINDOWED_CHANNELS, engagementWindows, noEngagement, type EngagementSummary,
} from './engagement-windows.js';
import { computeInterests, INTEREST_KEY, type InterestInputs } from './interests.js';

export type FeatureKind = 'number' | 'date' | 'category';

export interface FeatureDoc {
  key: string;
  kind: FeatureKind;
  /** How a marketer reads it in a persona trait, e.g. "average order value". */
  label: string;
  /** days, orders, money, score, share, ... */
  unit: string;
  description: string;
}

export const NUMBER_FEATURES = [
  'recencyDays', 'frequency', 'monetary', 'r', 'f', 'm',
  'daysSinceLastPurchase', 'daysSinceFirstPurchase', 'lifetimeFrequency', 'lifetimeMonetary',
  'averageOrderValue', 'tenureDays', 'meanDaysBetweenPurchases', 'spendTrend',
  'emailOpens', 'emailClicks', 'daysSinceLastEmailOpen',
  'emailOpenRate', 'emailClickRate', 'daysSinceLastEmailClick', 'daysSinceLastSalesEmailReply',
  'webVisits', 'pageViews', 'formFills', 'daysSinceLastVisit', 'companyEmployees', 'companyAnnualRevenue',
  'topProductTypeShare', 'daysSinceLastAbandonedCheckout', 'abandonedCheckouts90d',
  'pAlive', 'churnRisk', 'expectedPurchases90d', 'expectedOrderValue', 'clv', 'daysToNextPurchase',
  ...ENGAGEMENT_WINDOW_FEATURES,
  'purchasePropensity90d', 'leadScore',
] as const;
export const DATE_FEATURES = ['lastPurchaseAt', 'firstPurchaseAt', 'createdAt', 'lastEmailOpenAt', 'lastEmailClickAt', 'lastVisitAt', 'nextPurchaseAt'] as const;
/** Filled by the first-purchase propensity model (src/segmentation/propensity) after computeFeatures; missing until then. */
export const PROPENSITY_FEATURES = ['purchasePropensity90d', 'leadScore'] as const;
/** Filled by the purchase models (src/segmentation/predict) after computeFeatures; missing until then. */
export const PREDICTED_FEATURES = ['pAlive', 'churnRisk', 'expectedPurchases90d', 'expectedOrderValue', 'clv', 'daysToNextPurchase', 'nextPurchaseAt'] as const;

/**
 * Engagement and firmographics come from mapped attributes with these canonical names, where a
 * platform keeps them (mappings/hubspot.yaml maps HubSpot's hs_email_open, hs_analytics_num_visits,
 * the associated company's industry, ...). Another platform or a file feeds the same features by
 * mapping its own fields to these names.
 */
export const ENGAGEMENT_ATTRIBUTES = {
  opens: 'emailOpens', clicks: 'emailClicks', lastOpenAt: 'lastEmailOpenAt',
  delivered: 'emailsDelivered', lastClickAt: 'lastEmailClickAt', lastSalesReplyAt: 'lastSalesEmailReplyAt',
  visits: 'webVisits', pageViews: 'pageViews', lastVisitAt: 'lastVisitAt', forms: 'formSubmissions',
  lifecycleStage: 'lifecycleStage', leadStatus: 'leadStatus',
  industry: 'companyIndustry', employees: 'companyEmployees', annualRevenue: 'companyAnnualRevenue',
} as const;
export const CATEGORY_FEATURES = ['country', 'city', 'emailConsent', 'lifecycleStage', 'rfmSegment', 'persona', 'crmLifecycleStage', 'leadStatus', 'companyIndustry',
  'topProductType'] as const;
export type NumberFeature = (typeof NUMBER_FEATURES)[number];
export type DateFeature = (typeof DATE_FEATURES)[number];
export type CategoryFeature = (typeof CATEGORY_FEATURES)[number];

export const LIFECYCLE_STAGES = ['prospect', 'new', 'active', 'dormant', 'churned'] as const;
export type LifecycleStage = (typeof LIFECYCLE_STAGES)[number];

/** A first purchase this recent makes a customer "new", whatever their cadence. */
export const NEW_CUSTOMER_DAYS = 60;
/** Active while the silence is at most this many of the customer's own purchase gaps; dormant up to CHURNED_GAPS. */
export const ACTIVE_GAPS = 2;
export const CHURNED_GAPS = 4;

const MEASURED_NOTE = '0 when a platform of the person provides engagement events (table engagement_events) but none fell in the window; missing when none of their platforms provides engagement events at all (nothing was measured).';

/** The windowed engagement features (src/segmentation/engagement-windows.ts), computed from the dated events. */
const ENGAGEMENT_WINDOW_CATALOGUE: FeatureDoc[] = [
  ...WINDOWED_CHANNELS.flatMap(([channel, prefix, label, unit]) => WINDOW_DAYS.map((days): FeatureDoc => ({
    key: `${prefix}${days}d`, kind: 'number', label: `${label} in the last ${days} days`, unit,
    description: `${channel} events in the ${days} days up to the reference date (each event counts its own count). ${MEASURED_NOTE}`,
  }))),
  { key: 'engagementEvents90d', kind: 'number', label: 'engagement events in the last 90 days', unit: 'events', description: `Engagement events of every channel except email_delivered (opens, clicks, bounces, unsubscribes, visits, page views, forms, sales-email replies, abandoned checkouts) in the 90 days up to the reference date. ${MEASURED_NOTE}` },
  { key: 'engagementTrend', kind: 'number', label: 'engagement trend', unit: '-1..1', description: 'Engagement events (as in engagementEvents90d) in the last 90 days (R) against the 90 days before (E): (R − E) ÷ (R + E). +1 = all recent, −1 = all earlier, 0 = steady. Missing when both are 0 or nothing is measured.' },
  { key: 'daysSinceLastEngagement', kind: 'number', label: 'days since the last engagement', unit: 'days', description: 'Whole days since the last engagement event of any channel except email_delivered, up to the reference date. Missing with no such event or nothing measured.' },
];

const PROPENSITY_CATALOGUE: FeatureDoc[] = [
  { key: 'purchasePropensity90d', kind: 'number', label: 'chance of a first purchase in the next 90 days', unit: '0-1', description: 'First-purchase propensity (segmentation.propensity): the probability that a person who has never bought makes a first won purchase in the 90 days after the reference date, from an L2-regularised logistic regression fitted on the workspace\'s own history: the windowed engagement features, tenureDays, companyEmployees, companyAnnualRevenue and attributes.leadScore of people who had not bought at past cutoffs (reference − 180 and − 90 days), labelled by a first purchase in the 90 days after. The firmographics and lead score are today\'s values, not those at the cutoff (a small leak). Missing for people who have bought, and for everyone when the model is off or skipped.' },
  { key: 'leadScore', kind: 'number', label: 'lead score', unit: 'score 0-100', description: 'The percentile rank of purchasePropensity90d among the scored people (never bought), as a whole number: the share of the other scored people with a lower propensity (ties counted half) × 100, rounded down; the highest gets 100, the lowest 0, 90 = more likely than 90% of them. Missing where purchasePropensity90d is. (A lead score a platform keeps, e.g. Marketo\'s, is the attribute attributes.leadScore, one of the model\'s inputs.)' },
];

export const FEATURE_CATALOGUE: readonly FeatureDoc[] = [
  { key: 'recencyDays', kind: 'number', label: 'days since the last purchase in the window', unit: 'days', description: 'RFM recency: whole days from the last purchase inside the RFM window to the reference date. Missing when nothing was bought in the window.' },
  { key: 'frequency', kind: 'number', label: 'purchases in the window', unit: 'orders', description: 'RFM frequency: won purchases inside the RFM window (0 when none).' },
  { key: 'monetary', kind: 'number', label: 'spend in the window', unit: 'money', description: 'RFM monetary: total of won purchases inside the RFM window, in the base currency (0 when none).' },
  { key: 'r', kind: 'number', label: 'recency score', unit: 'score 1-5', description: 'RFM recency score among the customers who bought in the window (5 = most recent). Missing otherwise.' },
  { key: 'f', kind: 'number', label: 'frequency score', unit: 'score 1-5', description: 'RFM frequency score (5 = most purchases). Missing when nothing was bought in the window.' },
  { key: 'm', kind: 'number', label: 'monetary score', unit: 'score 1-5', description: 'RFM monetary score (5 = highest spend). Missing when nothing was bought in the window.' },
  { key: 'daysSinceLastPurchase', kind: 'number', label: 'days since the last purchase', unit: 'days', description: 'Whole days from the last purchase ever (window or not) to the reference date. Missing for prospects.' },
  { key: 'daysSinceFirstPurchase', kind: 'number', label: 'days since the first purchase', unit: 'days', description: 'Whole days from the first purchase to the reference date. Missing for prospects.' },
  { key: 'lifetimeFrequency', kind: 'number', label: 'purchases', unit: 'orders', description: 'Won purchases over the whole history up to the reference date.' },
  { key: 'lifetimeMonetary', kind: 'number', label: 'lifetime spend', unit: 'money', description: 'Total of won purchases over the whole history, in the base currency.' },
  { key: 'averageOrderValue', kind: 'number', label: 'average order value', unit: 'money', description: 'Lifetime spend ÷ lifetime purchases. Missing for prospects.' },
  { key: 'tenureDays', kind: 'number', label: 'days as a customer', unit: 'days', description: 'Whole days since the person was first seen: the earlier of the contact\'s creation date on any platform and the first purchase.' },
  { key: 'meanDaysBetweenPurchases', kind: 'number', label: 'days between purchases', unit: 'days', description: '(last purchase − first purchase) ÷ (distinct purchase days − 1), in days: the customer\'s own buying cadence (several orders on one day count as one trip). Missing with purchases on fewer than two days.' },
  { key: 'spendTrend', kind: 'number', label: 'spend trend', unit: '-1..1', description: 'Spend in the recent half of the RFM window (R) against the earlier half (E): (R − E) ÷ (R + E). +1 = all recent, −1 = all earlier, 0 = steady. Missing when nothing was spent in the window.' },
  { key: 'emailOpens', kind: 'number', label: 'marketing emails opened', unit: 'emails', description: 'Marketing emails the person opened, from the mapped attribute emailOpens (HubSpot: hs_email_open); where no attribute holds a value, the email_open events up to the reference date (Marketo keeps no total on the lead). Missing where neither is kept.' },
  { key: 'emailClicks', kind: 'number', label: 'marketing emails clicked', unit: 'emails', description: 'Marketing emails the person clicked, from the mapped attribute emailClicks (HubSpot: hs_email_click); else the email_click events up to the reference date. Missing where neither is kept.' },
  { key: 'daysSinceLastEmailOpen', kind: 'number', label: 'days since the last email open', unit: 'days', description: 'Whole days since the last marketing email open (mapped attribute lastEmailOpenAt; HubSpot: hs_email_last_open_date; else the last email_open event). Missing if never opened or not kept.' },
  { key: 'emailOpenRate', kind: 'number', label: 'email open rate', unit: '0-1', description: 'Marketing emails opened ÷ delivered (mapped attributes emailOpens and emailsDelivered; HubSpot: hs_email_open, hs_email_delivered; else email_open ÷ email_delivered events), at most 1. Missing when either is not kept or nothing was delivered.' },
  { key: 'emailClickRate', kind: 'number', label: 'email click rate', unit: '0-1', description: 'Marketing emails clicked ÷ delivered (emailClicks, emailsDelivered; HubSpot: hs_email_click, hs_email_delivered; else email_click ÷ email_delivered events), at most 1. Missing when either is not kept or nothing was delivered.' },
  { key: 'daysSinceLastEmailClick', kind: 'number', label: 'days since the last email click', unit: 'days', description: 'Whole days since the last marketing email click (mapped attribute lastEmailClickAt; HubSpot: hs_email_last_click_date; else the last email_click event). Missing if never clicked or not kept.' },
  { key: 'daysSinceLastSalesEmailReply', kind: 'number', label: 'days since the last sales email reply', unit: 'days', description: 'Whole days since the person last replied to a sales email (lastSalesEmailReplyAt; HubSpot: hs_sales_email_last_replied; else the last sales_email_reply event). Missing if never or not kept.' },
  { key: 'webVisits', kind: 'number', label: 'website visits', unit: 'sessions', description: 'Website sessions (mapped attribute webVisits; HubSpot: hs_analytics_num_visits; else the web_visit events up to the reference date). Missing for visitors the site never identified.' },
  { key: 'pageViews', kind: 'number', label: 'page views', unit: 'pages', description: 'Website page views (pageViews; HubSpot: hs_analytics_num_page_views; else the page_view events). Missing for visitors the site never identified.' },
  { key: 'formFills', kind: 'number', label: 'form submissions', unit: 'forms', description: 'Forms the person submitted (mapped attribute formSubmissions; HubSpot: num_conversion_events; else the form_fill events up to the reference date). Missing where neither is kept.' },
  { key: 'daysSinceLastVisit', kind: 'number', label: 'days since the last website visit', unit: 'days', description: 'Whole days since the last website session (lastVisitAt; HubSpot: hs_analytics_last_visit_timestamp; else the last web_visit event). Missing with no tracked visit.' },
  { key: 'companyEmployees', kind: 'number', label: 'company employees', unit: 'people', description: 'Employees of the person\'s company (mapped attribute companyEmployees; HubSpot: the primary associated company\'s numberofemployees). Missing with no company or no count.' },
  { key: 'companyAnnualRevenue', kind: 'number', label: 'company annual revenue', unit: 'money', description: 'Annual revenue of the person\'s company as the platform keeps it, in its own currency (companyAnnualRevenue; HubSpot: the primary company\'s annualrevenue). Missing with no company or no figure.' },
  { key: 'topProductTypeShare', kind: 'number', label: 'share of spend on the favourite product type', unit: '0-1', description: 'Share of the person\'s won line-item spend (base currency) on topProductType. Missing without line items (Shopify orders carry them).' },
  { key: 'daysSinceLastAbandonedCheckout', kind: 'number', label: 'days since the last abandoned checkout', unit: 'days', description: 'Whole days since the person last left a checkout unfinished (engagement events on channel checkout_abandoned; Shopify: abandonedCheckouts). Missing if never.' },
  { key: 'abandonedCheckouts90d', kind: 'number', label: 'abandoned checkouts in 90 days', unit: 'checkouts', description: 'Checkouts the person left unfinished in the 90 days before the reference date (0 when none); missing for everyone when no platform reports abandoned checkouts.' },
  { key: 'pAlive', kind: 'number', label: 'chance of still being a customer', unit: '0-1', description: 'BG/NBD probability that the customer has not silently dropped out, given how often and how recently they bought (segmentation.predictions). Missing for one-time buyers (the model gives them 1 by construction: it cannot yet have seen them leave), for prospects, and when predictions did not run.' },
  { key: 'churnRisk', kind: 'number', label: 'churn risk', unit: '0-1', description: '1 − pAlive (missing where pAlive is).' },
  { key: 'expectedPurchases90d', kind: 'number', label: 'expected purchases in the next 90 days', unit: 'orders', description: 'BG/NBD conditional expectation of purchases (distinct purchase days) in the 90 days after the reference date.' },
  { key: 'expectedOrderValue', kind: 'number', label: 'expected order value', unit: 'money', description: 'Gamma-Gamma expected spend per future purchase: the customer\'s own mean repeat spend shrunk towards the population mean, less so the more they bought. For one-time buyers, their single purchase is taken as one observation of their spend (this assumes a first order is like later ones, which the fit itself leaves out).' },
  { key: 'clv', kind: 'number', label: 'expected value over the horizon', unit: 'money', description: 'Customer lifetime value over segmentation.predictions.horizonMonths (default 12): expected purchases month by month × expected order value, discounted by monthlyDiscountRate (default 1%). Missing when the spend model could not be fitted.' },
  { key: 'daysToNextPurchase', kind: 'number', label: 'days to the next purchase', unit: 'days', description: 'Median days from the reference date to the next purchase if the customer is still active (see pAlive): half of such customers buy sooner. Missing when that is beyond the CLV horizon.' },
  ...ENGAGEMENT_WINDOW_CATALOGUE,
  ...PROPENSITY_CATALOGUE,
  { key: 'lastPurchaseAt', kind: 'date', label: 'last purchase', unit: 'date', description: 'Date of the last won purchase up to the reference date.' },
  { key: 'firstPurchaseAt', kind: 'date', label: 'first purchase', unit: 'date', description: 'Date of the first won purchase.' },
  { key: 'createdAt', kind: 'date', label: 'first seen', unit: 'date', description: 'Earliest contact creation date across platforms (missing if after the reference date).' },
  { key: 'lastEmailOpenAt', kind: 'date', label: 'last email open', unit: 'date', description: 'Date of the last marketing email open (mapped attribute lastEmailOpenAt).' },
  { key: 'lastEmailClickAt', kind: 'date', label: 'last email click', unit: 'date', description: 'Date of the last marketing email click (mapped attribute lastEmailClickAt).' },
  { key: 'lastVisitAt', kind: 'date', label: 'last website visit', unit: 'date', description: 'Date of the last website session (mapped attribute lastVisitAt).' },
  { key: 'nextPurchaseAt', kind: 'date', label: 'expected next purchase', unit: 'date', description: 'Reference date + daysToNextPurchase: when an active customer is expected to buy next.' },
  { key: 'country', kind: 'category', label: 'country', unit: 'ISO code', description: 'Mapped contact country (the first platform that has one, in platform order).' },
  { key: 'city', kind: 'category', label: 'city', unit: 'text', description: 'Mapped contact city (the first platform that has one).' },
  { key: 'emailConsent', kind: 'category', label: 'email consent', unit: 'subscribed / unsubscribed / unknown', description: 'Consent across platforms: unsubscribed anywhere wins, then subscribed anywhere, else unknown.' },
  { key: 'lifecycleStage', kind: 'category', label: 'lifecycle stage', unit: LIFECYCLE_STAGES.join(' / '), description: `Judged against the customer's own cadence: prospect (never bought); new (first purchase within ${NEW_CUSTOMER_DAYS} days); active (silent for at most ${ACTIVE_GAPS}× their mean gap between purchases); dormant (up to ${CHURNED_GAPS}×); churned (longer). One-time buyers are judged against the median cadence of repeat buyers.` },
  { key: 'rfmSegment', kind: 'category', label: 'RFM segment', unit: 'segment key', description: 'The RFM segment key (champions, at_risk, ...).' },
  { key: 'persona', kind: 'category', label: 'persona', unit: 'segment key', description: 'The persona (cluster) segment key, when clustering ran; missing for people outside the clustered population (segmentation.clustering.population: by default the prospects of a store that has purchases).' },
  { key: 'crmLifecycleStage', kind: 'category', label: 'CRM lifecycle stage', unit: 'platform value', description: 'The lifecycle stage the CRM keeps (mapped attribute lifecycleStage; HubSpot: lifecyclestage, e.g. lead, marketingqualifiedlead, customer), as opposed to segsync\'s own lifecycleStage.' },
  { key: 'leadStatus', kind: 'category', label: 'lead status', unit: 'platform value', description: 'The sales lead status (mapped attribute leadStatus; HubSpot: hs_lead_status, e.g. NEW, IN_PROGRESS).' },
  { key: 'topProductType', kind: 'category', label: 'favourite product type', unit: 'product type', description: 'The product type the person spent most on over their won purchases\' line items (ties by name), as the shop spells it. Missing without line items.' },
  { key: 'companyIndustry', kind: 'category', label: 'company industry', unit: 'platform value', description: 'Industry of the person\'s company (mapped attribute companyIndustry; HubSpot: the primary associated company\'s industry, e.g. COMPUTER_SOFTWARE).' },
];

/** The person's static facts, one array entry per profile, as loaded from the store. */
export interface ProfileAttributes {
  /** Earliest contact creation time across platforms (NaN if unknown). */
  createdAtMs: Float64Array;
  country: Array<string | null>;
  city: Array<string | null>;
  emailConsent: Array<string | null>;
  /** Mapped attributes (sources.<platform>.attributes): name → value per profile. */
  attributes: Map<string, Array<string | number | boolean | null>>;
  /** Purchase lines and abandoned checkouts (interests.ts); absent: none. */
  interestInputs?: InterestInputs;
}

/** Purchases grouped by profile (CSR): profile i's purchases are [offsets[i], offsets[i+1]), oldest first. */
export interface PurchasesByProfile {
  offsets: Int32Array;
  atMs: Float64Array;
  amount: Float64Array;
}

export interface FeatureSet {
  rows: number;
  referenceMs: number;
  windowDays: number;
  numbers: Record<NumberFeature, Float64Array>;
  dates: Record<DateFeature, Float64Array>;
  categories: Record<CategoryFeature, Array<string | null>>;
  attributes: Map<string, Array<string | number | boolean | null>>;
  /** `interests.<slug>` → share of spend per profile on the store's top product types (interests.ts); absent: none. */
  interests?: Map<string, Float64Array>;
  purchases: PurchasesByProfile;
  /** Each named clustering other than customers → the persona key of each profile (null outside it); set by segmentation, read by rules (persona.<name>). */
  clusterPersonas?: Map<string, Array<string | null>>;
}

/** Groups purchases (up to the reference date) by profile, oldest first, in O(n) plus one sort per profile. */
export function groupPurchases(rows: number, purchases: PurchaseColumns, referenceMs: number): PurchasesByProfile {
  const counts = new Int32Array(rows + 1);
  const n = purchases.profileIndex.length;
  for (let k = 0; k < n; k++) if (purchases.occurredAtMs[k]! <= referenceMs) counts[purchases.profileIndex[k]! + 1]!++;
  const offsets = new Int32Array(rows + 1);
  for (let i = 0; i < rows; i++) offsets[i + 1] = offsets[i]! + counts[i + 1]!;
  const fill = offsets.slice(0, rows);
  const total = offsets[rows]!;
  const order = new Int32Array(total);
  for (let k = 0; k < n; k++) {
    if (purchases.occurredAtMs[k]! > referenceMs) continue;
    const p = purchases.profileIndex[k]!;
    order[fill[p]!] = k;
    fill[p]!++;
  }
  const atMs = new Float64Array(total);
  const amount = new Float64Array(total);
  for (let i = 0; i < rows; i++) {
    const from = offsets[i]!;
    const to = offsets[i + 1]!;
    const slice = order.subarray(from, to);
    if (to - from > 1) slice.sort((a, b) => purchases.occurredAtMs[a]! - purchases.occurredAtMs[b]! || a - b);
    for (let j = from; j < to; j++) {
      atMs[j] = purchases.occurredAtMs[order[j]!]!;
      amount[j] = purchases.amount[order[j]!]!;
    }
  }
  return { offsets, atMs, amount };
}

function nanArray(n: number): Float64Array {
  return new Float64Array(n).fill(Number.NaN);
}

function median(values: Float64Array): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Every feature of every profile. `rfm` and `rfmSegments` come from the RFM step (same purchases,
 * same reference date); `persona` stays null until clustering assigns one.
 */
export function computeFeatures(
  rows: number,
  /** As columns, or already grouped by profile (groupPurchases): a caller can then let go of the columns first. */
  purchases: PurchaseColumns | PurchasesByProfile,
  rfm: RfmResult,
  rfmSegments: readonly string[],
  profile: ProfileAttributes,
  options: { referenceMs: number; windowDays: number; engagement?: EngagementSummary },
): FeatureSet {
  const { referenceMs, windowDays } = options;
  const byProfile = 'offsets' in purchases ? purchases : groupPurchases(rows, purchases, referenceMs);
  const { offsets, atMs, amount } = byProfile;
  const daysBefore = (ms: number) => Math.floor((referenceMs - ms) / MS_PER_DAY);
  const halfWindowStart = referenceMs - (windowDays / 2) * MS_PER_DAY;
  const windowStart = referenceMs - windowDays * MS_PER_DAY;

  // The windowed engagement columns come whole from engagementWindows: no placeholder for them.
  const engagement = options.engagement ?? noEngagement(rows, referenceMs);
  const windows: Partial<Record<NumberFeature, Float64Array>> = engagementWindows(engagement, referenceMs);
  const numbers = Object.fromEntries(NUMBER_FEATURES.map((k) => [k, windows[k] ?? nanArray(rows)])) as Record<NumberFeature, Float64Array>;
  const dates = Object.fromEntries(DATE_FEATURES.map((k) => [k, nanArray(rows)])) as Record<DateFeature, Float64Array>;

  for (let i = 0; i < rows; i++) {
    const from = offsets[i]!;
    const to = offsets[i + 1]!;
    const count = to - from;
    const scored = rfm.status[i] === RFM_STATUS_SCORED;
    numbers.recencyDays[i] = scored ? rfm.recencyDays[i]! : Number.NaN;
    numbers.frequency[i] = scored ? rfm.frequency[i]! : 0;
    numbers.monetary[i] = scored ? rfm.monetary[i]! : 0;
    if (scored) {
      numbers.r[i] = rfm.r[i]!;
      numbers.f[i] = rfm.f[i]!;
      numbers.m[i] = rfm.m[i]!;
    }
    numbers.lifetimeFrequency[i] = count;
    let total = 0;
    let recent = 0;
    let earlier = 0;
    for (let j = from; j < to; j++) {
      const a = amount[j]!;
      total += a;
      const at = atMs[j]!;
      if (at >= halfWindowStart) recent += a;
      else if (at >= windowStart) earlier += a;
    }
    numbers.lifetimeMonetary[i] = Math.round(total * 100) / 100;
    // A contact created after the reference date does not exist yet "as of" that date.
    const createdAt = profile.createdAtMs[i]! <= referenceMs ? profile.createdAtMs[i]! : Number.NaN;
    if (count > 0) {
      const first = atMs[from]!;
      const last = atMs[to - 1]!;
      dates.firstPurchaseAt[i] = first;
      dates.lastPurchaseAt[i] = last;
      numbers.daysSinceLastPurchase[i] = daysBefore(last);
      numbers.daysSinceFirstPurchase[i] = daysBefore(first);
      numbers.averageOrderValue[i] = total / count;
      // Cadence over distinct purchase days: two orders on one day are one shopping trip, not a 0-day gap.
      let days = 1;
      for (let j = from + 1; j < to; j++) if (Math.floor(atMs[j]! / MS_PER_DAY) !== Math.floor(atMs[j - 1]! / MS_PER_DAY)) days++;
      if (days > 1) numbers.meanDaysBetweenPurchases[i] = (last - first) / MS_PER_DAY / (days - 1);
      if (recent + earlier > 0) numbers.spendTrend[i] = (recent - earlier) / (recent + earlier);
      const firstSeen = Number.isNaN(createdAt) ? first : Math.min(createdAt, first);
      numbers.tenureDays[i] = daysBefore(firstSeen);
    } else if (!Number.isNaN(createdAt)) {
      numbers.tenureDays[i] = daysBefore(createdAt);
    }
    dates.createdAt[i] = createdAt;
  }

  engagementFeatures(profile.attributes, numbers, dates, referenceMs);
  engagementFallbacks(engagement, numbers, dates, referenceMs);
  const interests = profile.interestInputs ? computeInterests(rows, profile.interestInputs, referenceMs) : undefined;
  if (interests) {
    numbers.topProductTypeShare = interests.topProductTypeShare;
    numbers.daysSinceLastAbandonedCheckout = interests.daysSinceLastAbandonedCheckout;
    numbers.abandonedCheckouts90d = interests.abandonedCheckouts90d;
  }
  const lifecycleStage = lifecycleStages(numbers);
  return {
    rows,
    referenceMs,
    windowDays,
    numbers,
    dates,
    categories: {
      country: profile.country,
      city: profile.city,
      emailConsent: profile.emailConsent,
      lifecycleStage,
      rfmSegment: [...rfmSegments],
      persona: new Array<string | null>(rows).fill(null),
      crmLifecycleStage: categoryColumn(profile.attributes.get(ENGAGEMENT_ATTRIBUTES.lifecycleStage), rows),
      leadStatus: categoryColumn(profile.attributes.get(ENGAGEMENT_ATTRIBUTES.leadStatus), rows),
      companyIndustry: categoryColumn(profile.attributes.get(ENGAGEMENT_ATTRIBUTES.industry), rows),
      topProductType: interests?.topProductType ?? new Array<string | null>(rows).fill(null),
    },
    attributes: profile.attributes,
    interests: interests?.shares ?? new Map(),
    purchases: byProfile,
  };
}

/** An `interests.<slug>` feature's value for profile i: NaN when the store has no such top product type. */
export function interestNumber(features: FeatureSet, key: string, i: number): number {
  const column = features.interests?.get(key.slice('interests.'.length));
  return column ? column[i]! : Number.NaN;
}

/** A mapped attribute's value as a number (platforms send numbers as text too); NaN if it is not one. */
export function attributeNumber(v: string | number | boolean | null | undefined): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
  return Number.isFinite(n) ? n : Number.NaN;
}

/** A mapped category attribute as text per profile; missing stays null. */
function categoryColumn(column: ReadonlyArray<string | number | boolean | null> | undefined, rows: number): Array<string | null> {
  const out = new Array<string | null>(rows).fill(null);
  if (column) for (let i = 0; i < rows; i++) {
    const v = column[i];
    if (v !== null && v !== undefined && String(v).trim() !== '') out[i] = String(v).trim();
  }
  return out;
}

/** A mapped attribute as a date (epoch ms) at or before the reference date; NaN otherwise. */
function attributeDate(v: string | number | boolean | null | undefined, referenceMs: number): number {
  const ms = typeof v === 'string' ? (/^\d+$/.test(v.trim()) ? Number(v.trim()) : parseStrictDate(v)) : Number.NaN;
  return Number.isFinite(ms) && ms <= referenceMs ? ms : Number.NaN;
}

/**
 * Engagement and firmographics from the canonical attributes where present. A value a platform
 * does not keep stays missing (NaN), never 0: "unknown" is not "none".
 */
function engagementFeatures(
  attributes: ProfileAttributes['attributes'],
  numbers: Record<NumberFeature, Float64Array>,
  dates: Record<DateFeature, Float64Array>,
  referenceMs: number,
): void {
  const a = ENGAGEMENT_ATTRIBUTES;
  const column = (name: string) => attributes.get(name);
  const counts: Array<[NumberFeature, string]> = [
    ['emailOpens', a.opens], ['emailClicks', a.clicks], ['webVisits', a.visits], ['pageViews', a.pageViews],
    ['formFills', a.forms], ['companyEmployees', a.employees], ['companyAnnualRevenue', a.annualRevenue],
  ];
  const recencies: Array<[DateFeature | null, NumberFeature, string]> = [
    ['lastEmailOpenAt', 'daysSinceLastEmailOpen', a.lastOpenAt], ['lastEmailClickAt', 'daysSinceLastEmailClick', a.lastClickAt],
    ['lastVisitAt', 'daysSinceLastVisit', a.lastVisitAt], [null, 'daysSinceLastSalesEmailReply', a.lastSalesReplyAt],
  ];
  const delivered = column(a.delivered);
  const rows = numbers.emailOpens.length;
  for (const [feature, name] of counts) {
    const values = column(name);
    if (values) for (let i = 0; i < rows; i++) numbers[feature][i] = attributeNumber(values[i]);
  }
  for (const [date, days, name] of recencies) {
    const values = column(name);
    if (!values) continue;
    for (let i = 0; i < rows; i++) {
      const ms = attributeDate(values[i], referenceMs);
      if (Number.isNaN(ms)) continue;
      if (date) dates[date][i] = ms;
      numbers[days][i] = Math.floor((referenceMs - ms) / MS_PER_DAY);
    }
  }
  if (delivered) {
    for (let i = 0; i < rows; i++) {
      const d = attributeNumber(delivered[i]);
      if (!(d > 0)) continue;
      // NaN opens or clicks keep the rate missing: NaN / d is NaN, and Math.min keeps NaN.
      numbers.emailOpenRate[i] = Math.min(1, numbers.emailOpens[i]! / d);
      numbers.emailClickRate[i] = Math.min(1, numbers.emailClicks[i]! / d);
    }
  }
}

/**
 * Where no mapped attribute holds a total (Marketo keeps none on the lead), the dated events up to
 * the reference date give it, for people whose platforms provide events (others stay missing).
 */
function engagementFallbacks(
  events: EngagementSummary,
  numbers: Record<NumberFeature, Float64Array>,
  dates: Record<DateFeature, Float64Array>,
  referenceMs: number,
): void {
  const rows = events.rows;
  if (!events.measured.includes(1)) return;
  if (events.referenceMs !== referenceMs) throw new Error('the engagement summary was folded as of another reference date');
  const totals: Array<[NumberFeature, EngagementChannel]> = [
    ['emailOpens', 'email_open'], ['emailClicks', 'email_click'], ['webVisits', 'web_visit'], ['pageViews', 'page_view'], ['formFills', 'form_fill'],
  ];
  // A person whose platform keeps totals (HubSpot) is read from them alone: a total it leaves empty
  // (a visitor never identified) stays missing, not the 0 its dated events would give. The events
  // stand in only for people with no total at all (Marketo, an events file).
  // Nor do they for someone with no event at all (a person an events file does not list: nothing
  // was said about them).
  const keepsTotals = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) if (events.hasEvents[i] === 0) keepsTotals[i] = 1;
  for (const [feature] of totals) {
    const column = numbers[feature];
    for (let i = 0; i < rows; i++) if (!Number.isNaN(column[i]!)) keepsTotals[i] = 1;
  }
  for (const [feature, channel] of totals) {
    const column = numbers[feature];
    for (let i = 0; i < rows; i++) if (!keepsTotals[i] && Number.isNaN(column[i]!)) column[i] = events.total(i, channel);
  }
  const lasts: Array<[DateFeature | null, NumberFeature, EngagementChannel]> = [
    ['lastEmailOpenAt', 'daysSinceLastEmailOpen', 'email_open'], ['lastEmailClickAt', 'daysSinceLastEmailClick', 'email_click'],
    ['lastVisitAt', 'daysSinceLastVisit', 'web_visit'], [null, 'daysSinceLastSalesEmailReply', 'sales_email_reply'],
  ];
  for (const [date, days, channel] of lasts) {
    for (let i = 0; i < rows; i++) {
      if (keepsTotals[i] || !Number.isNaN(numbers[days][i]!)) continue;
      const lastMs = events.lastMs(i, channel);
      if (Number.isNaN(lastMs)) continue;
      if (date) dates[date][i] = lastMs;
      numbers[days][i] = Math.floor((referenceMs - lastMs) / MS_PER_DAY);
    }
  }
  // Rates: only where the attributes gave none, from the events' opens/clicks ÷ delivered.
  for (let i = 0; i < rows; i++) {
    const delivered = events.total(i, 'email_delivered');
    if (keepsTotals[i] || !(delivered > 0)) continue;
    if (Number.isNaN(numbers.emailOpenRate[i]!)) numbers.emailOpenRate[i] = Math.min(1, events.total(i, 'email_open') / delivered);
    if (Number.isNaN(numbers.emailClickRate[i]!)) numbers.emailClickRate[i] = Math.min(1, events.total(i, 'email_click') / delivered);
  }
}

/** Lifecycle stage per profile, judged against each customer's own cadence (see the catalogue). */
export function lifecycleStages(numbers: Pick<Record<NumberFeature, Float64Array>, 'lifetimeFrequency' | 'daysSinceLastPurchase' | 'daysSinceFirstPurchase' | 'meanDaysBetweenPurchases'>): LifecycleStage[] {
  const rows = numbers.lifetimeFrequency.length;
  const gaps = numbers.meanDaysBetweenPurchases.filter((g) => !Number.isNaN(g));
  // One-time buyers have no cadence of their own: judge them by the typical repeat buyer's.
  const typicalGap = gaps.length > 0 ? median(gaps) : 30;
  const stages: LifecycleStage[] = new Array<LifecycleStage>(rows);
  for (let i = 0; i < rows; i++) {
    if (numbers.lifetimeFrequency[i]! === 0) stages[i] = 'prospect';
    else if (numbers.daysSinceFirstPurchase[i]! <= NEW_CUSTOMER_DAYS) stages[i] = 'new';
    else {
      const own = numbers.meanDaysBetweenPurchases[i]!;
      const gap = Math.max(1, Number.isNaN(own) ? typicalGap : own);
      const silence = numbers.daysSinceLastPurchase[i]!;
      stages[i] = silence <= ACTIVE_GAPS * gap ? 'active' : silence <= CHURNED_GAPS * gap ? 'dormant' : 'churned';
    }
  }
  return stages;
}

/** What a label or trait calls a feature. */
export function featureLabel(key: string): string {
  if (INTEREST_KEY.test(key)) return `share of spend on ${key.slice('interests.'.length).replace(/([A-Z])/g, ' $1').toLowerCase()}`;
  return FEATURE_CATALOGUE.find((f) => f.key === key)?.label ?? key.replace(/^attributes\./, '').replace(/([A-Z])/g, ' $1').toLowerCase();
}
