/**
 * CRM objects v3 (list, get, search, batch read/update, PATCH) and associations v4 for contacts
 * and deals.
 */
import { MODIFIED_PROPERTY, type ObjectKind } from './properties.js';
import { parseSearch, runSearch } from './search.js';
import { iso, type CrmRecord, type CrmState } from './state.js';
import { checkValue, invalidValuesMessage, unknownProperty, type PropertyValueError } from './values.js';
import {
  SINGULAR,
  TYPE_ID,
  UPPER,
  ASSOC_PAGE_MAX,
  associationBatch,
  asRecordId,
  batchAnswer,
  decodeCursor,
  encodeCursor,
  intParam,
  listParam,
  notFound,
  objectKind,
  parseJson,
  parseJsonObject,
  validation,
  type Ctx,
  type Reply,
} from './http-support.js';

const BATCH_MAX = 100;
const ASSOC_BATCH_MAX = 1000;
const LIST_PAGE_MAX = 100;
/**
 * Records per request when property history is asked for. Batch read: the recorded 400 (quoted in
 * activepieces/activepieces#9359). List: 50 a page (dlt-hub/verified-sources#206), larger pages
 * refused with a 400 (HubSpot/hubspot-api-python#143; its message is not recorded: CHOSEN wording).
 */
export const HISTORY_MAX = 50;

export class ObjectsApi {
  private searchCache: { key: string; version: number; ids: number[] } | null = null;

  constructor(
    private readonly state: CrmState,
    private readonly searchResultCap: number,
  ) {}

  listObjects(ctx: Ctx, kind: ObjectKind, typeSeg: string): Reply {
    const store = this.state.store(kind);
    const limit = intParam(ctx.query.get('limit'), 'limit', 10, 1, LIST_PAGE_MAX);
    const afterRaw = ctx.query.get('after');
    let after = 0;
    if (afterRaw !== null && afterRaw !== '') {
      if (!/^\d+$/.test(afterRaw)) validation(`Invalid after cursor '${afterRaw}'.`);
      after = Number(afterRaw);
    }
    const archived = ctx.query.get('archived') === 'true';
    const withHistory = listParam(ctx.query, 'propertiesWithHistory');
    if (withHistory && withHistory.length > 0 && limit > HISTORY_MAX) {
      validation(`The maximum number of objects supported in a request for property histories is ${HISTORY_MAX}. Please reduce the limit and try again`);
    }
    const names = this.state.selectedNames(kind, listParam(ctx.query, 'properties'));
    const assoc = (listParam(ctx.query, 'associations') ?? []).some((a) => objectKind(a) === this.state.other(kind));
    const companies = kind === 'contacts' && (listParam(ctx.query, 'associations') ?? []).some((a) => ['companies', 'company', '0-2'].includes(a.toLowerCase()));

    const results: Record<string, unknown>[] = [];
    let next: number | undefined;
    for (let i = store.indexFrom(after); i < store.slots.length; i++) {
      const rec = store.slots[i];
      if (!rec || rec.mergedInto !== null) continue;
      if ((rec.archivedMs !== null) !== archived) continue;
      if (results.length === limit) {
        next = rec.id;
        break;
      }
      results.push(this.state.objectJson(kind, rec, names, assoc, companies, withHistory));
    }
    const body: Record<string, unknown> = { results };
    if (next !== undefined) {
      const params = new URLSearchParams(ctx.query);
      params.set('after', String(next));
      body.paging = { next: { after: String(next), link: `${ctx.linkBase}/crm/v3/objects/${typeSeg}?${params.toString()}` } };
    }
    return { status: 200, body };
  }

  private findObject(kind: ObjectKind, rawId: string, idProperty: string | null): CrmRecord | undefined {
    const store = this.state.store(kind);
    if (idProperty && idProperty !== 'hs_object_id') {
      if (kind !== 'contacts' || idProperty !== 'email') validation(`Unable to perform lookup by non-unique ${TYPE_ID[kind]} property ${idProperty}.`);
      const id = this.state.emailIndex.get(rawId.trim().toLowerCase());
      return id === undefined ? undefined : store.resolve(id);
    }
    const id = asRecordId(rawId);
    return id === undefined ? undefined : store.resolve(id);
  }

  getObject(ctx: Ctx, kind: ObjectKind, rawId: string): Reply {
    const archived = ctx.query.get('archived') === 'true';
    let rec = archived ? undefined : this.findObject(kind, rawId, ctx.query.get('idProperty'));
    if (archived) {
      const r = this.state.store(kind).get(asRecordId(rawId) ?? -1);
      rec = r && r.archivedMs !== null && r.mergedInto === null ? r : undefined;
    }
    if (!rec) return notFound();
    const names = this.state.selectedNames(kind, listParam(ctx.query, 'properties'));
    const assoc = (listParam(ctx.query, 'associations') ?? []).some((a) => objectKind(a) === this.state.other(kind));
    return { status: 200, body: this.state.objectJson(kind, rec, names, assoc) };
  }

  search(ctx: Ctx, kind: ObjectKind): Reply {
    const body = parseJson(ctx);
    const parsed = parseSearch(body, ctx.rawBody.length, this.state.store(kind), this.searchResultCap);
    if (!parsed.ok) return validation(parsed.message);
    const search = parsed.search;
    let ids: number[];
    if (this.searchCache && this.searchCache.key === search.key && this.searchCache.version === this.state.version) {
      ids = this.searchCache.ids;
    } else {
      ids = runSearch(this.state, kind, search);
      this.searchCache = { key: search.key, version: this.state.version, ids };
    }
    const names = this.state.selectedNames(kind, search.properties);
    // Never return a result at or past the cap; the next page's request is the one refused.
    const end = Math.min(search.after + search.limit, ids.length, this.searchResultCap);
    const results: Record<string, unknown>[] = [];
    for (let i = search.after; i < end; i++) {
      const rec = this.state.store(kind).get(ids[i] ?? -1);
      if (rec) results.push(this.state.objectJson(kind, rec, names));
    }
    const out: Record<string, unknown> = { total: ids.length, results };
    if (end < ids.length) out.paging = { next: { after: String(end) } };
    return { status: 200, body: out };
  }

  private inputs(ctx: Ctx, max: number): { body: Record<string, unknown>; inputs: unknown[] } {
    const body = parseJsonObject(ctx);
    if (!Array.isArray(body.inputs)) validation('Invalid input JSON: inputs must be an array.');
    const inputs = body.inputs as unknown[];
    if (inputs.length > max) {
      validation(`The maximum number of inputs supported in a batch is ${max}. Please reduce the number of items and try again`);
    }
    return { body, inputs };
  }

  batchRead(ctx: Ctx, kind: ObjectKind): Reply {
    const startedAt = iso(this.state.now());
    const { body, inputs } = this.inputs(ctx, BATCH_MAX);
    const idProperty = typeof body.idProperty === 'string' ? body.idProperty : null;
    const requested = Array.isArray(body.properties) ? body.properties.map(String) : undefined;
    const withHistory = Array.isArray(body.propertiesWithHistory) ? body.propertiesWithHistory.map(String) : undefined;
    if (withHistory && withHistory.length > 0 && inputs.length > HISTORY_MAX) {
      // As recorded (activepieces/activepieces#9359), word for word.
      validation(`The maximum number of inputs supported in a batch request for property histories is ${HISTORY_MAX}. Please reduce the number of items and try again`);
    }
    const names = this.state.selectedNames(kind, requested);
    const results: Record<string, unknown>[] = [];
    const seen = new Set<number>();
    const missing: string[] = [];
    for (const input of inputs) {
      const raw = (input as { id?: unknown } | null)?.id;
      const rawId = typeof raw === 'string' || typeof raw === 'number' ? String(raw) : '';
      const rec = this.findObject(kind, rawId, idProperty);
      if (!rec) {
        missing.push(rawId);
        continue;
      }
      if (seen.has(rec.id)) continue;
      seen.add(rec.id);
      results.push(this.state.objectJson(kind, rec, names, false, false, withHistory));
    }
    return this.batchReply(kind, results, missing, startedAt);
  }

  /** 200, or 207 with one OBJECT_NOT_FOUND error naming the missing ids (fixture batch_read_207_partial_object_not_found.json). */
  private batchReply(kind: ObjectKind, results: unknown[], missing: string[], startedAt: string): Reply {
    const body: Record<string, unknown> = { status: 'COMPLETE', results };
    if (missing.length > 0) {
      body.numErrors = 1;
      body.errors = [
        {
          status: 'error',
          category: 'OBJECT_NOT_FOUND',
          message: `Could not get some ${UPPER[kind]} objects, they may be deleted or not exist. Check that ids are valid.`,
          context: { ids: missing },
        },
      ];
    }
    body.startedAt = startedAt;
    body.completedAt = iso(this.state.now());
    return { status: missing.length > 0 ? 207 : 200, body };
  }

  /** Validates every input's properties; any invalid value fails the whole request, as HubSpot does. */
  private validateProperties(kind: ObjectKind, props: unknown, errors: PropertyValueError[]): Record<string, string> {
    if (!props || typeof props !== 'object' || Array.isArray(props)) {
      validation('Invalid input JSON: properties must be an object of property name to value.');
    }
    const store = this.state.store(kind);
    const clean: Record<string, string> = {};
    for (const [name, value] of Object.entries(props as Record<string, unknown>)) {
      const def = store.properties.get(name);
      if (!def) {
        errors.push(unknownProperty(name));
        continue;
      }
      const r = checkValue(def, value);
      if (r.ok) clean[name] = r.value;
      else errors.push(r.error);
    }
    return clean;
  }

  private updatedJson(kind: ObjectKind, rec: CrmRecord, written: Record<string, string>): Record<string, unknown> {
    // As recorded (batch_update_contacts_200.json): the written properties plus the modification date.
    const names = [...new Set([...Object.keys(written), MODIFIED_PROPERTY[kind]])].sort();
    return this.state.objectJson(kind, rec, names);
  }

  batchUpdate(ctx: Ctx, kind: ObjectKind): Reply {
    const startedAt = iso(this.state.now());
    const { inputs } = this.inputs(ctx, BATCH_MAX);
    const errors: PropertyValueError[] = [];
    const parsed: Array<{ rawId: string; idProperty: string | null; props: Record<string, string> }> = [];
    for (const input of inputs) {
      if (!input || typeof input !== 'object') validation('Invalid input JSON: each input must be an object.');
      const o = input as { id?: unknown; idProperty?: unknown; properties?: unknown };
      const rawId = typeof o.id === 'string' || typeof o.id === 'number' ? String(o.id) : '';
      if (rawId === '') validation('Invalid input JSON: every input needs an id.');
      parsed.push({
        rawId,
        idProperty: typeof o.idProperty === 'string' ? o.idProperty : null,
        props: this.validateProperties(kind, o.properties, errors),
      });
    }
    if (errors.length > 0) validation(invalidValuesMessage(errors));
    const ids = parsed.map((p) => `${p.idProperty ?? ''}:${p.rawId.toLowerCase()}`);
    const dupes = [...new Set(ids.filter((id, i) => ids.indexOf(id) !== i))];
    if (dupes.length > 0) {
      validation(`Duplicate IDs found in batch input: [${dupes.map((d) => d.slice(d.indexOf(':') + 1)).join(', ')}]. IDs must be unique`);
    }
    const at = this.state.now();
    const results: Record<string, unknown>[] = [];
    const missing: string[] = [];
    for (const p of parsed) {
      const rec = this.findObject(kind, p.rawId, p.idProperty);
      if (!rec) {
        missing.push(p.rawId);
        continue;
      }
      this.state.applyProperties(kind, rec, p.props, at);
      results.push(this.updatedJson(kind, rec, p.props));
    }
    // CHOSEN (from public integrations' handling, e.g. rudder-transformer's HubSpot tests): ids
    // that do not exist do not fail the batch; the rest is applied and the answer is 207 with an
    // OBJECT_NOT_FOUND error listing them.
    return this.batchReply(kind, results, missing, startedAt);
  }

  /**
   * `DELETE /crm/v3/objects/{type}/{id}`: archives the record ("Deleted contacts can be restored
   * within 90 days", API reference "Delete a contact"): it leaves the live listing, search, reads
   * and lists, and is listed with `archived=true`. 204 without a body.
   * CHOSEN: 204 also for an id the portal does not have or an archived one (HubSpot answers 204
   * for a missing id, as reported by public integrations, e.g. n8n-io/n8n#3219).
   */
  archiveObject(kind: ObjectKind, rawId: string): Reply {
    const id = asRecordId(rawId);
    if (id !== undefined) this.state.archive(kind, id);
    return { status: 204 };
  }

  patchObject(ctx: Ctx, kind: ObjectKind, rawId: string): Reply {
    const body = parseJsonObject(ctx);
    const errors: PropertyValueError[] = [];
    const props = this.validateProperties(kind, body.properties, errors);
    if (errors.length > 0) validation(invalidValuesMessage(errors));
    const rec = this.findObject(kind, rawId, ctx.query.get('idProperty'));
    if (!rec) return notFound();
    this.state.applyProperties(kind, rec, props);
    return { status: 200, body: this.updatedJson(kind, rec, props) };
  }

  // ---------------------------------------------------------------- associations v4

  associationsBatchRead(ctx: Ctx, from: ObjectKind, to: ObjectKind): Reply {
    if (from === to) {
      validation(`${SINGULAR[to]}s is not a valid association target for ${SINGULAR[from]}s in this portal`);
    }
    const startedAt = iso(this.state.now());
    const { inputs } = this.inputs(ctx, ASSOC_BATCH_MAX);
    const typeId = from === 'deals' ? 3 : 4;
    const { results, errors } = associationBatch(inputs, { from: SINGULAR[from], to: SINGULAR[to] },
      (rawId) => {
        const rec = this.state.store(from).live(asRecordId(rawId) ?? -1);
        return rec ? this.state.liveAssoc(from, rec) : [];
      },
      () => [{ category: 'HUBSPOT_DEFINED', typeId, label: null }]);
    return batchAnswer(results, errors, startedAt, iso(this.state.now()));
  }

  associationsGet(ctx: Ctx, from: ObjectKind, rawId: string, to: ObjectKind): Reply {
    if (from === to) validation(`${SINGULAR[to]}s is not a valid association target for ${SINGULAR[from]}s in this portal`);
    const limit = intParam(ctx.query.get('limit'), 'limit', ASSOC_PAGE_MAX, 1, ASSOC_PAGE_MAX);
    const afterRaw = ctx.query.get('after');
    const offset = afterRaw ? decodeCursor(afterRaw) : 0;
    const rec = this.state.store(from).live(asRecordId(rawId) ?? -1);
    // CHOSEN: an unknown object answers 200 with no results (as for an object without associations).
    const ids = rec ? this.state.liveAssoc(from, rec) : [];
    const typeId = from === 'deals' ? 3 : 4;
    const body: Record<string, unknown> = {
      results: ids
        .slice(offset, offset + limit)
        .map((id) => ({ toObjectId: id, associationTypes: [{ category: 'HUBSPOT_DEFINED', typeId, label: null }] })),
    };
    if (offset + limit < ids.length) {
      const after = encodeCursor(offset + limit);
      const params = new URLSearchParams(ctx.query);
      params.set('after', after);
      body.paging = {
        next: { after, link: `${ctx.linkBase}/crm/v4/objects/${SINGULAR[from]}/${rawId}/associations/${SINGULAR[to]}?${params.toString()}` },
      };
    }
    return { status: 200, body };
  }
}
