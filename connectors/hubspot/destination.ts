import type { Mapping } from '../../src/config/mapping.js';
import type { BatchResult, Destination, PlanBatch } from '../../src/domain/connector.js';
import type { SegmentDefinition, TokenSpec } from '../../src/domain/segments.js';
import { ApiError } from '../../src/http/errors.js';
import type { HubSpotClient } from './client.js';
import { eraseHubSpotContacts } from './erase.js';
import { isAlreadyExists } from './errors.js';
import {
  BatchResponseSchema,
  ListEnvelopeSchema,
  MembershipsUpdateSchema,
  PropertyGroupListSchema,
  PropertyListSchema,
  PropertySchema,
} from './schemas.js';

export const PROPERTY_GROUP = { name: 'segsync', label: 'segsync', displayOrder: -1 };
const CONTACTS = '0-1';
/** HubSpot batch endpoints take at most 100 inputs. */
const BATCH_UPDATE_MAX = 100;

interface PropertyDefinition {
  name: string;
  label: string;
  description: string;
  groupName: string;
  type: 'enumeration' | 'number' | 'string' | 'date';
  fieldType: 'select' | 'number' | 'text' | 'date';
  options?: Array<{ label: string; value: string; displayOrder: number; hidden: boolean }>;
}

/**
 * The contact property a token is written to. HubSpot's `number` holds decimals as well as whole
 * numbers ("numeric digits and at most one decimal", properties guide). A `date` property takes
 * ISO 8601 "YYYY-MM-DD" (or midnight-UTC epoch milliseconds) and reads back as "YYYY-MM-DD", so a
 * date token's value is sent as it is.
 */
export function propertyDefinition(token: TokenSpec, name: string): PropertyDefinition {
  const base = { name, label: token.label, description: token.description, groupName: PROPERTY_GROUP.name };
  switch (token.type) {
    case 'enumeration':
      return {
        ...base,
        type: 'enumeration',
        fieldType: 'select',
        options: (token.options ?? []).map((o, i) => ({ label: o.label, value: o.value, displayOrder: i, hidden: false })),
      };
    case 'number':
    case 'decimal':
      return { ...base, type: 'number', fieldType: 'number' };
    case 'date':
      return { ...base, type: 'date', fieldType: 'date' };
    case 'string':
      return { ...base, type: 'string', fieldType: 'text' };
  }
}

/**
 * Creates are retried after timeouts, and another process may create the same thing meanwhile:
 * an "already exists" answer (409 by its category) means it is there. Returns whether it existed.
 */
async function createIfMissing(create: () => Promise<unknown>): Promise<'created' | 'existed'> {
  try {
    await create();
    return 'created';
  } catch (error) {
    if (!isAlreadyExists(error)) throw error;
    return 'existed';
  }
}

export function createHubSpotDestination(client: HubSpotClient, mapping: Mapping): Destination {
  const tokenField = (key: string): string | undefined => mapping.tokens[key];
  const fieldOf = (key: string): string => {
    const field = tokenField(key);
    if (!field) throw new Error(`mapping: tokens.${key} is not mapped to a HubSpot property; add it to mappings/hubspot.yaml`);
    return field;
  };

  async function ensureSchema(tokens: TokenSpec[]): Promise<void> {
    const groups = await client.request({ method: 'GET', path: '/crm/v3/properties/contacts/groups', schema: PropertyGroupListSchema, write: false });
    if (!groups.data.results.some((g) => g.name === PROPERTY_GROUP.name)) {
      await createIfMissing(() => client.request({ method: 'POST', path: '/crm/v3/properties/contacts/groups', body: PROPERTY_GROUP, write: true }));
    }
    const existing = await client.request({ method: 'GET', path: '/crm/v3/properties/contacts', schema: PropertyListSchema, write: false });
    const byName = new Map(existing.data.results.map((p) => [p.name, p]));
    for (const token of tokens) {
      const name = fieldOf(token.key);
      const wanted = propertyDefinition(token, name);
      let found = byName.get(name);
      if (!found) {
        const outcome = await createIfMissing(() => client.request({ method: 'POST', path: '/crm/v3/properties/contacts', body: wanted, write: true }));
        if (outcome === 'created') continue;
        // 409: someone created it since the list was read. It is found, so it is checked like one.
        found = (await client.request({ method: 'GET', path: `/crm/v3/properties/contacts/${encodeURIComponent(name)}`, schema: PropertySchema, write: false })).data;
      }
      if (found.type !== wanted.type) {
        throw new ApiError({
          platform: 'hubspot',
          call: `GET /crm/v3/properties/contacts/${name}`,
          kind: 'bad_request',
          detail: `contact property ${name} exists with type ${found.type}, segsync needs ${wanted.type}`,
          hint: `rename or delete that property in HubSpot, or map token ${token.key} to another property in mappings/hubspot.yaml`,
        });
      }
      const options = wanted.options;
      if (options) {
        const have = new Set((found.options ?? []).map((o) => o.value));
        if (options.some((o) => !have.has(o.value))) {
          // Keep options others added; append ours so existing values stay valid.
          const merged = [...(found.options ?? []).filter((o) => !options.some((w) => w.value === o.value)), ...options]
            .map((o, i) => ({ label: o.label, value: o.value, displayOrder: i, hidden: false }));
          await client.request({ method: 'PATCH', path: `/crm/v3/properties/contacts/${name}`, body: { options: merged }, write: true });
        }
      }
    }
  }

  /** The list of this name (a MANUAL one), or undefined when there is none. */
  async function findList(segment: SegmentDefinition, listName: string): Promise<string | undefined> {
    try {
      const found = await client.request({
        method: 'GET',
        path: `/crm/v3/lists/object-type-id/${CONTACTS}/name/${encodeURIComponent(listName)}`,
        schema: ListEnvelopeSchema,
        write: false,
      });
      if (found.data.list.processingType && found.data.list.processingType !== 'MANUAL') {
        throw new ApiError({
          platform: 'hubspot',
          call: 'GET /crm/v3/lists/object-type-id/0-1/name/{name}',
          kind: 'bad_request',
          detail: `list "${listName}" exists but is ${found.data.list.processingType}, so segsync cannot set its members`,
          hint: `rename that list in HubSpot or change listPrefix for segment ${segment.key}`,
        });
      }
      return found.data.list.listId;
    } catch (error) {
      // HubSpot answers a missing name with 404 (some API versions: 400 "List does not exist").
      const missing = error instanceof ApiError && (error.kind === 'not_found' || (error.status === 400 && /does not exist/i.test(error.detail)));
      if (!missing) throw error;
      return undefined;
    }
  }

  async function ensureList(segment: SegmentDefinition, listName: string): Promise<string> {
    const existing = await findList(segment, listName);
    if (existing !== undefined) return existing;
    try {
      const created = await client.request({
        method: 'POST',
        path: '/crm/v3/lists',
        body: { name: listName, objectTypeId: CONTACTS, processingType: 'MANUAL' },
        schema: ListEnvelopeSchema,
        write: true,
      });
      return created.data.list.listId;
    } catch (error) {
      // A retried create whose first attempt landed, or another process's: the list exists now,
      // so it is found (and checked) like any existing list.
      if (!isAlreadyExists(error)) throw error;
      const found = await findList(segment, listName);
      if (found === undefined) throw error;
      return found;
    }
  }

  async function apply(batch: PlanBatch): Promise<BatchResult> {
    switch (batch.kind) {
      case 'list_add':
      case 'list_remove': {
        const verb = batch.kind === 'list_add' ? 'add' : 'remove';
        const { data } = await client.request({
          method: 'PUT',
          path: `/crm/v3/lists/${batch.listId}/memberships/${verb}`,
          body: batch.externalIds,
          schema: MembershipsUpdateSchema,
          write: true,
        });
        // HubSpot has no contact with these ids (deleted, erased or merged away): gone, not failed.
        const missing = new Set(data.recordIdsMissing ?? []);
        return {
          applied: batch.externalIds.filter((id) => !missing.has(id)),
          failed: [],
          ...(missing.size > 0 ? { gone: batch.externalIds.filter((id) => missing.has(id)) } : {}),
        };
      }
      case 'tokens': {
        const { data } = await client.request({
          method: 'POST',
          path: '/crm/v3/objects/contacts/batch/update',
          body: { inputs: batch.updates.map((u) => ({ id: u.externalId, properties: u.values })) },
          schema: BatchResponseSchema,
          write: true,
        });
        const failed = new Map<string, string>();
        const gone = new Set<string>();
        for (const e of data.errors ?? []) {
          const ids = e.context?.ids ?? [];
          // An error that names no record could be about any of them: count none as applied.
          if (ids.length === 0) for (const u of batch.updates) failed.set(u.externalId, e.message);
          // OBJECT_NOT_FOUND names contacts HubSpot no longer has (deleted, erased): gone, not failed.
          for (const id of ids) {
            if (e.category === 'OBJECT_NOT_FOUND') gone.add(id);
            else failed.set(id, e.message);
          }
        }
        return {
          applied: batch.updates.map((u) => u.externalId).filter((id) => !failed.has(id) && !gone.has(id)),
          failed: [...failed].filter(([id]) => !gone.has(id)).map(([externalId, reason]) => ({ externalId, reason })),
          ...(gone.size > 0 ? { gone: batch.updates.map((u) => u.externalId).filter((id) => gone.has(id)) } : {}),
        };
      }
    }
  }

  return {
    capabilities: { lists: true, tokens: true, maxBatch: { listMembers: client.config.listMembershipBatch, tokens: BATCH_UPDATE_MAX } },
    tokenField,
    ensureSchema,
    ensureList,
    apply,
    eraseContacts: (ids) => eraseHubSpotContacts(client, ids),
  };
}
