/**
 * Shopify's calculated query cost, by its documented defaults (platforms.md S5; shopify.dev rate
 * limits): scalars and enums 0, objects 1, a connection 2 + first (or last) × the cost of one
 * node, a mutation 10 with the objects of its payload free (the recorded draftOrderCreate answer
 * requested 10). Lists that are not connections count as one element. The requested cost is
 * computed from the query before it runs; the actual cost from what it returned (fewer nodes).
 * Checked against the recorded answers: customers(first:10) with an empty result requested 12 and
 * cost 2; catalogs(first:25) with one node requested 27 and cost 3; staffMembers(first:5) with two
 * nodes requested 7 and cost 4.
 */
import {
  getNamedType,
  isCompositeType,
  isInterfaceType,
  isLeafType,
  isObjectType,
  Kind,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLFieldMap,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

export const MUTATION_FIELD_COST = 10;

interface Ctx {
  schema: GraphQLSchema;
  fragments: Map<string, FragmentDefinitionNode>;
  variables: Record<string, unknown>;
}

type Data = Record<string, unknown> | null | undefined;

export function isConnection(type: GraphQLNamedType): boolean {
  return isObjectType(type) && type.name.endsWith('Connection') && 'pageInfo' in type.getFields();
}

function fieldsOf(type: GraphQLNamedType): GraphQLFieldMap<unknown, unknown> {
  return isObjectType(type) || isInterfaceType(type) ? type.getFields() : {};
}

/** A field's selections with fragments expanded (type conditions are not narrowed: max ≈ sum here). */
function fieldsIn(ctx: Ctx, set: SelectionSetNode | undefined, parent: GraphQLNamedType): Array<{ node: FieldNode; parent: GraphQLNamedType }> {
  if (!set) return [];
  const out: Array<{ node: FieldNode; parent: GraphQLNamedType }> = [];
  for (const sel of set.selections) {
    if (sel.kind === Kind.FIELD) out.push({ node: sel, parent });
    else if (sel.kind === Kind.INLINE_FRAGMENT) {
      const t = sel.typeCondition ? ctx.schema.getType(sel.typeCondition.name.value) ?? parent : parent;
      out.push(...fieldsIn(ctx, sel.selectionSet, t));
    } else {
      const frag = ctx.fragments.get(sel.name.value);
      if (frag) out.push(...fieldsIn(ctx, frag.selectionSet, ctx.schema.getType(frag.typeCondition.name.value) ?? parent));
    }
  }
  return out;
}

function intArg(ctx: Ctx, node: FieldNode, name: string): number | undefined {
  const arg = node.arguments?.find((a) => a.name.value === name);
  if (!arg) return undefined;
  if (arg.value.kind === Kind.INT) return Number(arg.value.value);
  if (arg.value.kind === Kind.VARIABLE) {
    const v = ctx.variables[arg.value.name.value];
    return typeof v === 'number' ? v : undefined;
  }
  return undefined;
}

function childType(field: { node: FieldNode; parent: GraphQLNamedType }): GraphQLNamedType | undefined {
  const def = fieldsOf(field.parent)[field.node.name.value];
  return def ? getNamedType(def.type) : undefined;
}

/** The cost of a selection; with `data`, the actual cost of what was returned. */
function selectionCost(ctx: Ctx, set: SelectionSetNode | undefined, parent: GraphQLNamedType, payload: boolean, actual: boolean, data: Data): number {
  let total = 0;
  for (const field of fieldsIn(ctx, set, parent)) {
    const name = field.node.name.value;
    if (name.startsWith('__')) continue;
    const type = childType(field);
    if (!type || isLeafType(type)) continue;
    const key = field.node.alias?.value ?? name;
    const value = actual ? data?.[key] : undefined;
    if (actual && (value === null || value === undefined)) continue;
    if (isConnection(type)) {
      total += 2 + connectionItems(ctx, field.node, type, actual, value as Data);
      continue;
    }
    const element = Array.isArray(value) ? (value.find((v) => v !== null) as Data) : (value as Data);
    if (actual && Array.isArray(value) && element === undefined) {
      total += payload ? 0 : 1;
      continue;
    }
    total += (payload ? 0 : 1) + selectionCost(ctx, field.node.selectionSet, type, payload, actual, element);
  }
  return total;
}

/** first × (nodes' cost + edges' node cost), or the same summed over the nodes returned. */
function connectionItems(ctx: Ctx, node: FieldNode, type: GraphQLNamedType, actual: boolean, value: Data): number {
  const size = intArg(ctx, node, 'first') ?? intArg(ctx, node, 'last') ?? 0;
  let total = 0;
  for (const part of fieldsIn(ctx, node.selectionSet, type)) {
    const name = part.node.name.value;
    const itemType = childType(part);
    if (!itemType || !isCompositeType(itemType)) continue;
    if (name === 'nodes') {
      const items = actual ? ((value?.[part.node.alias?.value ?? name] as Data[] | undefined) ?? []) : Array.from({ length: size }, () => undefined);
      for (const item of items) total += 1 + selectionCost(ctx, part.node.selectionSet, itemType, false, actual, item);
    } else if (name === 'edges') {
      const edges = actual ? ((value?.[part.node.alias?.value ?? name] as Data[] | undefined) ?? []) : Array.from({ length: size }, () => undefined);
      for (const edge of edges) {
        for (const inner of fieldsIn(ctx, part.node.selectionSet, itemType)) {
          if (inner.node.name.value !== 'node') continue;
          const nodeType = childType(inner);
          if (!nodeType || !isCompositeType(nodeType)) continue;
          const nodeValue = actual ? (edge?.[inner.node.alias?.value ?? 'node'] as Data) : undefined;
          total += 1 + selectionCost(ctx, inner.node.selectionSet, nodeType as GraphQLCompositeType, false, actual, nodeValue);
        }
      }
    }
  }
  return total;
}

function context(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown>): Ctx {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  return { schema, fragments, variables };
}

function operationCost(ctx: Ctx, operation: OperationDefinitionNode, actual: boolean, data: Data): number {
  if (operation.operation === 'mutation') {
    const root = ctx.schema.getMutationType();
    if (!root) return 0;
    let total = 0;
    for (const field of fieldsIn(ctx, operation.selectionSet, root)) {
      if (field.node.name.value.startsWith('__')) continue;
      const type = childType(field);
      const key = field.node.alias?.value ?? field.node.name.value;
      total += MUTATION_FIELD_COST + (type ? selectionCost(ctx, field.node.selectionSet, type, true, actual, actual ? (data?.[key] as Data) : undefined) : 0);
    }
    return total;
  }
  const root = ctx.schema.getQueryType();
  return root ? selectionCost(ctx, operation.selectionSet, root, false, actual, data) : 0;
}

export function requestedCost(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown>): number {
  return operationCost(context(schema, document, variables), operation, false, undefined);
}

export function actualCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
  data: Record<string, unknown> | null | undefined,
): number {
  return operationCost(context(schema, document, variables), operation, true, data ?? null);
}
