import { z } from 'zod';
import { mappedFields, mappedValueMaps, unknownValueKeys, type MappedValues, type Mapping } from '../../src/config/mapping.js';
import { nearestName } from '../../src/config/nearest-name.js';
import type { MappingProblem } from '../../src/domain/connector.js';
import { ApiError } from '../../src/http/errors.js';
import type { HubSpotClient } from './client.js';
import { COMPANY_PREFIX } from './mapper.js';
import { DealPipelinesSchema, PropertyListSchema } from './schemas.js';

const OBJECTS = [
  { stream: 'contacts', objectType: 'contacts', noun: 'contact property' },
  { stream: 'purchases', objectType: 'deals', noun: 'deal property' },
  // Attributes mapped to `company.<property>`: the associated company's (mapper.ts).
  { stream: 'contacts', objectType: 'companies', noun: 'company property' },
] as const;

const NamedPropertySchema = z.object({ name: z.string() });

/**
 * Every property the mapping reads, against HubSpot's property definitions: one
 * `GET /crm/v3/properties/{contacts|deals}` each. HubSpot silently leaves unknown properties out
 * of object answers, so a misspelt one would read as empty on every record.
 *
 * A name the listing lacks is asked for by name before it is called missing: a property the token
 * may not see (sensitive data) answers 403 there, which propagates as the scope problem it is;
 * only a 404 means "does not exist".
 */
export async function checkHubSpotMapping(client: HubSpotClient, mapping: Mapping, signal: AbortSignal): Promise<MappingProblem[]> {
  const fields = mappedFields(mapping);
  const problems: MappingProblem[] = [];
  for (const object of OBJECTS) {
    const onCompany = object.objectType === 'companies';
    const wanted = fields
      .filter((f) => f.stream === object.stream && f.field.startsWith(COMPANY_PREFIX) === onCompany)
      .map((f) => (onCompany ? { ...f, field: f.field.slice(COMPANY_PREFIX.length) } : f));
    if (wanted.length === 0) continue;
    const { data } = await client.request(
      { method: 'GET', path: `/crm/v3/properties/${object.objectType}`, schema: PropertyListSchema, write: false },
      signal,
    );
    const names = new Set(data.results.map((p) => p.name));
    for (const map of onCompany ? [] : mappedValueMaps(mapping).filter((m) => m.stream === object.stream)) {
      problems.push(...(await valueProblems(client, map, data.results, signal)));
    }
    for (const f of wanted) {
      if (names.has(f.field) || !(await missingByName(client, object.objectType, f.field, signal))) continue;
      const suggestion = nearestName(f.field, names);
      problems.push({
        key: f.key,
        field: onCompany ? `${COMPANY_PREFIX}${f.field}` : f.field,
        problem: `HubSpot has no ${object.noun} "${f.field}" (Settings → Properties lists the internal names)`,
        ...(suggestion ? { suggestion: onCompany ? `${COMPANY_PREFIX}${suggestion}` : suggestion } : {}),
        creatable: true,
      });
    }
  }
  return problems;
}

/**
 * The consent and status values the mapping lists, against the values HubSpot declares for the
 * property: a deal stage against every deal pipeline's stage ids (`GET /crm/v3/pipelines/deals`;
 * `dealstage` holds a stage id, and each pipeline has its own), any other enumeration property
 * against its options. Other property types declare no values: nothing to check.
 */
async function valueProblems(
  client: HubSpotClient,
  map: MappedValues,
  properties: ReadonlyArray<{ name: string; type: string; options?: Array<{ value: string }> | undefined }>,
  signal: AbortSignal,
): Promise<MappingProblem[]> {
  if (map.values.length === 0) return [];
  if (map.stream === 'purchases' && map.field === 'dealstage') {
    const { data } = await client.request({ method: 'GET', path: '/crm/v3/pipelines/deals', schema: DealPipelinesSchema, write: false }, signal);
    const pipelines = data.results.filter((p) => p.archived !== true);
    const stageIds = pipelines.flatMap((p) => p.stages.filter((st) => st.archived !== true).map((st) => st.id));
    const listing = pipelines.map((p) => `${p.label} (${p.id}): ${p.stages.filter((st) => st.archived !== true).map((st) => st.id).join(', ')}`).join('; ');
    return unknownValueKeys(map, stageIds, (v) => `no deal pipeline has a stage with id "${v}" (the pipelines' stage ids: ${listing})`, true);
  }
  const property = properties.find((p) => p.name === map.field);
  if (!property || property.type !== 'enumeration' || !property.options || property.options.length === 0) return [];
  const options = property.options.map((o) => o.value);
  return unknownValueKeys(map, options, (v) => `the ${map.stream === 'contacts' ? 'contact' : 'deal'} property "${map.field}" has no option "${v}" (its options: ${options.join(', ')})`, true);
}

async function missingByName(client: HubSpotClient, objectType: string, name: string, signal: AbortSignal): Promise<boolean> {
  try {
    await client.request(
      { method: 'GET', path: `/crm/v3/properties/${objectType}/${encodeURIComponent(name)}`, schema: NamedPropertySchema, write: false },
      signal,
    );
    return false;
  } catch (error) {
    if (error instanceof ApiError && error.kind === 'not_found') return true;
    throw error;
  }
}
