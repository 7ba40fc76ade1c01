import type { Mapping } from '../../src/config/mapping.js';
import type { DiagnoseInput, DiagnosticCheck } from '../../src/domain/connector.js';
import { ApiError } from '../../src/http/errors.js';
import type { HubSpotClient } from './client.js';
import { HUBSPOT_DEFAULT_BASE_URL } from './config.js';
import { describeScopes, HubSpotApiError, PRIVATE_APP_SCOPES } from './errors.js';
import { PROPERTY_GROUP, propertyDefinition } from './destination.js';
import { companyProperties } from './mapper.js';
import { ListEnvelopeSchema, ObjectPageSchema, PropertyListSchema } from './schemas.js';

/**
 * The read scope each probe exercises (platforms.md H1; README "HubSpot"). Both property
 * listings are read by every pull before it writes (the mapped-field check), the contact one by
 * every push (token properties).
 */
const READ_SCOPES = {
  contacts: 'crm.objects.contacts.read',
  deals: 'crm.objects.deals.read',
  contactSchemas: 'crm.schemas.contacts.read',
  dealSchemas: 'crm.schemas.deals.read',
  lists: 'crm.lists.read',
  companies: 'crm.objects.companies.read',
  companySchemas: 'crm.schemas.companies.read',
} as const;
/** What a push needs besides: HubSpot offers no read-only call that proves a write scope. */
const WRITE_SCOPES = ['crm.objects.contacts.write', 'crm.schemas.contacts.write', 'crm.lists.write'];
const PRIVATE_APP = PRIVATE_APP_SCOPES;

function failure(name: string, error: unknown, scope: string, baseUrl: string): DiagnosticCheck {
  if (!(error instanceof ApiError)) return { name, status: 'fail', detail: (error as Error)?.message ?? String(error) };
  if (error.kind === 'auth' && error.status === 403) {
    // The scopes HubSpot's answer lists (MISSING_SCOPES) beat the one this probe was for.
    const listed = error instanceof HubSpotApiError ? error.requiredScopes : undefined;
    const what = listed ? describeScopes(listed) : `the scope ${scope}`;
    return {
      name,
      status: 'fail',
      detail: `missing ${what}: ${error.call} answered 403 (${error.detail})`,
      fix: `grant ${what} to the private app (${PRIVATE_APP} → Edit, then Commit changes), then copy its token again if HubSpot rotated it`,
    };
  }
  if (error instanceof HubSpotApiError && error.category === 'EXPIRED_AUTHENTICATION') {
    return { name: 'hubspot credentials', status: 'fail', detail: `credentials expired: ${error.call} answered 401 (${error.detail})`, ...(error.hint ? { fix: error.hint } : {}) };
  }
  if (error.kind === 'auth') {
    return {
      name,
      status: 'fail',
      detail: `credentials rejected: ${error.call} answered ${error.status ?? 401} (${error.detail})`,
      fix: 'set HUBSPOT_ACCESS_TOKEN to the private app\'s access token (Settings → Integrations → Private apps → your app → Auth → Show token)',
    };
  }
  if (error.kind === 'retryable') {
    return {
      name,
      status: 'fail',
      detail: `cannot reach HubSpot at ${baseUrl}: ${error.detail}`,
      fix: `check HUBSPOT_BASE_URL (unset it for ${HUBSPOT_DEFAULT_BASE_URL}) and the network`,
    };
  }
  return { name, status: 'fail', detail: `${error.call} failed (${error.kind}${error.status ? ` ${error.status}` : ''}): ${error.detail}`, ...(error.hint ? { fix: error.hint } : {}) };
}

const isMissingList = (error: unknown): boolean =>
  error instanceof ApiError && (error.kind === 'not_found' || (error.status === 400 && /does not exist/i.test(error.detail)));

/**
 * Read-only checks: one contact and one deal, the contact and deal properties (credentials and
 * read scopes; the contact properties also give the token fields), and each segment list by name.
 * Nothing is created or changed.
 */
export async function diagnoseHubSpot(client: HubSpotClient, mapping: Mapping, input: DiagnoseInput): Promise<DiagnosticCheck[]> {
  const baseUrl = client.config.baseUrl;
  const { signal } = input;
  const checks: DiagnosticCheck[] = [];
  const get = (path: string, qs?: Record<string, string>) => ({ method: 'GET' as const, path, ...(qs ? { qs } : {}), write: false });

  try {
    await client.request({ ...get('/crm/v3/objects/contacts', { limit: '1', archived: 'false' }), schema: ObjectPageSchema }, signal);
  } catch (error) {
    const name = error instanceof ApiError && error.status === 403 ? 'hubspot scopes' : 'hubspot credentials';
    return [failure(name, error, READ_SCOPES.contacts, baseUrl)];
  }
  checks.push({ name: 'hubspot credentials', status: 'ok', detail: `token accepted by ${baseUrl} (GET /crm/v3/objects/contacts?limit=1)` });

  const granted: string[] = [READ_SCOPES.contacts];
  let denied = false;
  const probe = async <T>(scope: string, call: () => Promise<T>): Promise<T | undefined> => {
    try {
      const value = await call();
      granted.push(scope);
      return value;
    } catch (error) {
      denied = true;
      checks.push(failure('hubspot scopes', error, scope, baseUrl));
      return undefined;
    }
  };

  await probe(READ_SCOPES.deals, () => client.request({ ...get('/crm/v3/objects/deals', { limit: '1', archived: 'false' }), schema: ObjectPageSchema }, signal));

  const properties = await probe(READ_SCOPES.contactSchemas, async () => {
    const { data } = await client.request({ ...get('/crm/v3/properties/contacts'), schema: PropertyListSchema }, signal);
    return new Map(data.results.map((p) => [p.name, p]));
  });
  await probe(READ_SCOPES.dealSchemas, () => client.request({ ...get('/crm/v3/properties/deals'), schema: PropertyListSchema }, signal));
  // Only a mapping that reads company properties (company.<property> attributes) needs these.
  if (companyProperties(mapping).length > 0) {
    await probe(READ_SCOPES.companies, () => client.request({ ...get('/crm/v3/objects/companies', { limit: '1' }), schema: ObjectPageSchema }, signal));
    await probe(READ_SCOPES.companySchemas, () => client.request({ ...get('/crm/v3/properties/companies'), schema: PropertyListSchema }, signal));
  }

  // Each list by name, as a push finds it (GET .../name/{name}); a miss is a list the push creates.
  const lists = input.destination && input.lists.length > 0
    ? await probe(READ_SCOPES.lists, async () => {
      const found = { present: [] as string[], missing: [] as string[], wrongKind: [] as string[] };
      for (const { listName } of input.lists) {
        try {
          const { data } = await client.request(
            { ...get(`/crm/v3/lists/object-type-id/0-1/name/${encodeURIComponent(listName)}`), schema: ListEnvelopeSchema },
            signal,
          );
          if (data.list.processingType && data.list.processingType !== 'MANUAL') found.wrongKind.push(`"${listName}" (${data.list.processingType})`);
          else found.present.push(listName);
        } catch (error) {
          if (!isMissingList(error)) throw error;
          found.missing.push(listName);
        }
      }
      return found;
    })
    : undefined;

  if (!denied) {
    checks.push({
      name: 'hubspot scopes',
      status: 'ok',
      detail: `read scopes work: ${granted.join(', ')}` +
        (input.destination ? `; the write scopes ${WRITE_SCOPES.join(', ')} are first used by a push (HubSpot has no read-only check for them)` : ''),
    });
  }
  if (!input.destination) return checks;

  if (properties && input.tokens.length > 0) {
    const wrong: DiagnosticCheck[] = [];
    const absent: string[] = [];
    for (const token of input.tokens) {
      const name = mapping.tokens[token.key];
      if (!name) continue;
      const found = properties.get(name);
      // The type the push creates the property with.
      const wanted = propertyDefinition(token, name).type;
      if (!found) absent.push(name);
      else if (found.type !== wanted) {
        wrong.push({
          name: 'hubspot token properties',
          status: 'fail',
          detail: `contact property ${name} exists with type ${found.type}; token ${token.key} needs ${wanted}`,
          fix: `delete or rename property ${name} in HubSpot (Settings → Properties), or map token ${token.key} to another property in mappings/hubspot.yaml`,
        });
      }
    }
    if (wrong.length > 0) checks.push(...wrong);
    else {
      const have = input.tokens.length - absent.length;
      checks.push({
        name: 'hubspot token properties',
        status: 'ok',
        detail: absent.length === 0
          ? `all ${have} contact properties exist with the right types`
          : `${have} of ${input.tokens.length} contact properties exist with the right types; the next push creates ${absent.join(', ')} (group "${PROPERTY_GROUP.name}", needs crm.schemas.contacts.write)`,
      });
    }
  }

  if (lists) {
    const { present, missing, wrongKind } = lists;
    if (wrongKind.length > 0) {
      checks.push({
        name: 'hubspot lists',
        status: 'fail',
        detail: `${wrongKind.join(', ')} exist${wrongKind.length === 1 ? 's' : ''} but segsync can only set the members of MANUAL lists`,
        fix: 'rename those lists in HubSpot, or change destinations.hubspot.listPrefix in the workspace config',
      });
    } else {
      checks.push({
        name: 'hubspot lists',
        status: 'ok',
        detail: missing.length === 0
          ? `all ${present.length} segment lists exist (MANUAL)`
          : `${present.length} of ${input.lists.length} segment lists exist; the next push creates ${missing.length} (needs crm.lists.write)`,
      });
    }
  }
  return checks;
}
