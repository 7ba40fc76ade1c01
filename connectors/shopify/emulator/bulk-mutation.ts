/**
 * Bulk mutation operations: what `bulkOperationRunMutation(mutation:, stagedUploadPath:)` checks
 * and how it runs each line of the uploaded variables file.
 *
 * Documented (shopify.dev "Bulk import data with the GraphQL Admin API", BulkMutationErrorCode,
 * the recorded result file bulk_mutation_result_lines_ALAppExt.jsonl): the mutation is validated
 * (INVALID_MUTATION), the staged file must exist (NO_SUCH_FILE); each line of the file is the
 * variables of one execution of the mutation; the result file has one line per input line, the
 * mutation's `data` (its userErrors included) and, where that line failed as a request, `errors`,
 * then `__lineNumber` (0-based). Each line runs through the same resolvers as a regular request,
 * so a line behaves exactly as the same mutation sent on its own; the lines cost the bucket
 * nothing. Where the documentation is silent, the choice is marked CHOSEN.
 */
import {
  executeSync,
  Kind,
  parse,
  validate,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';

/** CHOSEN: mutations a bulk mutation may not run (they start or feed other bulk operations). */
const NOT_IN_BULK = new Set(['bulkOperationRunMutation', 'bulkOperationRunQuery', 'bulkOperationCancel', 'stagedUploadsCreate']);

/**
 * Why Shopify would refuse this mutation for a bulk operation (INVALID_MUTATION). CHOSEN wording:
 * graphql's own validation messages; the one-operation, one-field rules follow the import guide
 * ("a bulk mutation executes one mutation per line").
 */
export function bulkMutationProblems(schema: GraphQLSchema, mutation: string): { problems: string[]; document?: DocumentNode; operation?: OperationDefinitionNode } {
  let document: DocumentNode;
  try {
    document = parse(mutation);
  } catch (error) {
    return { problems: [`Invalid mutation: ${(error as Error).message}`] };
  }
  const invalid = validate(schema, document);
  if (invalid.length > 0) return { problems: invalid.map((e) => e.message) };
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (operations.length !== 1) return { problems: ['Bulk mutations must contain exactly one operation.'] };
  const operation = operations[0]!;
  if (operation.operation !== 'mutation') return { problems: ['Invalid operation type. Only `mutation` operations are supported.'] };
  const fields = operation.selectionSet.selections.filter((s) => s.kind === Kind.FIELD);
  if (fields.length !== 1 || operation.selectionSet.selections.length !== 1) {
    return { problems: ['Bulk mutations must contain exactly one mutation field.'] };
  }
  const name = fields[0]!.kind === Kind.FIELD ? fields[0]!.name.value : '';
  if (NOT_IN_BULK.has(name)) return { problems: [`The ${name} mutation cannot be run as a bulk mutation.`] };
  return { problems: [], document, operation };
}

/** The lines of a variables file: every line, except the empty one after a final newline. */
export function variableLines(content: string): string[] {
  const lines = content.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/**
 * Runs the mutation once per line with that line's variables, through `rootValue` (the same
 * resolvers as a regular request), and returns each result as a JSONL object. A line that is not
 * a JSON object fails alone (CHOSEN: an `errors` entry naming the line, `data` null), as a line
 * whose variables do not fit the mutation does (graphql's own coercion errors).
 */
export function runVariableLines(
  schema: GraphQLSchema,
  document: DocumentNode,
  lines: readonly string[],
  context: () => { rootValue: unknown; contextValue: unknown },
): Array<Record<string, unknown>> {
  return lines.map((text, lineNumber) => {
    let variables: unknown;
    try {
      variables = JSON.parse(text) as unknown;
    } catch (error) {
      return { errors: [{ message: `Invalid JSON on line ${lineNumber}: ${(error as Error).message}` }], data: null, __lineNumber: lineNumber };
    }
    if (variables === null || typeof variables !== 'object' || Array.isArray(variables)) {
      return { errors: [{ message: `Line ${lineNumber} is not a JSON object of variables` }], data: null, __lineNumber: lineNumber };
    }
    const { rootValue, contextValue } = context();
    const result = executeSync({ schema, document, rootValue, contextValue, variableValues: variables as Record<string, unknown> });
    const out: Record<string, unknown> = {};
    if (result.errors?.length) out.errors = result.errors.map((e) => e.toJSON());
    out.data = result.data ?? null;
    out.__lineNumber = lineNumber;
    return out;
  });
}
