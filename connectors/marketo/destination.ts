import type { Mapping } from '../../src/config/mapping.js';
import type { BatchResult, Destination, PlanBatch } from '../../src/domain/connector.js';
import type { SegmentDefinition, TokenSpec } from '../../src/domain/segments.js';
import { ApiError } from '../../src/http/errors.js';
import type { MarketoClient } from './client.js';
import { MarketoApiError } from './errors.js';
import { eraseMarketoLeads } from './erase.js';
import { fieldRefusal, fieldTypeFor } from './field-types.js';
import {
  CreateFieldsSchema,
  DescribeLeadsSchema,
  FoldersSchema,
  RecordResultsSchema,
  StaticListsSchema,
  type Reason,
} from './schemas.js';

/** List membership and lead upserts take at most 300 records per call (platforms.md M4). */
export const MARKETO_BATCH = 300;
/** Create Lead Fields takes at most 100 fields per call. */
const FIELDS_PER_CALL = 100;
/**
 * CHOSEN: a missing list folder is created inside "Group Lists", the Lead Database folder every
 * instance's Default workspace has (recorded: `/Lead Database/Default/Group Lists`, isSystem).
 */
const PARENT_FOLDER = 'Group Lists';
/** Marketo field API names: letter first, then letters, digits, underscore (Create Lead Fields spec). */
const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

export { fieldTypeFor } from './field-types.js';

const NUMERIC = new Set(['integer', 'score']);
const DECIMAL = new Set(['float', 'currency', 'percent']);

/** 1004 "Lead not found": Marketo no longer has the lead (deleted): gone, not failed. */
const LEAD_NOT_FOUND = '1004';
const leadGone = (reasons: Reason[] | undefined): boolean => (reasons ?? []).some((r) => r.code === LEAD_NOT_FOUND);

function reasonText(reasons: Reason[] | undefined, fallback: string): string {
  return reasons && reasons.length > 0 ? reasons.map((r) => `${r.code} ${r.message}`.trim()).join('; ') : fallback;
}

export function createMarketoDestination(client: MarketoClient, mapping: Mapping): Destination {
  /** Lead field name → Marketo data type, from describe (read once per process). */
  let fieldTypes: Map<string, string> | undefined;
  let folder: { id: number; type: string } | undefined;

  /** Undefined when mappings/marketo.yaml does not write this token. */
  const tokenField = (key: string): string | undefined => {
    const field = mapping.tokens[key];
    if (!field) return undefined;
    if (!FIELD_NAME.test(field)) {
      throw new Error(`mapping: tokens.${key} → "${field}" is not a Marketo field API name (a letter, then letters, digits or _)`);
    }
    return field;
  };

  const describe = async (): Promise<Map<string, string>> => {
    const data = await client.request({ method: 'GET', path: '/rest/v1/leads/describe.json', schema: DescribeLeadsSchema, write: false });
    fieldTypes = new Map();
    for (const f of data.result ?? []) if (f.rest?.name) fieldTypes.set(f.rest.name, f.dataType);
    return fieldTypes;
  };

  async function ensureSchema(tokens: TokenSpec[]): Promise<void> {
    const existing = await describe();
    const missing: Array<{ name: string; token: TokenSpec; type: ReturnType<typeof fieldTypeFor> }> = [];
    for (const token of tokens) {
      const name = tokenField(token.key);
      if (name === undefined) continue;
      const type = fieldTypeFor(token);
      const found = existing.get(name);
      const refusal = found === undefined ? undefined : fieldRefusal(name, found, token);
      if (found === undefined) {
        missing.push({ name, token, type });
      } else if (refusal) {
        throw new ApiError({
          platform: 'marketo',
          call: 'GET /rest/v1/leads/describe.json',
          kind: 'bad_request',
          detail: refusal,
          hint: `map token ${token.key} to a field of one of those types in mappings/marketo.yaml, or have a Marketo admin change field ${name}`,
        });
      }
    }
    if (missing.length === 0) return;
    const needed = missing.map((m) => `${m.name} (${m.type.label}, "${displayName(m.token)}")`).join(', ');
    const refused = (detail: string, cause?: unknown) =>
      new ApiError({
        platform: 'marketo',
        call: 'POST /rest/v1/leads/schema/fields.json',
        kind: cause instanceof ApiError && cause.kind === 'auth' ? 'auth' : 'bad_request',
        detail: `could not create the lead fields segsync writes tokens to (${detail})`,
        hint: `a Marketo admin must create these lead fields (Admin > Field Management > New Custom Field), with exactly these API names and types: ${needed}; or give the API user's role the Read-Write Schema Custom Field permission`,
        cause,
      });
    const failures: string[] = [];
    for (let i = 0; i < missing.length; i += FIELDS_PER_CALL) {
      const batch = missing.slice(i, i + FIELDS_PER_CALL);
      let data;
      try {
        data = await client.request({
          method: 'POST',
          path: '/rest/v1/leads/schema/fields.json',
          json: {
            input: batch.map((m) => ({ name: m.name, displayName: displayName(m.token), dataType: m.type.dataType, description: m.token.description })),
          },
          schema: CreateFieldsSchema,
          write: true,
        });
      } catch (error) {
        if (error instanceof MarketoApiError && (error.kind === 'auth' || error.kind === 'bad_request')) throw refused(error.detail, error);
        throw error;
      }
      for (const [j, m] of batch.entries()) {
        const r = data.result?.find((x) => x.name === m.name) ?? data.result?.[j];
        if (!r || (r.status !== 'created' && r.status !== 'updated')) failures.push(`${m.name}: ${reasonText(r?.reasons, r ? r.status : 'no answer')}`);
        else existing.set(m.name, m.type.dataType);
      }
    }
    if (failures.length > 0) throw refused(failures.join('; '));
  }

  const listFolder = async (): Promise<{ id: number; type: string }> => {
    if (folder) return folder;
    const byName = async (name: string) => {
      const data = await client.request({ method: 'GET', path: '/rest/asset/v1/folder/byName.json', qs: { name, type: 'Folder' }, schema: FoldersSchema, write: false });
      const found = (data.result ?? []).filter((f) => f.name === name);
      // Static lists live in the Lead Database: prefer a list folder there.
      return found.find((f) => f.folderType === 'List' || f.path?.startsWith('/Lead Database')) ?? found[0];
    };
    const name = client.config.listFolder;
    const found = await byName(name);
    if (found) return (folder = found.folderId ?? { id: found.id, type: 'Folder' });
    const hint = `create a folder named "${name}" in Marketo's Lead Database (Database > Group Lists), or set MARKETO_LIST_FOLDER to an existing one`;
    const parent = await byName(PARENT_FOLDER);
    if (!parent) {
      throw new ApiError({ platform: 'marketo', call: 'GET /rest/asset/v1/folder/byName.json', kind: 'not_found', detail: `no folder "${name}" and no "${PARENT_FOLDER}" folder to create it in`, hint });
    }
    try {
      const created = await client.request({
        method: 'POST',
        path: '/rest/asset/v1/folders.json',
        form: { name, parent: JSON.stringify(parent.folderId ?? { id: parent.id, type: 'Folder' }), description: 'Static lists written by segsync (one per segment).' },
        schema: FoldersSchema,
        write: true,
      });
      const made = created.result?.[0];
      if (!made) throw new ApiError({ platform: 'marketo', call: 'POST /rest/asset/v1/folders.json', kind: 'bad_response', detail: 'the answer named no folder' });
      return (folder = made.folderId ?? { id: made.id, type: 'Folder' });
    } catch (error) {
      if (error instanceof ApiError && error.kind !== 'retryable' && error.kind !== 'rate_limited') {
        throw new ApiError({ platform: 'marketo', call: 'POST /rest/asset/v1/folders.json', kind: error.kind, detail: `could not create the list folder "${name}": ${error.detail}`, hint, cause: error });
      }
      throw error;
    }
  };

  const listByName = async (name: string): Promise<number | undefined> => {
    // Exact match (static-lists docs); a miss is success:true with a warning and no result (recorded).
    const data = await client.request({ method: 'GET', path: '/rest/asset/v1/staticList/byName.json', qs: { name }, schema: StaticListsSchema, write: false });
    return data.result?.find((l) => l.name === name)?.id;
  };

  async function ensureList(segment: SegmentDefinition, listName: string): Promise<string> {
    const existing = await listByName(listName);
    if (existing !== undefined) return String(existing);
    const target = await listFolder();
    try {
      const data = await client.request({
        method: 'POST',
        path: '/rest/asset/v1/staticLists.json',
        form: {
          folder: JSON.stringify({ id: target.id, type: target.type }),
          name: listName,
          description: `segsync segment "${segment.name}" (${segment.key}): members are set by segsync on every push.`,
        },
        schema: StaticListsSchema,
        write: true,
      });
      const list = data.result?.[0];
      if (!list) throw new ApiError({ platform: 'marketo', call: 'POST /rest/asset/v1/staticLists.json', kind: 'bad_response', detail: 'the answer named no list' });
      return String(list.id);
    } catch (error) {
      // Someone created it meanwhile (names are unique): use theirs.
      if (error instanceof MarketoApiError && error.kind === 'bad_request') {
        const again = await listByName(listName);
        if (again !== undefined) return String(again);
      }
      throw error;
    }
  }

  const valueFor = (types: Map<string, string>, field: string, value: string): string | number | null => {
    if (value === '') return null; // "" clears: Marketo clears a field given null.
    const type = types.get(field);
    if (type && NUMERIC.has(type) && /^-?\d+$/.test(value)) return Number(value);
    if (type && DECIMAL.has(type) && Number.isFinite(Number(value))) return Number(value);
    return value;
  };

  async function apply(batch: PlanBatch): Promise<BatchResult> {
    switch (batch.kind) {
      case 'list_add': {
        const data = await client.request({
          method: 'POST',
          path: `/rest/v1/lists/${batch.listId}/leads.json`,
          json: { input: batch.externalIds.map((id) => ({ id: Number(id) })) },
          schema: RecordResultsSchema,
          write: true,
        });
        return membershipOutcome(batch.externalIds, data.result ?? [], new Set(['added']), new Set());
      }
      case 'list_remove': {
        const data = await client.request({
          method: 'DELETE',
          path: `/rest/v1/lists/${batch.listId}/leads.json`,
          qs: { id: batch.externalIds },
          schema: RecordResultsSchema,
          write: true,
        });
        // 1015 "Lead not in list": the removal is already true.
        return membershipOutcome(batch.externalIds, data.result ?? [], new Set(['removed']), new Set(['1015']));
      }
      case 'tokens': {
        const types = fieldTypes ?? (await describe());
        const input = batch.updates.map((u) => {
          const row: Record<string, string | number | null> = { id: Number(u.externalId) };
          for (const [field, value] of Object.entries(u.values)) row[field] = valueFor(types, field, value);
          return row;
        });
        const data = await client.request({
          method: 'POST',
          path: '/rest/v1/leads.json',
          json: { action: 'updateOnly', lookupField: 'id', input },
          schema: RecordResultsSchema,
          write: true,
        });
        const results = data.result ?? [];
        const applied: string[] = [];
        const failed: BatchResult['failed'] = [];
        const gone: string[] = [];
        // Results come in input order; a skipped row carries no id (recorded).
        batch.updates.forEach((u, i) => {
          const r = results[i];
          if (r && (r.status === 'updated' || r.status === 'created')) applied.push(u.externalId);
          else if (r && leadGone(r.reasons)) gone.push(u.externalId);
          else failed.push({ externalId: u.externalId, reason: r ? reasonText(r.reasons, r.status) : 'Marketo sent no result for this lead' });
        });
        return { applied, failed, ...(gone.length > 0 ? { gone } : {}) };
      }
    }
  }

  return {
    capabilities: { lists: true, tokens: true, maxBatch: { listMembers: MARKETO_BATCH, tokens: MARKETO_BATCH } },
    tokenField,
    ensureSchema,
    ensureList,
    apply,
    eraseContacts: (ids) => eraseMarketoLeads(client, ids),
  };
}

function displayName(token: TokenSpec): string {
  // Display names must be unique and may not hold special characters.
  return `segsync ${token.label}`.replace(/[^A-Za-z0-9 _]/g, ' ').replace(/\s+/g, ' ').trim();
}

function membershipOutcome(
  ids: readonly string[],
  results: ReadonlyArray<{ id?: number | undefined; status: string; reasons?: Reason[] | undefined }>,
  ok: Set<string>,
  alreadyTrue: Set<string>,
): BatchResult {
  const byId = new Map<string, { status: string; reasons?: Reason[] | undefined }>();
  results.forEach((r, i) => byId.set(r.id !== undefined ? String(r.id) : (ids[i] ?? ''), r));
  const applied: string[] = [];
  const failed: BatchResult['failed'] = [];
  const gone: string[] = [];
  for (const id of ids) {
    const r = byId.get(id);
    if (r && (ok.has(r.status) || (r.reasons ?? []).some((reason) => alreadyTrue.has(reason.code)))) applied.push(id);
    else if (r && leadGone(r.reasons)) gone.push(id);
    else failed.push({ externalId: id, reason: r ? reasonText(r.reasons, r.status) : 'Marketo sent no result for this lead' });
  }
  return { applied, failed, ...(gone.length > 0 ? { gone } : {}) };
}
