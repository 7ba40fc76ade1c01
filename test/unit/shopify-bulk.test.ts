import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { getOperationAST, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { FIRST_POLL_MS, jsonlLines, parseBulkLine, pollDelayMs, sameQuery } from '../../connectors/shopify/bulk.js';
import { customersBulkQuery, everyBulkQuery, ordersBulkQuery } from '../../connectors/shopify/documents.js';
import { bulkObjects, bulkQueryProblems, jsonlLine } from '../../connectors/shopify/emulator/bulk.js';
import { adminSchema } from '../../connectors/shopify/emulator/schema.js';
import { shopify } from '../../connectors/shopify/index.js';
import { mapCustomer, mapOrder } from '../../connectors/shopify/mapper.js';
import { BulkOperationSchema, BulkQueryRunSchema, EnvelopeSchema } from '../../connectors/shopify/schemas.js';
import { loadMapping } from '../../src/config/mapping.js';
import { TimeoutError } from '../../src/http/transport.js';
import bulkCompleted from '../fixtures/shopify/bulk_current_operation_completed_ALAppExt.json' with { type: 'json' };
import bulkRunning from '../fixtures/shopify/bulk_current_operation_running_ALAppExt.json' with { type: 'json' };
import bulkNode from '../fixtures/shopify/bulk_operation_node_completed_ALAppExt.json' with { type: 'json' };
import bulkMutationCreated from '../fixtures/shopify/bulk_operation_run_mutation_created_ALAppExt.json' with { type: 'json' };

const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../fixtures/shopify/${name}`, import.meta.url)), 'utf8');
const mapping = loadMapping(shopify.defaultMappingFile);
const schema = adminSchema();

/** A body that arrives in chunks of `size` bytes, cutting lines (and UTF-8 characters) anywhere. */
function chunked(text: string, size: number): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) controller.close();
      else {
        controller.enqueue(bytes.slice(at, at + size));
        at += size;
      }
    },
  });
}

async function collect(lines: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const l of lines) out.push(l);
  return out;
}

describe('Shopify bulk operation answers (recorded)', () => {
  it('the recorded polls and the created operation pass the schemas; counts come as strings', () => {
    for (const body of [bulkRunning, bulkCompleted, bulkNode, bulkMutationCreated]) expect(EnvelopeSchema.safeParse(body).success).toBe(true);
    const completed = BulkOperationSchema.parse(bulkCompleted.data.currentBulkOperation);
    expect(completed).toMatchObject({ status: 'COMPLETED', objectCount: 16, fileSize: 0, url: '', partialDataUrl: null, errorCode: null });
    expect(BulkOperationSchema.parse(bulkRunning.data.currentBulkOperation).status).toBe('RUNNING');
    // node(id:) as polled, without an id selected.
    expect(BulkOperationSchema.parse(bulkNode.data.node)).toMatchObject({ status: 'COMPLETED', url: '' });
    expect(BulkOperationSchema.parse(bulkMutationCreated.data.bulkOperationRunMutation.bulkOperation)).toMatchObject({ status: 'CREATED', url: null });
    expect(BulkQueryRunSchema.safeParse({ bulkOperationRunQuery: bulkMutationCreated.data.bulkOperationRunMutation }).success).toBe(true);
  });

  it('an unknown status or a count that is no number is refused, not guessed', () => {
    expect(BulkOperationSchema.safeParse({ ...bulkCompleted.data.currentBulkOperation, status: 'PAUSED' }).success).toBe(false);
    expect(BulkOperationSchema.safeParse({ ...bulkCompleted.data.currentBulkOperation, objectCount: 'many' }).success).toBe(false);
  });
});

describe('Shopify bulk result lines (JSONL)', () => {
  it('the recorded orders file: an Order line, then a LineItem line with __parentId', () => {
    const lines = fixture('bulk_result_orders_gatsby.jsonl').split('\n').filter((l) => l !== '');
    const [order, item] = lines.map(parseBulkLine);
    expect(order).toEqual({
      kind: 'record',
      value: { closed: true, closedAt: '2022-03-14T13:58:21Z', edited: false, id: 'gid://shopify/Order/3838572757198', refunds: [] },
    });
    expect(item).toEqual({
      kind: 'child',
      parentId: 'gid://shopify/Order/3838572757198',
      value: { id: 'gid://shopify/LineItem/9995073585358', product: { id: 'gid://shopify/Product/6950279086286' } },
    });
  });

  it('the recorded products file: escaped slashes read as gids, children point at their product', () => {
    const parsed = fixture('bulk_result_products_gatsby.jsonl').split('\n').filter((l) => l !== '').map(parseBulkLine);
    expect(parsed.map((p) => p.kind)).toEqual(['record', 'child', 'child', 'record', 'child']);
    const products = parsed.flatMap((p) => (p.kind === 'record' ? [(p.value as { id: string }).id] : []));
    expect(products.every((id) => /^gid:\/\/shopify\/Product\/\d+$/.test(id))).toBe(true);
    for (const p of parsed) if (p.kind === 'child') expect(products).toContain(p.parentId);
    const first = parsed[0]!.kind === 'record' ? (parsed[0]!.value as { feedback: { summary: string } }) : undefined;
    expect(first?.feedback.summary).toBe('This product couldn’t be published to Google');
  });

  it('blank lines are blank; a line that is not JSON is malformed; JSON that is no object is left to the mapper', () => {
    expect(parseBulkLine('')).toEqual({ kind: 'blank' });
    expect(parseBulkLine('{"id":"gid://shopify/Customer/1","updatedAt":"2026-01-0')).toMatchObject({ kind: 'malformed' });
    expect(parseBulkLine('42')).toEqual({ kind: 'record', value: 42 });
    // A __parentId that is no id is no child: the mapper quarantines the line.
    expect(parseBulkLine('{"id":"x","__parentId":null}')).toEqual({ kind: 'record', value: { id: 'x', __parentId: null } });
    const m = mapCustomer(42, mapping);
    expect(m.ok).toBe(false);
  });

  it('reads a body line by line however it is cut into chunks, CRLF included, never more than the lines', async () => {
    const text = fixture('bulk_result_products_gatsby.jsonl');
    const expected = text.split('\n').filter((l) => l !== '');
    for (const size of [1, 7, 64, 100_000]) expect(await collect(jsonlLines(chunked(text, size), 1_000))).toEqual(expected);
    expect(await collect(jsonlLines(chunked('{"a":1}\r\n{"b":2}', 3), 1_000))).toEqual(['{"a":1}', '{"b":2}']);
  });

  it('a body that stalls while a line is awaited fails with a TimeoutError', async () => {
    const stalled = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"a":1}\n{"b"'));
      },
    });
    const got: string[] = [];
    await expect(
      (async () => {
        for await (const l of jsonlLines(stalled, 50)) got.push(l);
      })(),
    ).rejects.toBeInstanceOf(TimeoutError);
    expect(got).toEqual(['{"a":1}']);
  });

  it('the time spent on a line does not count against the idle timeout', async () => {
    const lines = jsonlLines(chunked('{"a":1}\n{"b":2}\n', 100), 30);
    const got: string[] = [];
    for await (const l of lines) {
      got.push(l);
      await new Promise((r) => setTimeout(r, 60));
    }
    expect(got).toEqual(['{"a":1}', '{"b":2}']);
  });

  it('the emulator writes lines the way the recorded files are: keys in query order, __parentId last, "/" escaped', () => {
    const query = '{ orders { edges { node { closed id lineItems { edges { node { id product { id } } } } } } } }';
    const document = parse(query);
    const data = {
      orders: {
        edges: [{ node: { closed: true, id: 'gid://shopify/Order/1', lineItems: { edges: [{ node: { id: 'gid://shopify/LineItem/2', product: { id: 'gid://shopify/Product/3' } } }] } } }],
      },
    };
    const { objects, roots } = bulkObjects(schema, document, getOperationAST(document)!, data);
    expect(roots).toBe(1);
    const lines = objects.map(jsonlLine);
    expect(lines).toEqual([
      '{"closed":true,"id":"gid:\\/\\/shopify\\/Order\\/1"}',
      '{"id":"gid:\\/\\/shopify\\/LineItem\\/2","product":{"id":"gid:\\/\\/shopify\\/Product\\/3"},"__parentId":"gid:\\/\\/shopify\\/Order\\/1"}',
    ]);
    // The same shape as the recorded child line.
    const recorded = fixture('bulk_result_orders_gatsby.jsonl').split('\n')[1]!;
    expect(Object.keys(JSON.parse(recorded) as object)).toEqual(Object.keys(JSON.parse(lines[1]!) as object));
    expect(lines.map(parseBulkLine).map((l) => l.kind)).toEqual(['record', 'child']);
  });
});

describe('Shopify bulk inner queries and polling', () => {
  it('the connector\'s inner queries pass the bulk restrictions and select what the pages select', () => {
    for (const q of everyBulkQuery(mapping)) expect(bulkQueryProblems(schema, q.query).problems, q.name).toEqual([]);
    expect(customersBulkQuery(mapping).query).toContain('customers {\n    edges { node { id updatedAt defaultEmailAddress { emailAddress marketingState }');
    expect(ordersBulkQuery(mapping).query).toContain('customer { id }');
    expect(ordersBulkQuery(mapping).query).not.toMatch(/first|after|pageInfo/);
  });

  it('a mapped bulk order line maps exactly like a paged node', () => {
    const line = '{"id":"gid:\\/\\/shopify\\/Order\\/5","updatedAt":"2026-01-02T00:00:00Z","createdAt":"2026-01-01T00:00:00Z","processedAt":"2026-01-01T00:00:00Z","cancelledAt":null,"test":false,"customer":{"id":"gid:\\/\\/shopify\\/Customer\\/1"},"name":"#5","displayFinancialStatus":"PAID","currentTotalPriceSet":{"shopMoney":{"amount":"12.50","currencyCode":"EUR"}}}';
    const parsed = parseBulkLine(line);
    expect(parsed.kind).toBe('record');
    const value = parsed.kind === 'record' ? parsed.value : undefined;
    expect(mapOrder(value, mapping)).toEqual(mapOrder(JSON.parse(line.replace(/\\\//g, '/')), mapping));
    expect(mapOrder(value, mapping)).toMatchObject({ ok: true, record: { externalId: 'gid://shopify/Order/5', amount: 12.5, status: 'won', contactExternalIds: ['gid://shopify/Customer/1'] } });
  });

  it('polls soon, then less often, up to the configured interval', () => {
    expect(Array.from({ length: 7 }, (_, n) => pollDelayMs(n, 3_000))).toEqual([FIRST_POLL_MS, 500, 1_000, 2_000, 3_000, 3_000, 3_000]);
    expect(pollDelayMs(0, 50)).toBe(50);
    expect(pollDelayMs(1_000, 10_000)).toBe(10_000);
  });

  it('a stored operation reads the same query whatever its whitespace', () => {
    const q = customersBulkQuery(mapping).query;
    expect(sameQuery(q.replace(/\n\s*/g, ' '), q)).toBe(true);
    expect(sameQuery(q.replace('updatedAt', 'createdAt'), q)).toBe(false);
    expect(sameQuery(undefined, q)).toBe(false);
  });
});
