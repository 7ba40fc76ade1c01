import { z } from 'zod';
import { mappedFields, type Mapping } from '../../src/config/mapping.js';
import { nearestName } from '../../src/config/nearest-name.js';
import type { MappingProblem } from '../../src/domain/connector.js';
import { ApiError } from '../../src/http/errors.js';
import type { HubSpotClient } from './client.js';
import { PropertyListSchema } from './schemas.js';

const OBJECTS = [
  { stream: 'contacts', objectType: 'contacts', noun: 'contact property' },
  { stream: 'purchases', objectType: 'deals', noun: 'deal property' },
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
    const wanted = fields.filter((f) => f.stream === object.stream);
    if (wanted.length === 0) continue;
    const { data } = await client.request(
      { method: 'GET', path: `/crm/v3/properties/${object.objectType}`, schema: PropertyListSchema, write: false },
      signal,
    );
    const names = new Set(data.results.map((p) => p.name));
    for (const f of wanted) {
      if (names.has(f.field) || !(await missingByName(client, object.objectType, f.field, signal))) continue;
      const suggestion = nearestName(f.field, names);
      problems.push({
        key: f.key,
        field: f.field,
        problem: `HubSpot has no ${object.noun} "${f.field}" (Settings → Properties lists the internal names)`,
        ...(suggestion ? { suggestion } : {}),
        creatable: true,
      });
    }
  }
  return problems;
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
