import { z } from 'zod';
import type { Mapping } from '../../src/config/mapping.js';
import type { JsonValue, ReadContext, Source, SourcePage, SourceStream } from '../../src/domain/connector.js';
import type { ContactRecord, PurchaseRecord, QuarantinedRecord, StreamName } from '../../src/domain/records.js';
import type { HubSpotClient } from './client.js';
import { checkHubSpotMapping } from './mapping-check.js';
import { companyProperties, contactProperties, mapContact, mapDeal, purchaseProperties, type Mapped } from './mapper.js';
import { AssociationBatchSchema, BatchResponseSchema, CompanyAssociationBatchSchema, CrmObjectSchema, ObjectPageSchema } from './schemas.js';
import { searchModifiedSince } from './search-slices.js';
import { createEngagementStream } from './engagement-stream.js';
import { parseStrictDate } from '../../src/domain/dates.js';

/**
 * Where a stream stands. A full scan checkpoints its paging cursor; once done, incremental pulls
 * search by modification time from the moment the full scan *started*, so records changed while
 * it ran are picked up next time.
 */
const CursorSchema = z.discriminatedUnion('phase', [
  z.object({ phase: z.literal('full'), after: z.string().nullable(), startedAt: z.number() }),
  /** The live records are in; the archived listing (deletions) is under way. */
  z.object({ phase: z.literal('archived'), after: z.string().nullable(), startedAt: z.number() }),
  z.object({ phase: z.literal('incremental'), since: z.number() }),
]);
type Cursor = z.infer<typeof CursorSchema>;

interface StreamSpec {
  name: StreamName;
  objectType: 'contacts' | 'deals';
  modifiedProperty: string;
  properties: string[];
  /**
   * Maps one page of raw objects; may fetch associations first. `inlineAsked`: the page comes from
   * a listing that was asked for associations inline; search and batch read never return them.
   */
  mapPage(raws: unknown[], archived: boolean, signal: AbortSignal, inlineAsked: boolean): Promise<Array<Mapped<ContactRecord | PurchaseRecord>>>;
  /** Inline associations for full scans. */
  associations?: string;
  /**
   * Incremental pulls: raw records to read again because something mapped into them changed
   * elsewhere since `sinceMs` (a contact's company), leaving out the ids this pull already read.
   */
  linkedChanges?(sinceMs: number, alreadyRead: ReadonlySet<string>, signal: AbortSignal): AsyncIterable<unknown[]>;
}

export interface HubSpotSourceOptions {
  lookbackMinutes: number;
}

export function createHubSpotSource(client: HubSpotClient, mapping: Mapping, options: HubSpotSourceOptions): Source {
  const companyProps = companyProperties(mapping);
  const contacts: StreamSpec = {
    name: 'contacts',
    objectType: 'contacts',
    modifiedProperty: 'lastmodifieddate',
    properties: contactProperties(mapping),
    // A full scan lists each contact's companies inline, which saves the associations call per page.
    ...(companyProps.length > 0 ? { associations: 'companies' } : {}),
    mapPage: async (raws, archived, signal, inlineAsked) => {
      // Deleted contacts need no firmographics; the live ones get their primary company's.
      const companies = companyProps.length > 0 && !archived ? await contactCompanies(client, raws, companyProps, signal, inlineAsked) : undefined;
      return raws.map((raw) => mapContact(raw, mapping, archived, companies ? companies.get((raw as { id?: string }).id ?? '') ?? null : undefined));
    },
    ...(companyProps.length > 0
      ? { linkedChanges: (sinceMs: number, alreadyRead: ReadonlySet<string>, signal: AbortSignal) => contactsOfChangedCompanies(client, contactProperties(mapping), sinceMs, alreadyRead, signal) }
      : {}),
  };
  const deals: StreamSpec = {
    name: 'purchases',
    objectType: 'deals',
    modifiedProperty: 'hs_lastmodifieddate',
    properties: purchaseProperties(mapping),
    associations: 'contacts',
    mapPage: async (raws, archived, signal, inlineAsked) => {
      // A listing leaves `associations` out of a deal without contacts: then the page's are read
      // from associations v4 like those of searched and by-id deals, whatever keys those carry.
      const inline = inlineAsked && raws.every((r) => typeof r === 'object' && r !== null && 'associations' in r);
      const links = inline || archived ? undefined : await dealContacts(client, raws, signal);
      return raws.map((raw) => mapDeal(raw, mapping, archived, links?.get((raw as { id?: string }).id ?? '') ?? (links ? [] : undefined)));
    },
  };
  return {
    // Engagement last: its dated events belong to contacts the first stream has just stored.
    streams: [...[contacts, deals].map((spec) => createStream(client, spec, options)), createEngagementStream(client, mapping, options)],
    checkMapping: (signal) => checkHubSpotMapping(client, mapping, signal),
  };
}

/** The associations v4 batch read takes at most 1,000 inputs (platforms.md H3). */
const ASSOCIATION_BATCH_MAX = 1000;

/**
 * Associations of deals read without them: found by search, or read by id (neither the search
 * API nor batch read returns associations). HubSpot pages the contacts of one deal
 * (`paging.next.after`): those are asked for again as `{id, after}` until none is left.
 */
async function dealContacts(client: HubSpotClient, raws: unknown[], signal: AbortSignal): Promise<Map<string, string[]>> {
  const ids = raws.map((r) => (r as { id?: unknown }).id).filter((id): id is string => typeof id === 'string');
  const links = new Map<string, string[]>();
  let pending: Array<{ id: string; after?: string }> = ids.map((id) => ({ id }));
  // A cursor answered twice would loop forever: each one is followed once.
  const followed = new Set<string>();
  while (pending.length > 0) {
    const batch = pending.slice(0, ASSOCIATION_BATCH_MAX);
    pending = pending.slice(ASSOCIATION_BATCH_MAX);
    const { data } = await client.request(
      {
        method: 'POST',
        path: '/crm/v4/associations/deals/contacts/batch/read',
        body: { inputs: batch },
        schema: AssociationBatchSchema,
        write: false,
      },
      signal,
    );
    for (const r of data.results) {
      links.set(r.from.id, [...(links.get(r.from.id) ?? []), ...r.to.map((t) => String(t.toObjectId))]);
      const after = r.paging?.next?.after;
      if (after && !followed.has(`${r.from.id} ${after}`)) {
        followed.add(`${r.from.id} ${after}`);
        pending.push({ id: r.from.id, after });
      }
    }
  }
  return links;
}

/**
 * The companies a listing asked for inline (`associations=companies`): the v3 type
 * `contact_to_company` is the primary one, `contact_to_company_unlabeled` any other; a contact
 * without companies carries no `associations.companies` at all.
 */
function inlineCompanies(raws: unknown[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of raws) {
    const parsed = CrmObjectSchema.safeParse(raw);
    if (!parsed.success) continue;
    const linked = parsed.data.associations?.companies?.results ?? [];
    const primary = linked.find((a) => a.type === 'contact_to_company') ?? linked[0];
    if (primary && /^\d+$/.test(primary.id)) out.set(parsed.data.id, primary.id);
  }
  return out;
}

/** HUBSPOT_DEFINED contact → company "Primary" association type (platforms.md H3 lists the v4 ids). */
const PRIMARY_COMPANY_TYPE_ID = 1;

/**
 * The primary company's properties for each contact of a page: associations v4 contacts →
 * companies (≤1,000 inputs a call), then companies batch read (≤100 ids a call), both through the
 * client's rate limiter like the deal associations. A contact with several companies takes the one
 * labelled primary (else the first HubSpot lists); one without a company is absent from the map
 * (HubSpot answers it in the 207's errors: NO_ASSOCIATIONS_FOUND).
 */
async function contactCompanies(client: HubSpotClient, raws: unknown[], properties: string[], signal: AbortSignal, inlineAsked: boolean): Promise<Map<string, Record<string, string | null>>> {
  const ids = raws.map((r) => (r as { id?: unknown }).id).filter((id): id is string => typeof id === 'string' && /^\d+$/.test(id));
  const companyOf = inlineAsked ? inlineCompanies(raws) : new Map<string, string>();
  for (let i = 0; !inlineAsked && i < ids.length; i += ASSOCIATION_BATCH_MAX) {
    const { data } = await client.request(
      {
        method: 'POST',
        path: '/crm/v4/associations/contacts/companies/batch/read',
        body: { inputs: ids.slice(i, i + ASSOCIATION_BATCH_MAX).map((id) => ({ id })) },
        schema: CompanyAssociationBatchSchema,
        write: false,
      },
      signal,
    );
    for (const r of data.results) {
      const primary = r.to.find((t) => t.associationTypes?.some((a) => a.typeId === PRIMARY_COMPANY_TYPE_ID)) ?? r.to[0];
      if (primary) companyOf.set(r.from.id, String(primary.toObjectId));
    }
  }
  const wanted = [...new Set(companyOf.values())];
  const byId = new Map<string, Record<string, string | null>>();
  for (let i = 0; i < wanted.length; i += BATCH_READ_MAX) {
    const { data } = await client.request(
      {
        method: 'POST',
        path: '/crm/v3/objects/companies/batch/read',
        body: { inputs: wanted.slice(i, i + BATCH_READ_MAX).map((id) => ({ id })), properties },
        schema: BatchResponseSchema,
        write: false,
      },
      signal,
    );
    for (const raw of data.results) {
      // A company HubSpot answers malformed reads as no company: the contact itself is still good.
      const parsed = CrmObjectSchema.safeParse(raw);
      if (parsed.success) byId.set(parsed.data.id, parsed.data.properties);
    }
  }
  const out = new Map<string, Record<string, string | null>>();
  for (const [contactId, companyId] of companyOf) {
    const props = byId.get(companyId);
    if (props) out.set(contactId, props);
  }
  return out;
}

/**
 * Editing a company does not touch its contacts' modification dates, so the contact search alone
 * would never see it: the companies modified since `sinceMs` (search, like contacts), their
 * contacts (associations v4 companies → contacts), and those contacts read again by id.
 */
async function* contactsOfChangedCompanies(client: HubSpotClient, properties: string[], sinceMs: number, alreadyRead: ReadonlySet<string>, signal: AbortSignal): AsyncGenerator<unknown[]> {
  const companies: string[] = [];
  for await (const slice of searchModifiedSince(client, {
    objectType: 'companies',
    modifiedProperty: 'hs_lastmodifieddate',
    properties: ['hs_lastmodifieddate'],
    sinceMs,
    resultCap: client.config.searchResultCap,
    signal,
  })) {
    for (const raw of slice.results) {
      const id = (raw as { id?: unknown }).id;
      if (typeof id === 'string' && /^\d+$/.test(id)) companies.push(id);
    }
  }
  const contacts = new Set<string>();
  let pending: Array<{ id: string; after?: string }> = [...new Set(companies)].map((id) => ({ id }));
  const followed = new Set<string>();
  while (pending.length > 0) {
    const batch = pending.slice(0, ASSOCIATION_BATCH_MAX);
    pending = pending.slice(ASSOCIATION_BATCH_MAX);
    const { data } = await client.request(
      { method: 'POST', path: '/crm/v4/associations/companies/contacts/batch/read', body: { inputs: batch }, schema: AssociationBatchSchema, write: false },
      signal,
    );
    for (const r of data.results) {
      for (const t of r.to) if (!alreadyRead.has(String(t.toObjectId))) contacts.add(String(t.toObjectId));
      const after = r.paging?.next?.after;
      if (after && !followed.has(`${r.from.id} ${after}`)) {
        followed.add(`${r.from.id} ${after}`);
        pending.push({ id: r.from.id, after });
      }
    }
  }
  const ids = [...contacts];
  for (let i = 0; i < ids.length; i += BATCH_READ_MAX) {
    const { data } = await client.request(
      {
        method: 'POST',
        path: '/crm/v3/objects/contacts/batch/read',
        body: { inputs: ids.slice(i, i + BATCH_READ_MAX).map((id) => ({ id })), properties },
        schema: BatchResponseSchema,
        write: false,
      },
      signal,
    );
    yield data.results;
  }
}

function toPage(mapped: Array<Mapped<ContactRecord | PurchaseRecord>>, stream: StreamName, cursor: Cursor | null, received: number, expectedTotal?: number, mode: 'full' | 'incremental' = 'full'): SourcePage {
  const page: SourcePage = { contacts: [], purchases: [], quarantined: [], received, cursor: cursor as JsonValue, mode };
  if (expectedTotal !== undefined) page.expectedTotal = expectedTotal;
  for (const m of mapped) {
    if (!m.ok) page.quarantined.push(m.quarantined as QuarantinedRecord);
    else if (stream === 'contacts') page.contacts.push(m.record as ContactRecord);
    else page.purchases.push(m.record as PurchaseRecord);
  }
  return page;
}

/** Batch read takes at most 100 ids (platforms.md H2). */
const BATCH_READ_MAX = 100;

function createStream(client: HubSpotClient, spec: StreamSpec, options: HubSpotSourceOptions): SourceStream {
  const listPath = `/crm/v3/objects/${spec.objectType}`;

  async function* listAll(archived: boolean, after: string | null, cursorAfter: (next: string | null) => Cursor, context: ReadContext, keep?: (raw: unknown) => boolean, mode: 'full' | 'incremental' = 'full'): AsyncGenerator<SourcePage> {
    let next = after;
    do {
      const qs: Record<string, string> = { limit: '100', properties: spec.properties.join(','), archived: String(archived) };
      if (spec.associations && !archived) qs.associations = spec.associations;
      if (next) qs.after = next;
      const { data } = await client.request({ method: 'GET', path: listPath, qs, schema: ObjectPageSchema, write: false }, context.signal);
      next = data.paging?.next?.after ?? null;
      const raws = keep ? data.results.filter(keep) : data.results;
      const mapped = await spec.mapPage(raws, archived, context.signal, qs.associations !== undefined);
      yield toPage(mapped, spec.name, cursorAfter(next), data.results.length, undefined, mode);
    } while (next);
  }

  return {
    name: spec.name,
    // The live listing then the archived one: a record in neither was erased (GDPR delete) or purged.
    fullReadIsComplete: true,
    /** Batch read by id; an id HubSpot no longer has is in its 207 errors, and in no page. */
    async *refetch(ids: readonly string[], context: ReadContext) {
      // HubSpot ids are numeric: anything else was garbled on the way and cannot be asked for.
      const numeric = ids.filter((id) => /^\d+$/.test(id));
      for (let i = 0; i < numeric.length; i += BATCH_READ_MAX) {
        const { data } = await client.request(
          {
            method: 'POST',
            path: `${listPath}/batch/read`,
            body: { inputs: numeric.slice(i, i + BATCH_READ_MAX).map((id) => ({ id })), properties: spec.properties },
            schema: BatchResponseSchema,
            write: false,
          },
          context.signal,
        );
        const mapped = await spec.mapPage(data.results, false, context.signal, false);
        // No cursor: a read by id does not move the stream.
        yield toPage(mapped, spec.name, null, data.results.length, undefined, 'incremental');
      }
    },
    async *read(stored: JsonValue | undefined, context: ReadContext) {
      const parsed = CursorSchema.safeParse(stored);
      const cursor: Cursor | undefined = context.full || !parsed.success ? undefined : parsed.data;

      if (!cursor || cursor.phase === 'full' || cursor.phase === 'archived') {
        const startedAt = cursor?.startedAt ?? context.now();
        if (cursor?.phase !== 'archived') {
          yield* listAll(false, cursor?.after ?? null,
            (after) => (after ? { phase: 'full', after, startedAt } : { phase: 'archived', after: null, startedAt }), context);
        }
        // Deletions are only visible in the archived listing. The stream is done only after its
        // last page: until then a rerun resumes the listing.
        yield* listAll(true, cursor?.phase === 'archived' ? cursor.after : null,
          (after) => (after ? { phase: 'archived', after, startedAt } : { phase: 'incremental', since: startedAt }), context);
        return;
      }

      const startedAt = context.now();
      const lookbackMs = options.lookbackMinutes * 60_000;
      const sinceMs = cursor.since - lookbackMs;
      let maxSeen = cursor.since;
      let resume: Cursor = cursor;
      const read = new Set<string>();
      for await (const slice of searchModifiedSince(client, {
        objectType: spec.objectType,
        modifiedProperty: spec.modifiedProperty,
        properties: spec.properties,
        sinceMs,
        resultCap: client.config.searchResultCap,
        signal: context.signal,
      })) {
        const mapped = await spec.mapPage(slice.results, false, context.signal, false);
        for (const m of mapped) if (m.ok) maxSeen = Math.max(maxSeen, Date.parse(m.record.updatedAt));
        for (const raw of slice.results) {
          const id = (raw as { id?: unknown }).id;
          if (typeof id === 'string') read.add(id);
        }
        // A rerun restarts where this page proved everything before it was read (it re-reads the
        // lookback too: harmless, records are upserted).
        resume = { phase: 'incremental', since: Math.max(slice.restartFromMs, cursor.since - lookbackMs) };
        yield toPage(mapped, spec.name, resume, slice.results.length, slice.total, 'incremental');
      }
      if (spec.linkedChanges) {
        for await (const raws of spec.linkedChanges(sinceMs, read, context.signal)) {
          const mapped = await spec.mapPage(raws, false, context.signal, false);
          // The cursor stays where the search left it: these records did not change themselves.
          yield toPage(mapped, spec.name, resume, raws.length, undefined, 'incremental');
        }
      }
      // Anything changed after the pull started has a later timestamp: start there next time,
      // but only once the archived listing below is complete.
      const done: Cursor = { phase: 'incremental', since: Math.min(maxSeen, startedAt) };
      // Only deletions since the cursor are news; older ones were recorded before.
      yield* listAll(true, null, (after) => (after ? resume : done), context, (raw) => isRecent(raw, sinceMs), 'incremental');
    },
  };
}

function isRecent(raw: unknown, sinceMs: number): boolean {
  const archivedAt = (raw as { archivedAt?: unknown }).archivedAt;
  if (typeof archivedAt !== 'string') return true;
  const ms = parseStrictDate(archivedAt);
  return !Number.isFinite(ms) || ms >= sinceMs;
}
