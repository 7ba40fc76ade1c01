/**
 * Companies, read-only: what segsync needs for firmographics. Contact → company associations v4
 * (batch read), companies batch read, one company by id, and the company property definitions.
 * Shapes and errors follow the contact and deal areas (objects-api.ts, properties-api.ts):
 * 400 VALIDATION_ERROR over the batch maximum, 207 OBJECT_NOT_FOUND for unknown ids or contacts
 * without a company, the generic 404 for a property or company that does not exist.
 */
import { propertyJson } from './properties.js';
import { parseSearch, runCompanySearch } from './search.js';
import { FIRST_COMPANY_ID, iso, type CrmState } from './state.js';
import { associationBatch, asRecordId, batchAnswer, fail, intParam, listParam, notFound, parseJson, parseJsonObject, validation, type Ctx, type Reply } from './http-support.js';

const BATCH_MAX = 100;
const LIST_PAGE_MAX = 100;
const ASSOC_BATCH_MAX = 1000;
/** HUBSPOT_DEFINED contact → company types: 279 unlabeled, 1 primary (HubSpot answers both for the primary company). */
const CONTACT_TO_COMPANY = 279;
const CONTACT_TO_COMPANY_PRIMARY = 1;
const COMPANY_TO_CONTACT = 280;

export class CompaniesApi {
  constructor(
    private readonly state: CrmState,
    private readonly searchResultCap: number,
  ) {}

  /** `POST /crm/v3/objects/companies/search`, with the contact search's validation and limits (search.ts). */
  search(ctx: Ctx): Reply {
    const parsed = parseSearch(parseJson(ctx), ctx.rawBody.length, this.state.companies, this.searchResultCap);
    if (!parsed.ok) return validation(parsed.message);
    const search = parsed.search;
    const ids = runCompanySearch(this.state.companies, search);
    const end = Math.min(search.after + search.limit, ids.length, this.searchResultCap);
    const results: Record<string, unknown>[] = [];
    for (let i = search.after; i < end; i++) {
      const rec = this.state.companies.get(ids[i] ?? -1);
      if (rec) results.push(this.state.companies.objectJson(rec, search.properties));
    }
    const out: Record<string, unknown> = { total: ids.length, results };
    if (end < ids.length) out.paging = { next: { after: String(end) } };
    return { status: 200, body: out };
  }

  /** `POST /crm/v4/associations/companies/contacts/batch/read`: live contacts of each company (type 280, contact → company's reverse). */
  companyContacts(ctx: Ctx): Reply {
    const startedAt = iso(this.state.now());
    const { inputs } = this.inputs(ctx, ASSOC_BATCH_MAX);
    const { results, errors } = associationBatch(inputs, { from: 'company', to: 'contact' },
      (rawId) => (this.state.companies.get(asRecordId(rawId) ?? -1)?.contacts ?? []).filter((c) => this.state.contacts.live(c)),
      () => [{ category: 'HUBSPOT_DEFINED', typeId: COMPANY_TO_CONTACT, label: null }]);
    return batchAnswer(results, errors, startedAt, iso(this.state.now()));
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

  getProperties(): Reply {
    return { status: 200, body: { results: [...this.state.companies.properties.values()].map(propertyJson) } };
  }

  getProperty(name: string): Reply {
    const def = this.state.companies.properties.get(name);
    if (!def) fail(404, `Unable to find property ${name} for object type 0-2`, 'OBJECT_NOT_FOUND');
    return { status: 200, body: propertyJson(def) };
  }

  /** `GET /crm/v3/objects/companies?limit&after`: paged by id like the contact listing (doctor reads one). */
  listCompanies(ctx: Ctx): Reply {
    const limit = intParam(ctx.query.get('limit'), 'limit', 10, 1, LIST_PAGE_MAX);
    const afterRaw = ctx.query.get('after');
    if (afterRaw && !/^\d+$/.test(afterRaw)) validation(`Invalid after cursor '${afterRaw}'.`);
    const slots = this.state.companies.slots;
    const start = afterRaw ? Math.max(0, Number(afterRaw) - FIRST_COMPANY_ID) : 0;
    const page = slots.slice(start, start + limit);
    const body: Record<string, unknown> = { results: page.map((rec) => this.state.companies.objectJson(rec, listParam(ctx.query, 'properties'))) };
    const next = slots[start + limit];
    if (next) body.paging = { next: { after: String(next.id) } };
    return { status: 200, body };
  }

  getCompany(ctx: Ctx, rawId: string): Reply {
    const rec = this.state.companies.get(asRecordId(rawId) ?? -1);
    if (!rec) return notFound();
    return { status: 200, body: this.state.companies.objectJson(rec, listParam(ctx.query, 'properties')) };
  }

  batchRead(ctx: Ctx): Reply {
    const startedAt = iso(this.state.now());
    const { body, inputs } = this.inputs(ctx, BATCH_MAX);
    if (body.idProperty !== undefined && body.idProperty !== 'hs_object_id') {
      validation(`Unable to perform lookup by non-unique COMPANY property ${String(body.idProperty)}.`);
    }
    const requested = Array.isArray(body.properties) ? body.properties.map(String) : undefined;
    const results: Record<string, unknown>[] = [];
    const missing: string[] = [];
    const seen = new Set<number>();
    for (const input of inputs) {
      const raw = (input as { id?: unknown } | null)?.id;
      const rawId = typeof raw === 'string' || typeof raw === 'number' ? String(raw) : '';
      const rec = this.state.companies.get(asRecordId(rawId) ?? -1);
      if (!rec) {
        missing.push(rawId);
        continue;
      }
      if (seen.has(rec.id)) continue;
      seen.add(rec.id);
      results.push(this.state.companies.objectJson(rec, requested));
    }
    const out: Record<string, unknown> = { status: 'COMPLETE', results };
    if (missing.length > 0) {
      out.numErrors = 1;
      out.errors = [{
        status: 'error',
        category: 'OBJECT_NOT_FOUND',
        message: 'Could not get some COMPANY objects, they may be deleted or not exist. Check that ids are valid.',
        context: { ids: missing },
      }];
    }
    out.startedAt = startedAt;
    out.completedAt = iso(this.state.now());
    return { status: missing.length > 0 ? 207 : 200, body: out };
  }

  /** `POST /crm/v4/associations/contacts/companies/batch/read`, in the shape of the deal ↔ contact one. */
  contactCompanies(ctx: Ctx): Reply {
    const startedAt = iso(this.state.now());
    const { inputs } = this.inputs(ctx, ASSOC_BATCH_MAX);
    const { results, errors } = associationBatch(inputs, { from: 'contact', to: 'company' },
      (rawId) => {
        const contact = this.state.contacts.live(asRecordId(rawId) ?? -1);
        return contact ? contact.companies.filter((id) => this.state.companies.get(id) !== undefined) : [];
      },
      // The first company listed is the primary one.
      (position) => position === 0
        ? [{ category: 'HUBSPOT_DEFINED', typeId: CONTACT_TO_COMPANY_PRIMARY, label: 'Primary' }, { category: 'HUBSPOT_DEFINED', typeId: CONTACT_TO_COMPANY, label: null }]
        : [{ category: 'HUBSPOT_DEFINED', typeId: CONTACT_TO_COMPANY, label: null }]);
    return batchAnswer(results, errors, startedAt, iso(this.state.now()));
  }
}
