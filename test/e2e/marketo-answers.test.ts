/**
 * Marketo lead fields of every describe type, through the real connector: a text token goes into
 * an existing text area (describe "textarea" or "text"), a field that cannot hold a token is
 * refused by name with the types that would work; and the emulator lists its static lists the two
 * ways Marketo does (Get Lists, and the asset API's Get Static Lists), in the connector's schemas.
 */
import { describe, expect, it } from 'vitest';
import { MARKETO_DATA_TYPES } from '../../connectors/marketo/field-types.js';
import { DescribeLeadsSchema, ListsPageSchema, StaticListsSchema } from '../../connectors/marketo/schemas.js';
import { runDoctor } from '../../src/doctor/run.js';
import { pull, push, segment } from '../../src/pipeline/run.js';
import { CLIENT_ID, CLIENT_SECRET, marketoWorld, registry, signal, storedTokens } from '../helpers/marketo-world.js';

describe('Marketo field types and list listings against the emulator', () => {
  it('writes text tokens into existing text area fields ("textarea" and "text") without creating others, and doctor agrees', async () => {
    const world = await marketoWorld({
      size: 80,
      emulator: {
        fields: [
          { name: 'segsyncRfmSegment', dataType: 'textarea', displayName: 'RFM segment (long text)' },
          { name: 'segsyncPersonaSummary', dataType: 'text', displayName: 'Persona summary notes' },
        ],
      },
    });
    try {
      const session = world.open();
      await pull(session, { full: true, signal });
      segment(session);
      const result = await push(session, { dryRun: false, allowMassRemoval: false, signal });
      expect(result.destinations[0]!.applied!.failed).toEqual([]);
      // Neither field was created again (the fields API cannot make text areas anyway).
      expect(world.emulator.customFields()).toMatchObject({ segsyncRfmSegment: 'textarea', segsyncPersonaSummary: 'text' });
      const wanted = storedTokens(session).filter((t) => t.token === 'rfm_segment' && t.value !== '');
      expect(wanted.length).toBeGreaterThan(0);
      for (const t of wanted) expect(world.emulator.getLead(t.id)?.fields.segsyncRfmSegment, t.id).toBe(t.value);
      const report = await runDoctor({ env: world.env, registry });
      const fields = report.checks.find((c) => c.name === 'marketo token fields');
      expect(fields?.status).not.toBe('fail');
    } finally {
      await world.close();
    }
  });

  it('refuses a formula field by name, its type and the types that would work, before writing anything', async () => {
    const world = await marketoWorld({ size: 40, emulator: { fields: [{ name: 'segsyncRfmR', dataType: 'formula' }] } });
    try {
      const session = world.open();
      await pull(session, { full: true, signal });
      segment(session);
      world.emulator.resetRequestLog();
      await expect(push(session, { dryRun: false, allowMassRemoval: false, signal })).rejects.toThrow(
        'lead field segsyncRfmR is of type formula, which cannot hold token rfm_r (a formula field is computed by Marketo and cannot be written); ' +
          'a field of type integer, score, percent, float, currency, string, text, textarea can. ' +
          'Fix: map token rfm_r to a field of one of those types in mappings/marketo.yaml, or have a Marketo admin change field segsyncRfmR',
      );
      expect(world.emulator.requests.filter((r) => r.write)).toEqual([]);
      const report = await runDoctor({ env: world.env, registry });
      expect(report.checks).toContainEqual(expect.objectContaining({
        name: 'marketo token fields',
        status: 'fail',
        detail: expect.stringContaining('lead field segsyncRfmR is of type formula') as string,
      }));
    } finally {
      await world.close();
    }
  });

  it('describes fields of every Marketo type: the recorded standard ones, and text areas, scores, percents and formulas an admin made', async () => {
    const world = await marketoWorld({
      size: 5,
      emulator: {
        fields: [
          { name: 'longNotes', dataType: 'textarea' },
          { name: 'engagementScore', dataType: 'score' },
          { name: 'discountShare', dataType: 'percent' },
          { name: 'fullName', dataType: 'formula' },
        ],
      },
    });
    try {
      const token = ((await (await fetch(`${world.url}/identity/oauth/token?grant_type=client_credentials&client_id=${CLIENT_ID}&client_secret=${CLIENT_SECRET}`)).json()) as { access_token: string }).access_token;
      const described = DescribeLeadsSchema.parse(await (await fetch(`${world.url}/rest/v1/leads/describe.json`, { headers: { authorization: `Bearer ${token}` } })).json());
      expect(new Set(described.result?.map((f) => f.dataType))).toEqual(new Set(MARKETO_DATA_TYPES));
      expect(described.result?.find((f) => f.rest?.name === 'fullName')?.rest?.readOnly).toBe(true);
    } finally {
      await world.close();
    }
  });

  it('lists static lists through Get Lists (nextPageToken) and the asset API (offset, maxReturn), as the connector reads them', async () => {
    const world = await marketoWorld({ size: 60 });
    try {
      const session = world.open();
      await pull(session, { full: true, signal });
      segment(session);
      await push(session, { dryRun: false, allowMassRemoval: false, signal });
      const truth = world.emulator.staticLists().map((l) => ({ id: Number(l.id), name: l.name })).sort((a, b) => a.id - b.id);
      expect(truth.length).toBeGreaterThan(2);

      const token = ((await (await fetch(`${world.url}/identity/oauth/token?grant_type=client_credentials&client_id=${CLIENT_ID}&client_secret=${CLIENT_SECRET}`)).json()) as { access_token: string }).access_token;
      const get = async (path: string) => (await fetch(`${world.url}${path}`, { headers: { authorization: `Bearer ${token}` } })).json() as Promise<unknown>;

      const seen: Array<{ id: number; name: string }> = [];
      let next: string | undefined;
      do {
        const page = ListsPageSchema.parse(await get(`/rest/v1/lists.json?batchSize=2${next ? `&nextPageToken=${encodeURIComponent(next)}` : ''}`));
        for (const l of page.result ?? []) seen.push({ id: l.id, name: l.name });
        next = page.nextPageToken ?? undefined;
      } while (next);
      expect(seen).toEqual(truth);
      const byName = ListsPageSchema.parse(await get(`/rest/v1/lists.json?name=${encodeURIComponent(truth[1]!.name)}`));
      expect(byName.result?.map((l) => l.id)).toEqual([truth[1]!.id]);

      const assets = StaticListsSchema.parse(await get('/rest/asset/v1/staticLists.json?maxReturn=200'));
      expect(assets.result?.map((l) => ({ id: l.id, name: l.name }))).toEqual(truth);
      const second = StaticListsSchema.parse(await get('/rest/asset/v1/staticLists.json?offset=1&maxReturn=1'));
      expect(second.result?.map((l) => l.id)).toEqual([truth[1]!.id]);
      const past = StaticListsSchema.parse(await get(`/rest/asset/v1/staticLists.json?offset=${truth.length}`));
      expect(past.result ?? []).toEqual([]);
      expect(past.warnings).toEqual(['No assets found for the given search criteria.']);
    } finally {
      await world.close();
    }
  });
});
