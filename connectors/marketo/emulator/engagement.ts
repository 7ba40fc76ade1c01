/**
 * What a synthetic person did, as Marketo logs it: each SyntheticEvent becomes one activity of the
 * matching standard type, with primary attributes and attributes shaped like the real ones (Get
 * Activity Types; the activities docs). The channel ↔ type table is the connector's table read
 * backwards, so a pull stores exactly the events the population holds:
 *   web_visit → Visit Webpage (1)      form_fill → Fill Out Form (2)   page_view → Click Link (3)
 *   email_delivered → Email Delivered (7)   email_bounce → Email Bounced (8)
 *   unsubscribe → Unsubscribe Email (9)     email_open → Open Email (10)  email_click → Click Email (11)
 * sales_email_reply and checkout_abandoned have no standard Marketo activity: not served.
 */
import type { EngagementChannel } from '../../../src/domain/records.js';
import type { SyntheticEvent } from '../../../src/sandbox/population-types.js';
import type { ActivityRecord, LeadValue } from './state.js';

export const ENGAGEMENT_ACTIVITY: Partial<Record<EngagementChannel, number>> = {
  web_visit: 1,
  form_fill: 2,
  page_view: 3,
  email_delivered: 7,
  email_bounce: 8,
  unsubscribe: 9,
  email_open: 10,
  email_click: 11,
};

/**
 * CHOSEN: the emulator's Lead Score is a plain points sum over what the person did (a typical
 * scoring program): form fill 10, email click 3, web visit / click link / email open 1, delivered
 * 0, bounce -5, unsubscribe -10; never below 0. Deterministic, and higher for engaged people.
 */
const SCORE_POINTS: Partial<Record<EngagementChannel, number>> = {
  form_fill: 10, email_click: 3, web_visit: 1, page_view: 1, email_open: 1, email_bounce: -5, unsubscribe: -10,
};

export function leadScoreOf(events: readonly SyntheticEvent[] | undefined): number {
  let score = 0;
  for (const e of events ?? []) score += SCORE_POINTS[e.channel] ?? 0;
  return Math.max(0, score);
}

const PAGES = ['/', '/pricing', '/product', '/blog/segmentation-101', '/customers', '/contact'];
const FORMS = [{ id: 1001, name: 'Contact Us' }, { id: 1002, name: 'Webinar Registration' }, { id: 1003, name: 'Whitepaper Download' }];
const EMAILS = [{ id: 2001, name: 'Newsletter.Monthly Newsletter' }, { id: 2002, name: 'Nurture.Welcome Email' }, { id: 2003, name: 'Webinar.Invitation' }];
const AGENT = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15';

type Shaped = Omit<ActivityRecord, 'id' | 'leadId' | 'dateMs'>;

/** The activity for the n-th event of a lead (n picks the page, form or email, so it is stable). */
export function engagementActivity(channel: EngagementChannel, leadId: number, n: number): Shaped | undefined {
  const typeId = ENGAGEMENT_ACTIVITY[channel];
  if (typeId === undefined) return undefined;
  const pick = <T>(items: readonly T[]): T => items[(leadId * 7 + n) % items.length]!;
  const ip = `203.0.113.${(leadId * 13 + n) % 250 + 1}`;
  const page = pick(PAGES);
  const pageId = 100 + PAGES.indexOf(page);
  const attrs = (pairs: Record<string, LeadValue>) => Object.entries(pairs).map(([name, value]) => ({ name, value }));
  switch (channel) {
    case 'web_visit':
      return { typeId, primaryAttributeValueId: pageId, primaryAttributeValue: `www.example.com${page}`, attributes: attrs({ 'Client IP Address': ip, 'Query Parameters': null, 'Referrer URL': 'https://www.google.com/', 'User Agent': AGENT, 'Webpage URL': page }) };
    case 'page_view':
      return { typeId, primaryAttributeValueId: 500 + pageId, primaryAttributeValue: `www.example.com${page}`, attributes: attrs({ 'Client IP Address': ip, 'Referrer URL': 'https://www.example.com/', 'User Agent': AGENT, 'Webpage ID': 100 }) };
    case 'form_fill': {
      const form = pick(FORMS);
      return { typeId, primaryAttributeValueId: form.id, primaryAttributeValue: form.name, attributes: attrs({ 'Client IP Address': ip, 'Form Fields': '<value><![CDATA[a:1:{s:5:"Email";}]]></value>', 'User Agent': AGENT, 'Webpage ID': pageId }) };
    }
    default: {
      const email = pick(EMAILS);
      const common = { typeId, primaryAttributeValueId: email.id, primaryAttributeValue: email.name };
      if (channel === 'email_delivered') return { ...common, attributes: attrs({ 'Campaign Run ID': 1, 'Choice Number': 0, 'Step ID': 1 }) };
      if (channel === 'email_bounce') return { ...common, attributes: attrs({ Category: '1', Details: '550 5.1.1 User unknown', Subcategory: '1001', 'Campaign Run ID': 1, 'Step ID': 1 }) };
      if (channel === 'unsubscribe') return { ...common, attributes: attrs({ 'Client IP Address': ip, 'User Agent': AGENT, 'Campaign Run ID': 1 }) };
      if (channel === 'email_open') return { ...common, attributes: attrs({ Device: 'Mac', 'Is Mobile Device': false, Platform: 'Mac OS', 'User Agent': AGENT, 'Campaign Run ID': 1 }) };
      return { ...common, attributes: attrs({ Link: `https://www.example.com${page}`, Device: 'Mac', 'Is Mobile Device': false, Platform: 'Mac OS', 'User Agent': AGENT, 'Campaign Run ID': 1 }) };
    }
  }
}

const CHANNEL_OF_TYPE = new Map(Object.entries(ENGAGEMENT_ACTIVITY).map(([channel, id]) => [id, channel as EngagementChannel]));

/** The served form of a stored engagement activity (state.ts keeps only type, lead and ordinal). */
export function engagementActivityOfType(typeId: number, leadId: number, n: number): Shaped | undefined {
  const channel = CHANNEL_OF_TYPE.get(typeId);
  return channel ? engagementActivity(channel, leadId, n) : undefined;
}

/** GET /rest/v1/activities/types.json: the standard types the emulator logs (ids and names as Marketo's). */
export const ACTIVITY_TYPES: ReadonlyArray<{ id: number; name: string; description: string; primaryAttribute?: { name: string; dataType: string }; attributes: Array<{ name: string; dataType: string }> }> = [
  { id: 1, name: 'Visit Webpage', description: 'User visits a web page', primaryAttribute: { name: 'Webpage ID', dataType: 'integer' }, attributes: [{ name: 'Client IP Address', dataType: 'string' }, { name: 'Query Parameters', dataType: 'string' }, { name: 'Referrer URL', dataType: 'string' }, { name: 'User Agent', dataType: 'string' }, { name: 'Webpage URL', dataType: 'string' }] },
  { id: 2, name: 'Fill Out Form', description: 'User fills out and submits a form on web page', primaryAttribute: { name: 'Webform ID', dataType: 'integer' }, attributes: [{ name: 'Client IP Address', dataType: 'string' }, { name: 'Form Fields', dataType: 'text' }, { name: 'User Agent', dataType: 'string' }, { name: 'Webpage ID', dataType: 'integer' }] },
  { id: 3, name: 'Click Link', description: 'User clicks link on a page', primaryAttribute: { name: 'Link ID', dataType: 'integer' }, attributes: [{ name: 'Client IP Address', dataType: 'string' }, { name: 'Referrer URL', dataType: 'string' }, { name: 'User Agent', dataType: 'string' }, { name: 'Webpage ID', dataType: 'integer' }] },
  { id: 6, name: 'Send Email', description: 'Send Marketo Email to a person', primaryAttribute: { name: 'Mail ID', dataType: 'integer' }, attributes: [{ name: 'Campaign Run ID', dataType: 'integer' }, { name: 'Step ID', dataType: 'integer' }] },
  { id: 7, name: 'Email Delivered', description: 'Marketo Email is delivered to a person', primaryAttribute: { name: 'Mail ID', dataType: 'integer' }, attributes: [{ name: 'Campaign Run ID', dataType: 'integer' }, { name: 'Choice Number', dataType: 'integer' }, { name: 'Step ID', dataType: 'integer' }] },
  { id: 8, name: 'Email Bounced', description: 'Marketo Email bounces for a person', primaryAttribute: { name: 'Mail ID', dataType: 'integer' }, attributes: [{ name: 'Campaign Run ID', dataType: 'integer' }, { name: 'Category', dataType: 'string' }, { name: 'Details', dataType: 'string' }, { name: 'Step ID', dataType: 'integer' }, { name: 'Subcategory', dataType: 'string' }] },
  { id: 9, name: 'Unsubscribe Email', description: 'Person unsubscribes from Marketo Emails', primaryAttribute: { name: 'Mail ID', dataType: 'integer' }, attributes: [{ name: 'Campaign Run ID', dataType: 'integer' }, { name: 'Client IP Address', dataType: 'string' }, { name: 'User Agent', dataType: 'string' }] },
  { id: 10, name: 'Open Email', description: 'User opens Marketo Email', primaryAttribute: { name: 'Mail ID', dataType: 'integer' }, attributes: [{ name: 'Campaign Run ID', dataType: 'integer' }, { name: 'Device', dataType: 'string' }, { name: 'Is Mobile Device', dataType: 'boolean' }, { name: 'Platform', dataType: 'string' }, { name: 'User Agent', dataType: 'string' }] },
  { id: 11, name: 'Click Email', description: 'User clicks on a link in a Marketo Email', primaryAttribute: { name: 'Mail ID', dataType: 'integer' }, attributes: [{ name: 'Campaign Run ID', dataType: 'integer' }, { name: 'Device', dataType: 'string' }, { name: 'Is Mobile Device', dataType: 'boolean' }, { name: 'Link', dataType: 'string' }, { name: 'Platform', dataType: 'string' }, { name: 'User Agent', dataType: 'string' }] },
  { id: 12, name: 'New Lead', description: 'New person/record is added to the lead database', primaryAttribute: { name: 'Lead ID', dataType: 'integer' }, attributes: [{ name: 'Source Type', dataType: 'string' }] },
  { id: 13, name: 'Change Data Value', description: 'Changed attribute value for a person', primaryAttribute: { name: 'Attribute Name', dataType: 'integer' }, attributes: [{ name: 'New Value', dataType: 'string' }, { name: 'Old Value', dataType: 'string' }, { name: 'Reason', dataType: 'string' }, { name: 'Source', dataType: 'string' }] },
  { id: 22, name: 'Change Score', description: 'Change score value for a person', primaryAttribute: { name: 'Score Name', dataType: 'string' }, attributes: [{ name: 'Change Value', dataType: 'string' }, { name: 'New Value', dataType: 'integer' }, { name: 'Old Value', dataType: 'integer' }, { name: 'Reason', dataType: 'string' }] },
  { id: 24, name: 'Add to List', description: 'Person is added to a list', primaryAttribute: { name: 'List ID', dataType: 'integer' }, attributes: [{ name: 'Source', dataType: 'string' }] },
  { id: 25, name: 'Remove from List', description: 'Person is removed from a list', primaryAttribute: { name: 'List ID', dataType: 'integer' }, attributes: [{ name: 'Source', dataType: 'string' }] },
  { id: 34, name: 'Add to Opportunity', description: 'Add person to an opportunity', primaryAttribute: { name: 'Opportunity ID', dataType: 'integer' }, attributes: [{ name: 'Is Primary', dataType: 'boolean' }, { name: 'Role', dataType: 'string' }] },
  { id: 35, name: 'Remove from Opportunity', description: 'Remove person from an opportunity', primaryAttribute: { name: 'Opportunity ID', dataType: 'integer' }, attributes: [{ name: 'Role', dataType: 'string' }] },
  { id: 36, name: 'Update Opportunity', description: 'Updated opportunity', primaryAttribute: { name: 'Opportunity ID', dataType: 'integer' }, attributes: [{ name: 'Data Value Changes', dataType: 'string' }] },
  { id: 37, name: 'Delete Lead', description: 'Delete person from the lead database', primaryAttribute: { name: 'Lead ID', dataType: 'integer' }, attributes: [{ name: 'Removed From', dataType: 'string' }] },
];
