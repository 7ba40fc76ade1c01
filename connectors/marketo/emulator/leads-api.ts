/**
 * Leads: Get Leads by Filter Type, Sync Leads (upsert), Delete Leads, Describe Lead and Create
 * Lead Fields. Where Marketo's documentation is silent, the choice is marked CHOSEN.
 */
import {
  fail,
  formParams,
  intParam,
  leadDbOk,
  listParam,
  offsetToken,
  parseJsonBody,
  readOffsetToken,
  type Ctx,
  type Reply,
} from './http-support.js';
import type { FieldDef, Lead, LeadValue, MarketoState } from './state.js';
import { parseStrictDate } from '../../../src/domain/dates.js';

export const MAX_BATCH = 300;
const MAX_FIELDS_PER_CREATE = 100;
const DEFAULT_FIELDS = ['id', 'firstName', 'lastName', 'email', 'updatedAt', 'createdAt'];
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const REAL = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;
const DATA_TYPES = new Set(['boolean', 'currency', 'date', 'datetime', 'email', 'float', 'integer', 'percent', 'phone', 'score', 'string', 'url', 'text']);
/** CHOSEN: filter types served (the documented ones segsync and most integrations use). */
const FILTER_TYPES = new Set(['id', 'email']);

export interface Skip {
  code: string;
  message: string;
}

type Check = { ok: true; value: LeadValue } | { ok: false; reason: Skip };

/** Validates one written value against its field's type (recorded 1003 wording for bad values). */
export function checkValue(def: FieldDef, input: unknown): Check {
  const bad: Check = { ok: false, reason: { code: '1003', message: `Invalid value for field '${def.name}' and value '${String(input)}'` } };
  if (def.readOnly) return { ok: false, reason: { code: '1003', message: `Field '${def.name}' is read only` } };
  if (input === null || input === undefined) return { ok: true, value: null };
  if (typeof input === 'object') return bad;
  const raw = String(input);
  switch (def.dataType) {
    case 'boolean': {
      const v = raw.toLowerCase();
      if (v === 'true' || v === '1') return { ok: true, value: true };
      if (v === 'false' || v === '0') return { ok: true, value: false };
      return bad;
    }
    case 'integer':
    case 'score':
      return /^-?\d+$/.test(raw.trim()) ? { ok: true, value: Number(raw) } : bad;
    case 'float':
    case 'currency':
    case 'percent':
      // A real number written in decimal (Number() alone would take "0x1F" or "Infinity").
      return REAL.test(raw.trim()) && Number.isFinite(Number(raw)) ? { ok: true, value: Number(raw) } : bad;
    case 'date':
      // W3C date "YYYY-MM-DD" (field types doc), a real one: 2026-02-30 is refused, not moved to March.
      return /^\d{4}-\d{2}-\d{2}$/.test(raw) && !Number.isNaN(parseStrictDate(raw)) ? { ok: true, value: raw } : bad;
    case 'datetime': {
      const ms = Date.parse(raw);
      return Number.isFinite(ms) ? { ok: true, value: new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z') } : bad;
    }
    case 'email':
      return raw === '' ? { ok: true, value: null } : EMAIL.test(raw.trim()) ? { ok: true, value: raw } : bad;
    default:
      if (def.length !== undefined && raw.length > def.length) return bad;
      return { ok: true, value: raw === '' ? null : raw };
  }
}

export class LeadsApi {
  constructor(private readonly state: MarketoState) {}

  private now(): number {
    return this.state.now();
  }

  /** The lead as Get Leads answers it: id first, then the requested fields; unset → null. */
  leadJson(lead: Lead, fields: readonly string[]): Record<string, LeadValue> {
    const out: Record<string, LeadValue> = { id: lead.id };
    for (const f of fields) if (f !== 'id') out[f] = this.state.value(lead, f);
    return out;
  }

  requestedFields(params: URLSearchParams): string[] {
    const fields = listParam(params, 'fields');
    if (fields.length === 0) return DEFAULT_FIELDS;
    for (const f of fields) if (!this.state.fields.has(f)) fail('1006', `Field '${f}' not found`);
    return fields;
  }

  /** GET /rest/v1/leads.json?filterType=&filterValues=&fields=&batchSize=&nextPageToken= */
  getLeads(ctx: Ctx): Reply {
    const params = formParams(ctx);
    const filterType = params.get('filterType');
    if (!filterType) fail('701', 'filterType cannot be blank');
    const values = listParam(params, 'filterValues');
    if (values.length === 0) fail('701', 'filterValues cannot be blank');
    if (!FILTER_TYPES.has(filterType)) fail('1011', `Field '${filterType}' not supported`);
    if (values.length > MAX_BATCH) fail('1003', `Invalid filterValues: at most ${MAX_BATCH} values are allowed`);
    const fields = this.requestedFields(params);
    const batchSize = intParam(params, 'batchSize', MAX_BATCH, MAX_BATCH);
    const offset = readOffsetToken('leads', params.get('nextPageToken'));
    const matches: Lead[] = [];
    const seen = new Set<number>();
    for (const v of values) {
      const lead = filterType === 'id' ? (/^\d+$/.test(v) ? this.state.liveLead(Number(v)) : undefined) : this.state.leadByEmail(v);
      if (lead && !seen.has(lead.id)) {
        seen.add(lead.id);
        matches.push(lead);
      }
    }
    matches.sort((a, b) => a.id - b.id);
    const slice = matches.slice(offset, offset + batchSize);
    const more = offset + batchSize < matches.length;
    return leadDbOk(this.now(), slice.map((l) => this.leadJson(l, fields)), more ? { nextPageToken: offsetToken('leads', offset + batchSize), moreResult: true } : {});
  }

  /** POST /rest/v1/leads.json {action, lookupField, input[]} */
  syncLeads(ctx: Ctx): Reply {
    const body = parseJsonBody(ctx);
    const action = body.action ?? 'createOrUpdate';
    const lookupField = body.lookupField ?? 'email';
    if (typeof action !== 'string' || !['createOrUpdate', 'createOnly', 'updateOnly', 'createDuplicate'].includes(action)) {
      fail('1003', `Invalid action '${String(action)}'`);
    }
    if (typeof lookupField !== 'string' || !this.state.fields.has(lookupField)) fail('1006', `Field '${String(lookupField)}' not found`);
    if (lookupField === 'id' && action !== 'updateOnly') fail('1003', 'Lookup field id is only allowed with action updateOnly');
    const input = body.input;
    if (!Array.isArray(input) || input.length === 0) fail('701', 'input cannot be blank');
    if (input.length > MAX_BATCH) fail('1003', `Invalid input: at most ${MAX_BATCH} records per call`);
    const result = input.map((record: unknown) => this.syncOne(record, action, lookupField));
    return leadDbOk(this.now(), result);
  }

  private syncOne(record: unknown, action: string, lookupField: string): Record<string, unknown> {
    const skip = (reason: Skip) => ({ status: 'skipped', reasons: [reason] });
    if (!record || typeof record !== 'object' || Array.isArray(record)) return skip({ code: '1003', message: 'Invalid data' });
    const input = record as Record<string, unknown>;
    const key = input[lookupField];
    if (key === undefined || key === null || key === '') return skip({ code: '1003', message: `Value for lookup field '${lookupField}' not specified` });
    let lead: Lead | undefined;
    if (lookupField === 'id') lead = typeof key === 'number' || /^\d+$/.test(String(key)) ? this.state.liveLead(Number(key)) : undefined;
    else if (lookupField === 'email') lead = this.state.leadByEmail(String(key));
    else lead = this.state.leads.find((l) => l.deletedMs === null && String(this.state.value(l, lookupField)) === String(key));
    if (action === 'updateOnly' && !lead) return skip({ code: '1004', message: 'Lead not found' });
    if (action === 'createOnly' && lead) return skip({ code: '1005', message: 'Lead already exists' });
    const values: Record<string, LeadValue> = {};
    for (const [name, raw] of Object.entries(input)) {
      if (name === 'id' && lookupField === 'id') continue;
      const def = this.state.fields.get(name);
      if (!def) return skip({ code: '1006', message: `Field '${name}' not found` });
      const check = checkValue(def, raw);
      if (!check.ok) return skip(check.reason);
      values[name] = check.value;
    }
    if (!lead || action === 'createDuplicate') {
      const created = this.state.createLead(values);
      return { id: created.id, status: 'created' };
    }
    this.state.applyLeadValues(lead, values);
    return { id: lead.id, status: 'updated' };
  }

  /** POST /rest/v1/leads.json?_method=DELETE {input:[{id}]} (recorded) and POST /rest/v1/leads/delete.json */
  deleteLeads(ctx: Ctx): Reply {
    const body = parseJsonBody(ctx);
    const input = body.input;
    if (!Array.isArray(input) || input.length === 0) fail('701', 'input cannot be blank');
    if (input.length > MAX_BATCH) fail('1003', `Invalid input: at most ${MAX_BATCH} records per call`);
    const result = input.map((r: unknown) => {
      const id = Number((r as { id?: unknown } | null)?.id);
      const lead = this.state.liveLead(id);
      if (!lead) return { id, status: 'skipped', reasons: [{ code: '1004', message: 'Lead not found' }] };
      this.state.deleteLead(lead);
      return { id, status: 'deleted' };
    });
    return leadDbOk(this.now(), result);
  }

  /** GET /rest/v1/leads/describe.json (shape of the recorded leads_describe.json). */
  describe(): Reply {
    const result = [...this.state.fields.values()].map((f) => ({
      id: f.id,
      displayName: f.displayName,
      dataType: f.dataType,
      ...(f.length !== undefined ? { length: f.length } : {}),
      rest: { name: f.name, readOnly: f.readOnly },
      soap: { name: f.name.charAt(0).toUpperCase() + f.name.slice(1), readOnly: f.readOnly },
    }));
    return leadDbOk(this.now(), result);
  }

  /** POST /rest/v1/leads/schema/fields.json {input:[{name, displayName, dataType, description}]} */
  createFields(ctx: Ctx, allowed: boolean): Reply {
    if (!allowed) fail('603', 'Access denied');
    const body = parseJsonBody(ctx);
    const input = body.input;
    if (!Array.isArray(input) || input.length === 0) fail('701', 'input cannot be blank');
    if (input.length > MAX_FIELDS_PER_CREATE) fail('1003', `Invalid input: at most ${MAX_FIELDS_PER_CREATE} fields per call`);
    const result = input.map((raw: unknown) => {
      const f = (raw ?? {}) as Record<string, unknown>;
      const name = typeof f.name === 'string' ? f.name : '';
      const displayName = typeof f.displayName === 'string' ? f.displayName.trim() : '';
      const dataType = typeof f.dataType === 'string' ? f.dataType : '';
      const skip = (code: string, message: string) => ({ name, status: 'skipped', reasons: [{ code, message }] });
      if (!FIELD_NAME.test(name)) return skip('1003', `Invalid field name '${name}': it must start with a letter and contain only letters, numbers or underscore`);
      if (displayName === '' || /[^A-Za-z0-9 _-]/.test(displayName)) return skip('1003', `Invalid display name '${displayName}'`);
      if (!DATA_TYPES.has(dataType) || dataType === 'text') return skip('1003', `Invalid data type '${dataType}'`);
      if (this.state.fields.has(name) || [...this.state.fields.values()].some((d) => d.displayName.toLowerCase() === displayName.toLowerCase())) {
        return skip('1017', `Field '${name}' already exists`);
      }
      this.state.fields.set(name, {
        id: this.state.nextFieldId++,
        name,
        displayName,
        dataType,
        ...(dataType === 'string' ? { length: 255 } : {}),
        readOnly: false,
        custom: true,
        ...(typeof f.description === 'string' ? { description: f.description } : {}),
      });
      return { name, status: 'created' };
    });
    return leadDbOk(this.now(), result);
  }
}
