import {
  getNamedType,
  isEnumType,
  isInterfaceType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLOutputType,
  type GraphQLSchema,
} from 'graphql';
import { mappedFields, mappedValueMaps, unknownValueKeys, type Mapping } from '../../src/config/mapping.js';
import { nearestName } from '../../src/config/nearest-name.js';
import type { MappingProblem } from '../../src/domain/connector.js';
import { SHOPIFY_API_VERSION } from './config.js';
import { adminSchema } from './emulator/schema.js';

const ROOTS = { contacts: 'Customer', purchases: 'Order' } as const;

/**
 * Every GraphQL path the mapping reads (e.g. `defaultEmailAddress.emailAddress`), against the
 * vendored Admin schema on Customer and Order, offline: no call, so nothing here can fail for
 * want of a scope or a network. A path must exist, go through single objects only (a list would
 * read as empty), take no required arguments, and end on a value (scalar or enum), not an object.
 * Attributes may end on a list of values (tags), which becomes one comma-separated value.
 */
export function checkShopifyMapping(mapping: Mapping, schema: GraphQLSchema = adminSchema()): MappingProblem[] {
  const problems: MappingProblem[] = [];
  for (const f of mappedFields(mapping)) {
    const root = schema.getType(ROOTS[f.stream]);
    if (!root || !isObjectType(root)) throw new Error(`the Shopify Admin schema ${SHOPIFY_API_VERSION} has no ${ROOTS[f.stream]} object`);
    const problem = pathProblem(root, f.field, f.key.startsWith('contacts.attributes.'));
    // The Admin API's schema is Shopify's: a path can only be corrected, not created.
    if (problem) problems.push({ key: f.key, field: f.field, ...problem, creatable: false });
  }
  // A field the schema declares as an enum (displayFinancialStatus, marketingState) can only hold
  // its values: a mapped value it lacks (PAD for PAID) would give every record the default.
  for (const map of mappedValueMaps(mapping)) {
    if (problems.some((p) => p.field === map.field && p.kind !== 'value')) continue;
    const leaf = leafType(schema.getType(ROOTS[map.stream])!, map.field);
    if (!leaf || !isEnumType(leaf)) continue;
    const declared = leaf.getValues().map((v) => v.name);
    problems.push(...unknownValueKeys(map, declared, (v) =>
      `${ROOTS[map.stream]}.${map.field} is the enum ${leaf.name} on the Shopify Admin API ${SHOPIFY_API_VERSION}, which has no value "${v}" (its values: ${declared.join(', ')})`));
  }
  return problems;
}

/** The type a valid path ends on. */
function leafType(root: GraphQLNamedType, path: string): GraphQLNamedType | undefined {
  let type: GraphQLNamedType = root;
  for (const segment of path.split('.')) {
    if (!isObjectType(type) && !isInterfaceType(type)) return undefined;
    const field = (type.getFields() as Fields)[segment];
    if (!field) return undefined;
    type = getNamedType(field.type);
  }
  return type;
}

type Fields = Record<string, GraphQLField<unknown, unknown>>;

function pathProblem(root: GraphQLNamedType, path: string, valueListAllowed: boolean): Omit<MappingProblem, 'key' | 'field' | 'creatable'> | undefined {
  const segments = path.split('.');
  let type: GraphQLNamedType = root;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const before = segments.slice(0, i).join('.');
    const at = (name: string) => (before ? `${before}.${name}` : name);
    const last = i === segments.length - 1;
    if (!isObjectType(type) && !isInterfaceType(type)) {
      return { problem: `${before} is a ${type.name} value on the Shopify Admin API ${SHOPIFY_API_VERSION}; it has no field "${segment}"` };
    }
    const fields: Fields = type.getFields();
    const field = fields[segment];
    if (!field) {
      const current = Object.values(fields).filter((x) => !x.deprecationReason).map((x) => x.name);
      const suggestion = nearestName(segment, current) ?? nearestName(segment, Object.keys(fields));
      return {
        problem: `the Shopify Admin API ${SHOPIFY_API_VERSION} has no field "${segment}" on ${type.name}`,
        ...(suggestion ? { suggestion: at(suggestion) } : {}),
      };
    }
    if (field.args.some((a) => isNonNullType(a.type) && a.defaultValue === undefined)) {
      return { problem: `${type.name}.${segment} takes arguments, which a mapping cannot give` };
    }
    const { list, named } = unwrap(field.type);
    if (named.name.endsWith('Connection')) {
      return { problem: `${at(segment)} is a connection (a list of records) on ${type.name}; segsync reads one value per record` };
    }
    if (list && !(last && valueListAllowed && isLeafType(named))) {
      return { problem: `${at(segment)} is a list on ${type.name}; segsync reads one value per record, and a path through a list reads as empty` };
    }
    if (last && !isLeafType(named)) {
      const inside = isObjectType(named) || isInterfaceType(named)
        ? Object.values(named.getFields()).find((x) => !x.deprecationReason && isLeafType(getNamedType(x.type)) && !isListType(unwrapNonNull(x.type)) && x.args.length === 0)
        : undefined;
      return {
        problem: `${at(segment)} is an object (${named.name}), not a value; map a field inside it` + (inside ? `, e.g. ${at(segment)}.${inside.name}` : ''),
        ...(inside ? { suggestion: `${at(segment)}.${inside.name}` } : {}),
      };
    }
    type = named;
  }
  return undefined;
}

function unwrapNonNull(type: GraphQLOutputType): GraphQLOutputType {
  return isNonNullType(type) ? type.ofType : type;
}

function unwrap(type: GraphQLOutputType): { list: boolean; named: GraphQLNamedType } {
  return { list: isListType(unwrapNonNull(type)), named: getNamedType(type) };
}
