import { z } from 'zod';
import type { Mapping } from '../../src/config/mapping.js';
import type { JsonValue, ReadContext, Source, SourcePage, SourceStream } from '../../src/domain/connector.js';
import type { ContactRecord, PurchaseRecord } from '../../src/domain/records.js';
import { DAY_MS, extractLeads, extractStart, isoSeconds, type ExtractState } from './bulk-export.js';
import type { MarketoClient } from './client.js';
import { createEngagementStream } from './engagement.js';
import { MarketoApiError } from './errors.js';
import { checkMarketoMapping } from './mapping-check.js';
import { deletedLead, leadFields, mapLead, mapOpportunity, opportunityFields, watchedLeadFields, type Mapped } from './mapper.js';
import {
  ActivitiesPageSchema,
  LeadsPageSchema,
  OpportunitiesPageSchema,
  OpportunityRolesPageSchema,
  PagingTokenSchema,
  type Activity,
} from './schemas.js';

/**
 * Streams 'contacts' (leads), 'purchases' (opportunities linked to leads by opportunity roles) and
 * 'engagement' (web, form and email activities: engagement.ts).
 *
 * Full pull: leads cannot be listed or filtered by update time, so the first pull uses Bulk Lead
 * Extract with createdAt windows of at most 31 days (bulk-export.ts), then sweeps Get Deleted Leads.
 * Purchases: the lead ids just extracted → roles by leadId → every role of those opportunities →
 * opportunities by externalOpportunityId.
 *
 * Incremental pull (activities API, from the last pull's start minus the lookback):
 * - contacts: Get Lead Changes (`activities/leadchanges.json`, New Lead + Data Value Change) asked
 *   only for the fields segsync maps, then the changed leads re-read by id; when a score field is
 *   mapped, Change Score activities (22) too, since score changes are not Data Value Changes; Get Deleted Leads
 *   (activity 37) turns deleted leads into archived records. leadchanges.json rather than
 *   activities.json?activityTypeIds=12,13 because its required `fields` parameter filters data
 *   value changes to those fields: segsync's own token writes (data value changes of its custom
 *   fields on every pushed lead) then never make the next pull re-read every lead.
 * - purchases: Get Lead Activities for Add to / Remove from / Update Opportunity (34, 35, 36),
 *   then the opportunities of those leads re-read as above.
 * Every page carries a cursor (bulk job ids, paging tokens) so a crash resumes where it stopped.
 */

const LEADS_PER_CALL = 300;
/** Get Deleted Leads: "deletions greater than 14 days old may be pruned" (spec). */
const DELETED_LEADS_RETENTION_MS = 14 * DAY_MS;
const OPPORTUNITY_ACTIVITY_TYPES = [34, 35, 36];
/** Change Score: Marketo logs score field changes (Lead Score and other score fields) as these, not as Data Value Changes. */
const CHANGE_SCORE_ACTIVITY = 22;

const PendingJobSchema = z.object({ exportId: z.string(), startAt: z.string(), endAt: z.string(), enqueued: z.boolean(), attempts: z.number() });
const ExtractStateSchema = z.object({ nextStartMs: z.number(), endMs: z.number(), pending: z.array(PendingJobSchema) });

const ContactsCursorSchema = z.discriminatedUnion('phase', [
  z.object({
    phase: z.literal('full'),
    startedAt: z.number(),
    step: z.enum(['leads', 'deletes']),
    /** Start of the first createdAt window. */
    fromMs: z.number().optional(),
    extract: ExtractStateSchema.nullable(),
    token: z.string().optional(),
  }),
  z.object({ phase: z.literal('incremental'), since: z.number(), step: z.enum(['changes', 'scores', 'deletes']).optional(), token: z.string().optional() }),
]);
type ContactsCursor = z.infer<typeof ContactsCursorSchema>;

const PurchasesCursorSchema = z.union([
  z.object({ phase: z.literal('full'), startedAt: z.number(), mode: z.literal('handoff'), afterLeadId: z.number() }),
  z.object({ phase: z.literal('full'), startedAt: z.number(), mode: z.literal('extract'), extract: ExtractStateSchema.nullable() }),
  z.object({ phase: z.literal('incremental'), since: z.number(), token: z.string().optional() }),
]);
type PurchasesCursor = z.infer<typeof PurchasesCursorSchema>;

export interface MarketoSourceOptions {
  lookbackMinutes: number;
}

/** Lead ids read by a complete full contacts pull in this process, for the purchases stream. */
interface Handoff {
  ids: number[];
  startedAt: number;
  /** Where the windows start, and where this process's reading started (a resumed pull read less). */
  fromMs: number;
  coveredFromMs: number;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function page(cursor: unknown, received: number, mapped: { contacts?: Array<Mapped<ContactRecord>>; purchases?: Array<Mapped<PurchaseRecord>>; archived?: ContactRecord[] }): SourcePage {
  const out: SourcePage = { contacts: [], purchases: [], quarantined: [], received, cursor: cursor as JsonValue, mode: 'incremental' };
  for (const m of mapped.contacts ?? []) (m.ok ? out.contacts.push(m.record) : out.quarantined.push(m.quarantined));
  for (const m of mapped.purchases ?? []) (m.ok ? out.purchases.push(m.record) : out.quarantined.push(m.quarantined));
  out.contacts.push(...(mapped.archived ?? []));
  return out;
}

const full = (p: SourcePage): SourcePage => ({ ...p, mode: 'full' });

function externalIdOf(raw: unknown): string {
  const id = (raw as { externalOpportunityId?: unknown } | null)?.externalOpportunityId;
  return typeof id === 'string' ? id : '';
}

class RolesUnavailable extends Error {
  constructor(override readonly cause: MarketoApiError) {
    super(cause.message);
  }
}

export function createMarketoSource(client: MarketoClient, mapping: Mapping, options: MarketoSourceOptions): Source {
  const shared: { handoff?: Handoff } = {};
  const lookbackMs = options.lookbackMinutes * 60_000;
  // CHOSEN: a mapped lead field named like Marketo's score fields (leadScore, behaviorScore…).
  const scoresWatched = Object.values(mapping.contacts.attributes).some((field) => /score$/i.test(field));

  const pagingToken = async (sinceMs: number, signal: AbortSignal): Promise<string> => {
    const data = await client.request(
      { method: 'GET', path: '/rest/v1/activities/pagingtoken.json', qs: { sinceDatetime: isoSeconds(sinceMs) }, schema: PagingTokenSchema, write: false },
      signal,
    );
    return data.nextPageToken;
  };

  const readLeads = async (ids: readonly number[], signal: AbortSignal): Promise<unknown[]> => {
    const fields = leadFields(mapping).join(',');
    const out: unknown[] = [];
    for (const ids300 of chunks(ids, LEADS_PER_CALL)) {
      let next: string | undefined;
      do {
        const data = await client.request(
          {
            method: 'GET',
            path: '/rest/v1/leads.json',
            qs: { filterType: 'id', filterValues: ids300.join(','), fields, batchSize: LEADS_PER_CALL, nextPageToken: next },
            schema: LeadsPageSchema,
            write: false,
          },
          signal,
        );
        const result = data.result ?? [];
        out.push(...result);
        next = result.length > 0 ? data.nextPageToken : undefined;
      } while (next);
    }
    return out;
  };

  /** Deleted leads since `sinceMs`, page by page, as archived records. */
  async function* deletions(sinceMs: number, resumeToken: string | undefined, signal: AbortSignal): AsyncGenerator<{ archived: ContactRecord[]; received: number; token: string; more: boolean }> {
    let token = resumeToken ?? (await pagingToken(sinceMs, signal));
    for (;;) {
      const data = await client.request(
        { method: 'GET', path: '/rest/v1/activities/deletedleads.json', qs: { nextPageToken: token, batchSize: LEADS_PER_CALL }, schema: ActivitiesPageSchema, write: false },
        signal,
      );
      const activities = (data.result ?? []).filter((a) => a.activityTypeId === 37);
      const seen = new Set<number>();
      const archived: ContactRecord[] = [];
      for (const a of activities) if (!seen.has(a.leadId)) (seen.add(a.leadId), archived.push(deletedLead(a, mapping)));
      token = data.nextPageToken ?? token;
      const more = data.moreResult === true;
      yield { archived, received: (data.result ?? []).length, token, more };
      if (!more) return;
    }
  }

  // ---------------------------------------------------------------- contacts

  const contacts: SourceStream = {
    name: 'contacts',
    // Every lead by bulk extract, then the deletions Marketo still lists.
    fullReadIsComplete: true,
    /** Get Leads by filterType=id, 300 a call; a lead Marketo no longer has is simply not in the answer. */
    async *refetch(ids: readonly string[], context: ReadContext) {
      // Lead ids are positive integers: anything else was garbled on the way and cannot be asked for.
      const numeric = ids.filter((id) => /^[1-9]\d*$/.test(id)).map(Number);
      for (const batch of chunks(numeric, LEADS_PER_CALL)) {
        const raws = await readLeads(batch, context.signal);
        yield page(null, raws.length, { contacts: raws.map((raw) => mapLead(raw, mapping)) });
      }
    },
    async *read(stored: JsonValue | undefined, context: ReadContext) {
      const parsed = ContactsCursorSchema.safeParse(stored);
      const cursor: ContactsCursor | undefined = context.full || !parsed.success ? undefined : parsed.data;
      const { signal } = context;

      if (!cursor || cursor.phase === 'full') {
        const startedAt = cursor?.startedAt ?? context.now();
        const done: ContactsCursor = { phase: 'incremental', since: startedAt };
        let fromMs = cursor?.fromMs;
        if (!cursor || cursor.step === 'leads') {
          const extract: ExtractState = cursor?.extract ?? {
            nextStartMs: await extractStart(client, signal),
            endMs: Math.ceil(startedAt / 1000) * 1000,
            pending: [],
          };
          fromMs ??= cursor ? undefined : extract.nextStartMs;
          const coveredFromMs = extract.nextStartMs;
          const ids: number[] = [];
          for await (const chunk of extractLeads(client, { fields: leadFields(mapping), state: extract, signal, pollMs: client.config.bulkPollMs })) {
            for (const row of chunk.rows) if (typeof row.id === 'number') ids.push(row.id);
            const next: ContactsCursor = { phase: 'full', startedAt, step: 'leads', ...(fromMs !== undefined ? { fromMs } : {}), extract: chunk.state };
            yield full(page(next, chunk.rows.length, { contacts: chunk.rows.map((row) => mapLead(row, mapping)) }));
          }
          // Hand the lead ids to the purchases stream; after a resume it extracts the earlier windows itself.
          if (fromMs !== undefined) shared.handoff = { ids, startedAt, fromMs, coveredFromMs };
        }
        // Leads deleted recently (older deletions are pruned by Marketo) leave the store's view too.
        const resume = cursor?.step === 'deletes' ? cursor.token : undefined;
        let yielded = false;
        for await (const d of deletions(startedAt - DELETED_LEADS_RETENTION_MS, resume, signal)) {
          yield full(page(d.more ? { phase: 'full', startedAt, step: 'deletes', extract: null, token: d.token } : done, d.received, { archived: d.archived }));
          yielded = true;
        }
        if (!yielded) yield full(page(done, 0, {}));
        return;
      }

      // Incremental: what changed since the last pull started (minus the lookback).
      const startedAt = context.now();
      const sinceMs = cursor.since - lookbackMs;
      const done: ContactsCursor = { phase: 'incremental', since: startedAt };
      // One paging token serves both reads: it stands for the same moment.
      let sinceToken: string | undefined;
      if (cursor.step !== 'deletes' && cursor.step !== 'scores') {
        let token = cursor.step === 'changes' && cursor.token ? cursor.token : (sinceToken = await pagingToken(sinceMs, signal));
        const fields = watchedLeadFields(mapping).join(',');
        for (;;) {
          const data = await client.request(
            { method: 'GET', path: '/rest/v1/activities/leadchanges.json', qs: { nextPageToken: token, fields, batchSize: LEADS_PER_CALL }, schema: ActivitiesPageSchema, write: false },
            signal,
          );
          token = data.nextPageToken ?? token;
          const ids = [...new Set((data.result ?? []).filter((a) => a.activityTypeId === 12 || a.activityTypeId === 13).map((a) => a.leadId))];
          const raws = ids.length > 0 ? await readLeads(ids, signal) : [];
          const more = data.moreResult === true;
          // Until the deletions are read, a resume continues the changes from this token.
          const next: ContactsCursor = more ? { phase: 'incremental', since: cursor.since, step: 'changes', token } : { phase: 'incremental', since: cursor.since, step: scoresWatched ? 'scores' : 'deletes' };
          if (raws.length > 0 || !more) yield page(next, raws.length, { contacts: raws.map((raw) => mapLead(raw, mapping)) });
          if (!more) break;
        }
      }
      // Score fields change through Change Score activities, which Get Lead Changes never lists:
      // the leads whose score changed are read again too (only when a score field is mapped).
      if (scoresWatched && cursor.step !== 'deletes') {
        let token = cursor.step === 'scores' && cursor.token ? cursor.token : (sinceToken ??= await pagingToken(sinceMs, signal));
        for (;;) {
          const data = await client.request(
            { method: 'GET', path: '/rest/v1/activities.json', qs: { activityTypeIds: CHANGE_SCORE_ACTIVITY, nextPageToken: token, batchSize: LEADS_PER_CALL }, schema: ActivitiesPageSchema, write: false },
            signal,
          );
          token = data.nextPageToken ?? token;
          const ids = [...new Set((data.result ?? []).filter((a) => a.activityTypeId === CHANGE_SCORE_ACTIVITY).map((a) => a.leadId))];
          const raws = ids.length > 0 ? await readLeads(ids, signal) : [];
          const more = data.moreResult === true;
          const next: ContactsCursor = more ? { phase: 'incremental', since: cursor.since, step: 'scores', token } : { phase: 'incremental', since: cursor.since, step: 'deletes' };
          if (raws.length > 0 || !more) yield page(next, raws.length, { contacts: raws.map((raw) => mapLead(raw, mapping)) });
          if (!more) break;
        }
      }
      const resume = cursor.step === 'deletes' ? cursor.token : sinceToken;
      let yielded = false;
      for await (const d of deletions(sinceMs, resume, signal)) {
        yield page(d.more ? { phase: 'incremental', since: cursor.since, step: 'deletes', token: d.token } : done, d.received, { archived: d.archived });
        yielded = true;
      }
      if (!yielded) yield page(done, 0, {});
    },
  };

  // ---------------------------------------------------------------- purchases

  /** Every role of the given filter values (leadId or externalOpportunityId), all pages. */
  const readRoles = async (filterType: 'leadId' | 'externalOpportunityId', values: readonly (string | number)[], signal: AbortSignal) => {
    const roles: Array<{ externalOpportunityId: string; leadId: number }> = [];
    for (const batch of chunks(values, LEADS_PER_CALL)) {
      let next: string | undefined;
      do {
        const data = await client
          .request(
            {
              method: 'GET',
              path: '/rest/v1/opportunities/roles.json',
              qs: { filterType, filterValues: batch.join(','), batchSize: LEADS_PER_CALL, nextPageToken: next },
              schema: OpportunityRolesPageSchema,
              write: false,
            },
            signal,
          )
          .catch((error: unknown) => {
            // Instances with a native CRM sync have no role API (opportunity-roles docs: 1018).
            if (error instanceof MarketoApiError && error.code === '1018') throw new RolesUnavailable(error);
            throw error;
          });
        const result = data.result ?? [];
        roles.push(...result.map((r) => ({ externalOpportunityId: r.externalOpportunityId, leadId: r.leadId })));
        next = result.length > 0 ? data.nextPageToken : undefined;
      } while (next);
    }
    return roles;
  };

  /** The opportunities of these leads, each with every lead it has a role for. */
  const purchasesOf = async (leadIds: readonly number[], signal: AbortSignal): Promise<{ mapped: Array<Mapped<PurchaseRecord>>; received: number }> => {
    if (leadIds.length === 0) return { mapped: [], received: 0 };
    const direct = await readRoles('leadId', leadIds, signal);
    const opportunityIds = [...new Set(direct.map((r) => r.externalOpportunityId))];
    if (opportunityIds.length === 0) return { mapped: [], received: 0 };
    // An opportunity can have roles for leads outside this batch: read all its roles, so its
    // purchase is linked to every buyer, not only to the ones that led here.
    const roles = await readRoles('externalOpportunityId', opportunityIds, signal);
    const leadsOf = new Map<string, number[]>();
    for (const r of [...direct, ...roles]) {
      const list = leadsOf.get(r.externalOpportunityId) ?? [];
      if (!list.includes(r.leadId)) list.push(r.leadId);
      leadsOf.set(r.externalOpportunityId, list);
    }
    const raws = await readOpportunities('externalOpportunityId', opportunityIds, signal);
    return { mapped: raws.map((raw) => mapOpportunity(raw, mapping, leadsOf.get(externalIdOf(raw)) ?? [])), received: raws.length };
  };

  /** Opportunities by externalOpportunityId or by marketoGUID, all pages. */
  const readOpportunities = async (filterType: 'externalOpportunityId' | 'marketoGUID', values: readonly string[], signal: AbortSignal): Promise<unknown[]> => {
    const fields = opportunityFields(mapping).join(',');
    const out: unknown[] = [];
    for (const batch of chunks(values, LEADS_PER_CALL)) {
      let next: string | undefined;
      do {
        const data = await client.request(
          {
            method: 'GET',
            path: '/rest/v1/opportunities.json',
            qs: { filterType, filterValues: batch.join(','), fields, batchSize: LEADS_PER_CALL, nextPageToken: next },
            schema: OpportunitiesPageSchema,
            write: false,
          },
          signal,
        );
        const result = data.result ?? [];
        out.push(...result);
        next = result.length > 0 ? data.nextPageToken : undefined;
      } while (next);
    }
    return out;
  };

  const purchases: SourceStream = {
    name: 'purchases',
    // Every opportunity with a role for a lead: one with none counts for nobody.
    fullReadIsComplete: true,
    /** By marketoGUID (the id segsync stores), each with every lead it has a role for. */
    async *refetch(guids: readonly string[], context: ReadContext) {
      for (const batch of chunks(guids, LEADS_PER_CALL)) {
        const raws = await readOpportunities('marketoGUID', batch, context.signal);
        const external = [...new Set(raws.map(externalIdOf).filter((id) => id !== ''))];
        const roles = external.length > 0 ? await readRoles('externalOpportunityId', external, context.signal) : [];
        const leadsOf = new Map<string, number[]>();
        for (const r of roles) leadsOf.set(r.externalOpportunityId, [...(leadsOf.get(r.externalOpportunityId) ?? []), r.leadId]);
        // No cursor: a read by id does not move the stream.
        yield page(null, raws.length, { purchases: raws.map((raw) => mapOpportunity(raw, mapping, leadsOf.get(externalIdOf(raw)) ?? [])) });
      }
    },
    async *read(stored: JsonValue | undefined, context: ReadContext) {
      try {
        yield* readPurchases(stored, context);
      } catch (error) {
        if (!(error instanceof RolesUnavailable)) throw error;
        yield {
          ...page({ phase: 'incremental', since: context.now() } satisfies PurchasesCursor, 0, {}),
          partialView: 'Marketo offers no opportunity roles on this instance',
          warnings: [
            `Marketo answered ${error.cause.detail} for opportunity roles: this instance syncs opportunities from its CRM (Salesforce or Dynamics) and ` +
              'offers no role API, so segsync reads no Marketo purchases; connect the CRM\'s deals instead',
          ],
        };
      }
    },
  };

  async function* readPurchases(stored: JsonValue | undefined, context: ReadContext): AsyncGenerator<SourcePage> {
    const parsed = PurchasesCursorSchema.safeParse(stored);
    const cursor: PurchasesCursor | undefined = context.full || !parsed.success ? undefined : parsed.data;
    const { signal } = context;

    if (!cursor || cursor.phase === 'full') {
      const handoff = shared.handoff;
      shared.handoff = undefined;
      let resumeExtract: { startedAt: number; extract: ExtractState | null } | undefined =
        cursor?.mode === 'extract' ? { startedAt: cursor.startedAt, extract: cursor.extract } : undefined;
      if (handoff && (!cursor || cursor.mode === 'handoff')) {
        // The contacts stream just read the leads: use its ids instead of extracting them again.
        const after = cursor?.mode === 'handoff' ? cursor.afterLeadId : 0;
        const ids = [...new Set(handoff.ids)].filter((id) => id > after).sort((a, b) => a - b);
        // Windows a resumed contacts pull had read before it stopped: their ids are extracted here.
        const earlier: ExtractState | null = handoff.coveredFromMs > handoff.fromMs ? { nextStartMs: handoff.fromMs, endMs: handoff.coveredFromMs, pending: [] } : null;
        const tail: PurchasesCursor = earlier
          ? { phase: 'full', startedAt: handoff.startedAt, mode: 'extract', extract: earlier }
          : { phase: 'incremental', since: handoff.startedAt };
        const batches = chunks(ids, LEADS_PER_CALL);
        for (const [i, batch] of batches.entries()) {
          const { mapped, received } = await purchasesOf(batch, signal);
          const next: PurchasesCursor = i === batches.length - 1 ? tail : { phase: 'full', startedAt: handoff.startedAt, mode: 'handoff', afterLeadId: batch[batch.length - 1]! };
          yield full(page(next, received, { purchases: mapped }));
        }
        if (batches.length === 0) yield full(page(tail, 0, {}));
        if (!earlier) return;
        resumeExtract = { startedAt: handoff.startedAt, extract: earlier };
      }
      // Resumed, or run without a contacts pull in this process: extract the lead ids on our own.
      const startedAt = resumeExtract?.startedAt ?? context.now();
      const extract: ExtractState = resumeExtract?.extract ?? {
        nextStartMs: await extractStart(client, signal),
        endMs: Math.ceil(startedAt / 1000) * 1000,
        pending: [],
      };
      for await (const chunk of extractLeads(client, { fields: ['id'], state: extract, signal, pollMs: client.config.bulkPollMs })) {
        const ids = chunk.rows.map((r) => r.id).filter((id): id is number => typeof id === 'number');
        const { mapped, received } = await purchasesOf(ids, signal);
        yield full(page({ phase: 'full', startedAt, mode: 'extract', extract: chunk.state } satisfies PurchasesCursor, received, { purchases: mapped }));
      }
      yield full(page({ phase: 'incremental', since: startedAt } satisfies PurchasesCursor, 0, {}));
      return;
    }

    const startedAt = context.now();
    let token = cursor.token ?? (await pagingToken(cursor.since - lookbackMs, signal));
    for (;;) {
      const data = await client.request(
        {
          method: 'GET',
          path: '/rest/v1/activities.json',
          qs: { activityTypeIds: OPPORTUNITY_ACTIVITY_TYPES.join(','), nextPageToken: token, batchSize: LEADS_PER_CALL },
          schema: ActivitiesPageSchema,
          write: false,
        },
        signal,
      );
      token = data.nextPageToken ?? token;
      const more = data.moreResult === true;
      const leadIds = [...new Set((data.result ?? []).filter((a: Activity) => OPPORTUNITY_ACTIVITY_TYPES.includes(a.activityTypeId)).map((a) => a.leadId))];
      const { mapped, received } = await purchasesOf(leadIds, signal);
      const next: PurchasesCursor = more ? { phase: 'incremental', since: cursor.since, token } : { phase: 'incremental', since: startedAt };
      if (mapped.length > 0 || !more) yield page(next, received, { purchases: mapped });
      if (!more) return;
    }
  }

  return { streams: [contacts, purchases, createEngagementStream(client, { lookbackMs })], checkMapping: (signal) => checkMarketoMapping(client, mapping, signal) };
}
