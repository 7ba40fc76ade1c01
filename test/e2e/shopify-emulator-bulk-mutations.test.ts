/**
 * The Shopify emulator's bulk mutation operations, by raw requests as a client sends them: a staged
 * upload target shaped as the recorded one, the multipart upload to it, bulkOperationRunMutation
 * validated like any document, each line run through the same resolvers as the regular mutation,
 * the limits on how many run at once, and the result file in the recorded form.
 */
import { describe, expect, it } from 'vitest';
import { ShopifyEmulator } from '../../connectors/shopify/emulator/index.js';
import type { ShopifyEmulatorOptions } from '../../connectors/shopify/emulator/index.js';
import { BulkMutationLineSchema, StagedUploadsCreateSchema } from '../../connectors/shopify/schemas.js';
import { generatePopulation, parsePopulationOptions } from '../../src/sandbox/population.js';
import { populationOn } from '../../src/sandbox/presence.js';
import recordedStaged from '../fixtures/shopify/staged_uploads_create_ALAppExt.json' with { type: 'json' };
import { SHOPIFY_ANCHOR, SHOPIFY_TOKEN } from '../helpers/shopify-world.js';

const PATH = '/admin/api/2026-07/graphql.json';
const STAGE = 'mutation Stage($input: [StagedUploadInput!]!) { stagedUploadsCreate(input: $input) { stagedTargets { url resourceUrl parameters { name value } } userErrors { field message } } }';
const RUN = 'mutation Run($m: String!, $p: String!) { bulkOperationRunMutation(mutation: $m, stagedUploadPath: $p) { bulkOperation { id status type } userErrors { field message code } } }';
const TAGS_ADD = 'mutation TagsAddBulk($id: ID!, $tags: [String!]!) { tagsAdd(id: $id, tags: $tags) { userErrors { field message } } }';
const POLL = 'query Poll($id: ID!) { bulkOperation(id: $id) { id status type objectCount url partialDataUrl errorCode } }';

type Json = { data?: Record<string, any> | null; errors?: Array<{ message: string }>; extensions?: { cost?: { requestedQueryCost: number; throttleStatus: { currentlyAvailable: number } } } };

async function start(options: ShopifyEmulatorOptions = {}) {
  const emulator = new ShopifyEmulator({ accessToken: SHOPIFY_TOKEN, ...options });
  emulator.load(populationOn(generatePopulation(parsePopulationOptions({ seed: 5, size: 60, anchor: SHOPIFY_ANCHOR })), 'shopify'));
  const server = await emulator.listen();
  const post = async (query: string, variables: Record<string, unknown> = {}): Promise<Json> => {
    const r = await fetch(`${server.url}${PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-shopify-access-token': SHOPIFY_TOKEN },
      body: JSON.stringify({ query, variables }),
    });
    return (await r.json()) as Json;
  };
  const stage = async () => {
    const json = await post(STAGE, { input: [{ resource: 'BULK_MUTATION_VARIABLES', filename: 'vars.jsonl', mimeType: 'text/jsonl', httpMethod: 'POST' }] });
    return json.data!.stagedUploadsCreate.stagedTargets[0] as { url: string; resourceUrl: string | null; parameters: Array<{ name: string; value: string }> };
  };
  /** Stages and uploads a file; returns the staged path (the key) and the storage's answer. */
  const upload = async (content: string, tamper?: (form: FormData) => void) => {
    const target = await stage();
    const form = new FormData();
    for (const p of target.parameters) form.append(p.name, p.value);
    form.append('file', new Blob([content], { type: 'text/jsonl' }), 'vars.jsonl');
    tamper?.(form);
    // No access token: the signed policy is the credential.
    const r = await fetch(target.url, { method: 'POST', body: form });
    return { key: target.parameters.find((p) => p.name === 'key')!.value, status: r.status, body: await r.text() };
  };
  const run = async (mutation: string, lines: string[]) => {
    const { key } = await upload(lines.map((l) => `${l}\n`).join(''));
    return (await post(RUN, { m: mutation, p: key })).data!.bulkOperationRunMutation as { bulkOperation: { id: string; status: string; type: string } | null; userErrors: Array<{ field: string[] | null; message: string; code: string }> };
  };
  const result = async (id: string) => {
    for (let i = 0; i < 100; i++) {
      const op = (await post(POLL, { id })).data!.bulkOperation as { status: string; url: string | null; partialDataUrl: string | null; objectCount: string; errorCode: string | null };
      if (op.status !== 'CREATED' && op.status !== 'RUNNING') {
        const url = op.url ?? op.partialDataUrl;
        return { op, text: url ? await (await fetch(url)).text() : '' };
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('the operation never ended');
  };
  const ids = emulator.listCustomers().map((c) => c.id);
  return { emulator, server, post, stage, upload, run, result, ids };
}

describe('Shopify emulator: staged uploads of bulk mutation variables', () => {
  it('answers a target shaped as the recorded one, on its own server', async () => {
    const { server, stage } = await start();
    try {
      const target = await stage();
      expect(StagedUploadsCreateSchema.safeParse({ stagedUploadsCreate: { stagedTargets: [target], userErrors: [] } }).success).toBe(true);
      const recorded = recordedStaged.data.stagedUploadsCreate.stagedTargets[0]!;
      expect(target.parameters.map((p) => p.name)).toEqual(recorded.parameters.map((p) => p.name));
      expect(target.resourceUrl).toBe(recorded.resourceUrl);
      expect(target.url.startsWith(server.url)).toBe(true);
      expect(target.parameters.find((p) => p.name === 'key')!.value).toMatch(/^tmp\/\d+\/bulk\/[0-9a-f-]+\/vars\.jsonl$/);
      expect(target.parameters.find((p) => p.name === 'success_action_status')!.value).toBe('201');
    } finally {
      await server.close();
    }
  });

  it('takes the signed form (201); refuses a form not signed by it (403) and a file over 100 MB (400)', async () => {
    const { server, upload, emulator } = await start();
    try {
      const ok = await upload('{"id":"gid://shopify/Customer/1001","tags":["a"]}\n');
      expect(ok.status).toBe(201);
      expect(ok.body).toContain(`<Key>${ok.key}</Key>`);
      const forged = await upload('{}\n', (form) => form.set('x-goog-signature', 'f'.repeat(64)));
      expect(forged.status).toBe(403);
      expect(forged.body).toContain('<Code>SignatureDoesNotMatch</Code>');
      const huge = await upload('x'.repeat(100 * 1024 * 1024 + 1));
      expect(huge.status).toBe(400);
      expect(huge.body).toContain('<Code>EntityTooLarge</Code>');
      // The uploads are logged as writes (they carry the variables of writes).
      expect(emulator.requests.filter((r) => r.path.startsWith('/shopify-staged-uploads/')).every((r) => r.write)).toBe(true);
    } finally {
      await server.close();
    }
  }, 30_000);
});

describe('Shopify emulator: bulkOperationRunMutation', () => {
  it('runs each line as the regular mutation would, a malformed line failing alone; the result file is the recorded form', async () => {
    const { server, run, result, ids, emulator, post } = await start();
    try {
      const before = emulator.getCustomer(ids[0]!)!.tags;
      const available = (await post('query { shop { id } }')).extensions!.cost!.throttleStatus.currentlyAvailable;
      const started = await run(TAGS_ADD, [
        JSON.stringify({ id: ids[0], tags: ['bulk:a', 'bulk/b'] }),
        'this is not JSON',
        JSON.stringify({ id: 'gid://shopify/Customer/999999', tags: ['bulk:a'] }),
        JSON.stringify({ id: ids[1], tags: 'bulk:c' }),
        JSON.stringify({ id: ids[2] }),
      ]);
      expect(started.userErrors).toEqual([]);
      expect(started.bulkOperation).toMatchObject({ status: 'CREATED', type: 'MUTATION' });
      // The lines cost the bucket nothing: only the staging and the start (10 points each) were charged.
      const after = (await post('query { shop { id } }')).extensions!.cost!.throttleStatus.currentlyAvailable;
      expect(available - after).toBeLessThanOrEqual(2 * 10 + 1);

      const { op, text } = await result(started.bulkOperation!.id);
      expect(op).toMatchObject({ status: 'COMPLETED', objectCount: '5' });
      const lines = text.trim().split('\n').map((l) => BulkMutationLineSchema.parse(JSON.parse(l)));
      expect(lines.map((l) => l.__lineNumber)).toEqual([0, 1, 2, 3, 4]);
      expect(lines[0]).toEqual({ data: { tagsAdd: { userErrors: [] } }, __lineNumber: 0 });
      expect(emulator.getCustomer(ids[0]!)!.tags).toEqual([...before, 'bulk:a', 'bulk/b']);
      expect(lines[1]!.errors![0]!.message).toMatch(/Invalid JSON on line 1/);
      // A customer the shop lacks: the regular mutation's userError.
      expect(lines[2]!.data).toEqual({ tagsAdd: { userErrors: [{ field: ['id'], message: 'Customer does not exist' }] } });
      // tagsAdd takes "a, b" in one string, as a regular request does (list coercion).
      expect(lines[3]!.errors).toBeUndefined();
      expect(emulator.getCustomer(ids[1]!)!.tags).toContain('bulk:c');
      // Variables that do not fit the mutation: graphql's own coercion error, for that line alone.
      expect(lines[4]!.errors![0]!.message).toMatch(/Variable "\$tags" of required type "\[String!\]!" was not provided/);
      expect(lines[4]!.data).toBeNull();
    } finally {
      await server.close();
    }
  });

  it('refuses an invalid mutation, one of two fields, and a staged path with no file, with the documented codes', async () => {
    const { server, run, post } = await start();
    try {
      const invalid = await run('mutation { tagsAdd(id: "x") { nope } }', ['{}']);
      expect(invalid.bulkOperation).toBeNull();
      expect(invalid.userErrors[0]).toMatchObject({ code: 'INVALID_MUTATION', field: ['mutation'] });
      const two = await run(`mutation($id: ID!, $tags: [String!]!) { a: tagsAdd(id: $id, tags: $tags) { userErrors { message } } b: tagsRemove(id: $id, tags: $tags) { userErrors { message } } }`, ['{}']);
      expect(two.userErrors).toEqual([{ field: ['mutation'], message: 'Bulk mutations must contain exactly one mutation field.', code: 'INVALID_MUTATION' }]);
      const query = await run('query { shop { id } }', ['{}']);
      expect(query.userErrors[0]!.code).toBe('INVALID_MUTATION');
      const missing = (await post(RUN, { m: TAGS_ADD, p: 'tmp/1/bulk/none/vars.jsonl' })).data!.bulkOperationRunMutation;
      expect(missing.userErrors[0]).toMatchObject({ code: 'NO_SUCH_FILE', field: ['stagedUploadPath'] });
    } finally {
      await server.close();
    }
  });

  it('runs five at a time (2026-01+): the sixth is LIMIT_REACHED; one at a time, a second is OPERATION_IN_PROGRESS naming the first', async () => {
    const five = await start({ bulk: { delayMs: 5_000 } });
    try {
      const line = JSON.stringify({ id: five.ids[0], tags: ['x'] });
      for (let i = 0; i < 5; i++) expect((await five.run(TAGS_ADD, [line])).userErrors).toEqual([]);
      const sixth = await five.run(TAGS_ADD, [line]);
      expect(sixth).toEqual({ bulkOperation: null, userErrors: [{ field: null, message: 'Bulk operations limit reached. Please try again later.', code: 'LIMIT_REACHED' }] });
      // Bulk queries have limits of their own.
      const q = await five.post('mutation { bulkOperationRunQuery(query: "{ customers { edges { node { id } } } }") { userErrors { code } } }');
      expect(q.data!.bulkOperationRunQuery.userErrors).toEqual([]);
      // The running ones are found by bulkOperations' documented filters, and currentBulkOperation(type: MUTATION).
      const listed = await five.post('{ bulkOperations(first: 10, query: "operation_type:mutation status:running") { nodes { id type status } } }');
      expect(listed.data!.bulkOperations.nodes).toHaveLength(5);
      expect(listed.data!.bulkOperations.nodes.every((n: { type: string }) => n.type === 'MUTATION')).toBe(true);
      const current = await five.post('{ currentBulkOperation(type: MUTATION) { type status } }');
      expect(current.data!.currentBulkOperation).toEqual({ type: 'MUTATION', status: 'RUNNING' });
    } finally {
      await five.server.close();
    }
    const one = await start({ bulk: { delayMs: 5_000, maxConcurrentMutations: 1 } });
    try {
      const line = JSON.stringify({ id: one.ids[0], tags: ['x'] });
      const first = await one.run(TAGS_ADD, [line]);
      const second = await one.run(TAGS_ADD, [line]);
      expect(second).toEqual({
        bulkOperation: null,
        userErrors: [{ field: null, message: `A bulk mutation operation for this app and shop is already in progress: ${first.bulkOperation!.id}.`, code: 'OPERATION_IN_PROGRESS' }],
      });
    } finally {
      await one.server.close();
    }
  });

  it('an operation that fails keeps the answers of the lines it ran in its partial file', async () => {
    const { server, run, result, ids, emulator } = await start();
    try {
      emulator.failNextBulkOperation('INTERNAL_SERVER_ERROR');
      const started = await run(TAGS_ADD, ids.slice(0, 4).map((id) => JSON.stringify({ id, tags: ['half'] })));
      const { op, text } = await result(started.bulkOperation!.id);
      expect(op).toMatchObject({ status: 'FAILED', errorCode: 'INTERNAL_SERVER_ERROR', url: null });
      expect(text.trim().split('\n').map((l) => (JSON.parse(l) as { __lineNumber: number }).__lineNumber)).toEqual([0, 1]);
      expect(ids.slice(0, 4).map((id) => emulator.getCustomer(id)!.tags.includes('half'))).toEqual([true, true, false, false]);
    } finally {
      await server.close();
    }
  });
});
