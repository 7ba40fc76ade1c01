import { mappedFields, mappedValueMaps, unknownValueKeys, type Mapping } from '../../src/config/mapping.js';
import { nearestName } from '../../src/config/nearest-name.js';
import type { MappingProblem } from '../../src/domain/connector.js';
import type { MarketoClient } from './client.js';
import { DescribeLeadsSchema, DescribeObjectSchema } from './schemas.js';

/**
 * Every field the mapping reads, against Marketo's describe calls: lead fields by their REST
 * names (`GET /rest/v1/leads/describe.json`, `rest.name`) and opportunity fields
 * (`GET /rest/v1/opportunities/describe.json`, `fields[].name`), one call each. A refused
 * permission (603) or the network throws: it says nothing about whether a field exists.
 */
export async function checkMarketoMapping(client: MarketoClient, mapping: Mapping, signal: AbortSignal): Promise<MappingProblem[]> {
  const fields = mappedFields(mapping);
  const problems: MappingProblem[] = [];
  const check = (stream: 'contacts' | 'purchases', names: Set<string>, noun: string, where: string) => {
    for (const f of fields.filter((x) => x.stream === stream)) {
      if (names.has(f.field)) continue;
      const suggestion = nearestName(f.field, names);
      problems.push({ key: f.key, field: f.field, problem: `Marketo has no ${noun} "${f.field}" (${where} lists the REST API names)`, ...(suggestion ? { suggestion } : {}), creatable: true });
    }
  };
  // A boolean field (unsubscribed, isWon) is read as "true" or "false": any other value key never matches.
  const checkValues = (stream: 'contacts' | 'purchases', types: ReadonlyMap<string, string | undefined>, noun: string) => {
    for (const map of mappedValueMaps(mapping).filter((m) => m.stream === stream)) {
      if (types.get(map.field) !== 'boolean') continue;
      problems.push(...unknownValueKeys(map, ['true', 'false'], (v) => `the ${noun} "${map.field}" is a boolean: Marketo sends true or false, never "${v}"`));
    }
  };
  if (fields.some((f) => f.stream === 'contacts')) {
    const leads = await client.request({ method: 'GET', path: '/rest/v1/leads/describe.json', schema: DescribeLeadsSchema, write: false }, signal);
    check('contacts', new Set((leads.result ?? []).flatMap((f) => (f.rest?.name ? [f.rest.name] : []))), 'lead field', 'Admin → Field Management, or GET /rest/v1/leads/describe.json');
    checkValues('contacts', new Map((leads.result ?? []).flatMap((f) => (f.rest?.name ? [[f.rest.name, f.dataType] as const] : []))), 'lead field');
  }
  if (fields.some((f) => f.stream === 'purchases')) {
    const opportunities = await client.request({ method: 'GET', path: '/rest/v1/opportunities/describe.json', schema: DescribeObjectSchema, write: false }, signal);
    check('purchases', new Set((opportunities.result ?? []).flatMap((o) => o.fields.map((f) => f.name))), 'opportunity field', 'GET /rest/v1/opportunities/describe.json');
    checkValues('purchases', new Map((opportunities.result ?? []).flatMap((o) => o.fields.map((f) => [f.name, f.dataType] as const))), 'opportunity field');
  }
  return problems;
}
