import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { MAX_VARIABLES_BYTES, variablesFiles } from '../../connectors/shopify/bulk-mutation.js';
import { BULK_PUSH_WAIT_S, bulkThresholdPoints, regularMutationFields, suitsBulk } from '../../connectors/shopify/bulk-push.js';
import { BULK_MUTATION_RUN, everyBulkMutation, MUTATION_COST, STAGED_UPLOADS_CREATE } from '../../connectors/shopify/documents.js';
import { bulkMutationProblems, runVariableLines, variableLines } from '../../connectors/shopify/emulator/bulk-mutation.js';
import { requestedCost } from '../../connectors/shopify/emulator/cost.js';
import { adminSchema } from '../../connectors/shopify/emulator/schema.js';
import { BulkMutationLineSchema, BulkMutationRunSchema, StagedUploadsCreateSchema } from '../../connectors/shopify/schemas.js';
import bulkMutationCreated from '../fixtures/shopify/bulk_operation_run_mutation_created_ALAppExt.json' with { type: 'json' };
import stagedRecorded from '../fixtures/shopify/staged_uploads_create_ALAppExt.json' with { type: 'json' };

const schema = adminSchema();
const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../fixtures/shopify/${name}`, import.meta.url)), 'utf8');
const list = (adds: number, removes = 0) => ({ segmentKey: 's', listName: 'segsync:s', appliedSize: 0, add: Array.from({ length: adds }, (_, i) => `c${i}`), remove: Array.from({ length: removes }, (_, i) => `r${i}`), heldOut: 0 });
const tokens = (customers: number, values: Record<string, string>) => Array.from({ length: customers }, (_, i) => ({ externalId: `c${i}`, values }));

describe('when a Shopify push goes through bulk operations', () => {
  it('counts the mutation fields the regular path sends: one per tag change, one per 25 metafields of a 100-customer batch', () => {
    expect(regularMutationFields({ lists: [list(120, 30), list(5)], tokens: [] }, 100)).toBe(155);
    // 100 customers × 6 values = 600 metafields: 24 calls; the next batch's 10 customers × 6 = 60: 3 calls.
    expect(regularMutationFields({ lists: [], tokens: tokens(110, { a: '1', b: '2', c: '3', d: '4', e: '5', f: '6' }) }, 100)).toBe(24 + 3);
    // Empty values are deletes, sent in calls of their own.
    expect(regularMutationFields({ lists: [], tokens: tokens(10, { a: '1', b: '' }) }, 100)).toBe(2);
  });

  it('bulk once the regular mutations would wait more than 30 s for the bucket: 500 fields on a Standard plan, 5,000 on Plus', () => {
    expect(BULK_PUSH_WAIT_S).toBe(30);
    expect(bulkThresholdPoints()).toBe(2000 + 30 * 100);
    const standard = { maximumAvailable: 2000, currentlyAvailable: 2000, restoreRate: 100 };
    const plus = { maximumAvailable: 20_000, currentlyAvailable: 20_000, restoreRate: 1000 };
    expect(suitsBulk({ lists: [list(500)], tokens: [] }, 100, 'auto', standard)).toBe(false);
    expect(suitsBulk({ lists: [list(501)], tokens: [] }, 100, 'auto', standard)).toBe(true);
    expect(suitsBulk({ lists: [list(5_000)], tokens: [] }, 100, 'auto', plus)).toBe(false);
    expect(suitsBulk({ lists: [list(5_001)], tokens: [] }, 100, 'auto', plus)).toBe(true);
    // Before Shopify reported a bucket, a Standard plan is assumed (most shops).
    expect(suitsBulk({ lists: [list(501)], tokens: [] }, 100, 'auto')).toBe(true);
    expect(suitsBulk({ lists: [list(1)], tokens: [] }, 100, 'always')).toBe(true);
    expect(suitsBulk({ lists: [list(100_000)], tokens: [] }, 100, 'never')).toBe(false);
    // Nothing to send is never a bulk operation.
    expect(suitsBulk({ lists: [], tokens: [] }, 100, 'always')).toBe(false);
  });

  it('splits variables into files below 100 MB, one line per execution, counting lines over all files', () => {
    expect(MAX_VARIABLES_BYTES).toBe(100 * 1024 * 1024);
    const lines = Array.from({ length: 10 }, (_, i) => ({ id: `gid://shopify/Customer/${i}`, tags: ['segsync:x'] }));
    const one = variablesFiles(lines);
    expect(one).toHaveLength(1);
    expect(one[0]!.content.split('\n')).toHaveLength(11);
    const size = Buffer.byteLength(`${JSON.stringify(lines[0])}\n`);
    const parts = variablesFiles(lines, size * 4);
    expect(parts.map((p) => [p.first, p.count])).toEqual([[0, 4], [4, 4], [8, 2]]);
    expect(parts.every((p) => Buffer.byteLength(p.content) <= size * 4)).toBe(true);
    expect(parts.map((p) => p.content).join('')).toBe(one[0]!.content);
  });
});

describe('Shopify bulk mutation documents and recorded answers', () => {
  it('every bulk mutation is valid against the Admin schema and has exactly one mutation field, as bulkOperationRunMutation requires', () => {
    for (const m of everyBulkMutation()) {
      expect(validate(schema, parse(m.mutation)).map((e) => e.message), m.name).toEqual([]);
      expect(bulkMutationProblems(schema, m.mutation).problems, m.name).toEqual([]);
      expect(m.mutation).toContain(` ${m.field}(`);
    }
    expect(bulkMutationProblems(schema, 'mutation { a: tagsAdd(id: "gid://shopify/Customer/1", tags: ["x"]) { userErrors { message } } b: tagsAdd(id: "gid://shopify/Customer/1", tags: ["y"]) { userErrors { message } } }').problems).toEqual([
      'Bulk mutations must contain exactly one mutation field.',
    ]);
  });

  it('starting one costs 10 (recorded bulkOperationRunMutation); staging is a mutation of 10 (the recorded one, of unknown query, requested 11)', () => {
    expect(BULK_MUTATION_RUN.cost).toBe(bulkMutationCreated.extensions.cost.requestedQueryCost);
    const cost = (query: string) => {
      const document = parse(query);
      const operation = document.definitions[0] as Parameters<typeof requestedCost>[2];
      return requestedCost(schema, document, operation, {});
    };
    expect(cost(BULK_MUTATION_RUN.query)).toBe(10);
    expect(cost(STAGED_UPLOADS_CREATE.query)).toBe(STAGED_UPLOADS_CREATE.cost);
    expect(Math.abs(STAGED_UPLOADS_CREATE.cost - stagedRecorded.extensions.cost.requestedQueryCost)).toBeLessThanOrEqual(1);
  });

  it('reads the recorded answers: the staged target, the operation CREATED, every line of the recorded result file', () => {
    const staged = StagedUploadsCreateSchema.parse(stagedRecorded.data);
    expect(staged.stagedUploadsCreate.stagedTargets![0]!.parameters.find((p) => p.name === 'key')!.value).toMatch(/^tmp\/\d+\/bulk\//);
    const created = BulkMutationRunSchema.parse(bulkMutationCreated.data);
    expect(created.bulkOperationRunMutation.bulkOperation).toMatchObject({ status: 'CREATED', url: null });
    const lines = fixture('bulk_mutation_result_lines_ALAppExt.jsonl').trim().split('\n').map((l) => BulkMutationLineSchema.parse(JSON.parse(l)));
    expect(lines.map((l) => l.__lineNumber)).toEqual([0, 1, 2, 3]);
    expect(lines[2]!.errors![0]!.extensions).toEqual({ code: 'TOO_MANY_PARALLEL_REQUESTS_FOR_THIS_PRODUCT' });
    expect(lines[2]!.data).toEqual({ productVariantUpdate: null });
  });

  it('the emulator answers a line in the recorded result form: data (userErrors included), errors where the line failed, then __lineNumber', () => {
    const document = parse('mutation($id: ID!) { tagsAdd(id: $id, tags: ["x"]) { userErrors { field message } } }');
    const rootValue = { tagsAdd: () => ({ userErrors: [{ field: ['id'], message: 'Customer does not exist' }] }) };
    const out = runVariableLines(schema, document, variableLines('{"id":"gid://shopify/Customer/1"}\n{"id":5.5}\n'), () => ({ rootValue, contextValue: {} }));
    expect(Object.keys(out[0]!)).toEqual(['data', '__lineNumber']);
    expect(out[0]).toEqual({ data: { tagsAdd: { userErrors: [{ field: ['id'], message: 'Customer does not exist' }] } }, __lineNumber: 0 });
    expect(Object.keys(out[1]!)).toEqual(['errors', 'data', '__lineNumber']);
    expect(MUTATION_COST).toBe(10);
  });
});
