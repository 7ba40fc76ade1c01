/**
 * Named clusterings (issue 13 §3): with nothing declared, a store of buyers and prospects with
 * engagement and company data (the HubSpot emulator) is clustered twice: customers (buyers, as
 * before) and leads (people who never bought, by engagement and company). Each has its own
 * personas, lists and tokens, pushed to HubSpot; explain, the report and the export show both;
 * a run stored before named clusterings still renders. A contacts-only CSV store, whose people
 * have no engagement data, skips leads with the reason (through the CLI, --json).
 */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { segsync as runCli } from '../helpers/cli.js';
import { explainProfile } from '../../src/pipeline/explain.js';
import { forget } from '../../src/pipeline/forget.js';
import { buildReportData } from '../../src/pipeline/report.js';
import { push, pushedTokenSpecs, segment } from '../../src/pipeline/run.js';
import { pull } from '../../src/pipeline/run.js';
import { parseWorkspace } from '../../src/config/workspace.js';
import type { SegmentSummary } from '../../src/pipeline/segment.js';
import type { Session } from '../../src/pipeline/session.js';
import { renderWithChromium } from '../../src/report/chromium.js';
import { renderReportHtml } from '../../src/report/render-html.js';
import { renderExplanation } from '../../src/cli/commands/explain.js';
import { renderSegment } from '../../src/cli/render.js';
import { DEFAULT_LEADS_CATEGORICAL, DEFAULT_LEADS_FEATURES } from '../../src/segmentation/clustering-config.js';
import { CATEGORY_FEATURES, NUMBER_FEATURES, type FeatureSet } from '../../src/segmentation/features.js';
import type { Persona } from '../../src/segmentation/personas.js';
import { personaClaimViolations } from '../helpers/persona-claims.js';
import { ANCHOR, hubspotWorld, signal, type HubSpotWorld } from '../helpers/sandbox.js';
import { heldOutAsControl } from '../helpers/world.js';

const CONFIG = `segmentation:
  referenceDate: ${ANCHOR.toISOString()}
segments:
  - key: leads_with_a_persona
    name: Leads with a persona
    rule: { op: exists, field: persona.leads }
`;

/** A FeatureSet of the stored features of some profiles (numbers and categories: what the claim check reads). */
function storedFeatureSet(values: Array<Record<string, number | string | null>>): FeatureSet {
  const numbers = Object.fromEntries(NUMBER_FEATURES.map((k) => [k, Float64Array.from(values, (v) => (typeof v[k] === 'number' ? v[k] : Number.NaN))]));
  const categories = Object.fromEntries(CATEGORY_FEATURES.map((k) => [k, values.map((v) => (typeof v[k] === 'string' ? v[k] : null))]));
  return { rows: values.length, numbers, categories, attributes: new Map() } as unknown as FeatureSet;
}

describe('named clusterings: customers and the default leads clustering', () => {
  let world: HubSpotWorld;
  let session: Session;
  let summary: SegmentSummary;
  let exportDir: string;

  beforeAll(async () => {
    world = await hubspotWorld({ size: 400, config: CONFIG });
    session = world.open();
    await pull(session, { full: true, signal });
    exportDir = join(mkdtempSync(join(tmpdir(), 'segsync-clusterings-')), 'export');
    summary = segment(session, { exportDir });
  }, 120_000);
  afterAll(() => world.close());

  const leadsMembers = () => session.db.prepare(`SELECT c.profile_id AS profileId, c.cluster, c.persona_key AS personaKey, p.label, f.features
      FROM profile_clusters c JOIN personas p ON p.key = c.persona_key AND p.run_id = c.run_id JOIN profile_features f ON f.profile_id = c.profile_id
      WHERE c.clustering = 'leads' ORDER BY c.profile_id`).all() as Array<{ profileId: number; cluster: number; personaKey: string; label: string; features: string }>;

  it('clusters the buyers as customers and the prospects with engagement data as leads, each with its own personas and lists', () => {
    expect(summary.clusterings.map((c) => [c.name, c.status])).toEqual([['customers', 'clustered'], ['leads', 'clustered']]);
    const [customers, leads] = summary.clusterings;
    if (customers?.status !== 'clustered' || leads?.status !== 'clustered') throw new Error('not clustered');
    // The customers clustering is the one `clustering` reported before named clusterings.
    const { name: _name, ...customersSummary } = customers;
    expect(summary.clustering).toEqual(customersSummary);
    expect(customers.population.kind).toBe('buyers');
    expect(leads.population.kind).toBe('prospects');
    expect(leads.preparation.some((line) => line.startsWith('weight companyIndustry: weighted by'))).toBe(true);
    const members = leadsMembers();
    expect(members.length).toBe(leads.clusteredProfiles);
    expect(members.length).toBeGreaterThanOrEqual(50);
    // Leads never bought, and each has at least 3 of the leads features.
    for (const m of members) {
      const f = JSON.parse(m.features) as Record<string, number | null>;
      expect(f.lifetimeFrequency, String(m.profileId)).toBe(0);
      expect(DEFAULT_LEADS_FEATURES.filter((k) => f[k] !== null).length, String(m.profileId)).toBeGreaterThanOrEqual(3);
    }
    const personaSegments = summary.segments.filter((s) => s.kind === 'persona');
    const leadKeys = new Set(leads.personas.map((p) => p.key));
    for (const p of customers.personas) {
      expect(p.key).toMatch(/^persona_[a-z0-9_]+$/);
      expect(p.key.startsWith('persona_leads_')).toBe(false);
      expect(personaSegments.find((s) => s.key === p.key)?.name).toBe(`Persona: ${p.label}`);
    }
    for (const p of leads.personas) {
      expect(p.key).toMatch(/^persona_leads_[a-z0-9_]+$/);
      expect(personaSegments.find((s) => s.key === p.key)).toMatchObject({ name: `Lead persona: ${p.label}`, size: p.size });
    }
    expect(personaSegments.length).toBe(customers.personas.length + leadKeys.size);
    // A rule can name the leads persona (field persona.leads).
    expect(summary.segments.find((s) => s.key === 'leads_with_a_persona')?.size).toBe(members.length);
    const text = renderSegment(summary);
    expect(text).toContain('Clustering customers\nClusters: k-means');
    expect(text).toMatch(/Clustering leads\nClusters: k-means, k = \d+ .* over \d+ prospects \(population: prospects/);
  });

  it('labels every leads persona only with what holds for its members: engagement and company, not purchases', () => {
    const members = leadsMembers();
    const run = session.db.prepare("SELECT MAX(run_id) AS id FROM personas WHERE clustering = 'leads'").get() as { id: number };
    const personas = (session.db.prepare("SELECT key, label, cluster, size, narrative, summary FROM personas WHERE run_id = ? AND clustering = 'leads'").all(run.id) as Array<Pick<Persona, 'key' | 'label' | 'cluster' | 'size' | 'narrative' | 'summary'>>)
      .map((p) => ({ ...p, noise: false }) as Persona);
    expect(personas.length).toBeGreaterThanOrEqual(2);
    const features = storedFeatureSet(members.map((m) => JSON.parse(m.features) as Record<string, number | string | null>));
    expect(personaClaimViolations({
      features, rows: Int32Array.from(members.keys()), labels: Int32Array.from(members, (m) => m.cluster), personas, numeric: DEFAULT_LEADS_FEATURES, categorical: DEFAULT_LEADS_CATEGORICAL,
    })).toEqual([]);
    for (const p of personas) {
      expect(p.label).not.toMatch(/buyer|spender|customer|one-timer|loyal/i);
      expect(p.narrative).toMatch(/^\d+ people \(\d+%\) who have not bought yet\.$/);
    }
  });

  it('writes persona_leads and persona_leads_summary for everyone, empty outside the leads clustering', () => {
    const members = new Map(leadsMembers().map((m) => [m.profileId, m.label]));
    const summaries = new Map((session.db.prepare("SELECT label, summary FROM personas WHERE clustering = 'leads'").all() as Array<{ label: string; summary: string }>).map((p) => [p.label, p.summary]));
    // The typical member's figures, as many as fit a text field every platform takes (200 characters).
    for (const summary of summaries.values()) {
      expect(summary).toMatch(/^email open rate [\d.]+ · email click rate [\d.]+ · website visits \d+ · page views \d+ · form submissions [\d.]+ · days since the last website visit [\d,]+ · company employees [\d,]+( · [a-z0-9 ]+ [\d.,]+)*$/);
      expect(summary.length).toBeLessThanOrEqual(200);
    }
    const tokens = session.db.prepare(`SELECT profile_id AS profileId, token, value FROM profile_tokens WHERE token IN ('persona', 'persona_leads', 'persona_leads_summary')`)
      .all() as Array<{ profileId: number; token: string; value: string }>;
    const profiles = (session.db.prepare('SELECT COUNT(*) AS n FROM profile_rfm').get() as { n: number }).n;
    expect(tokens.filter((t) => t.token === 'persona_leads')).toHaveLength(profiles);
    for (const t of tokens) {
      if (t.token === 'persona_leads') expect(t.value, String(t.profileId)).toBe(members.get(t.profileId) ?? '');
      // The typical lead of the persona in its own features (medians), not "has not bought yet" for every lead.
      if (t.token === 'persona_leads_summary') expect(t.value, String(t.profileId)).toBe(members.has(t.profileId) ? summaries.get(members.get(t.profileId)!)! : '');
      if (t.token === 'persona' && members.has(t.profileId)) expect(t.value).toBe('');
    }
    expect(pushedTokenSpecs(session.db).map((t) => t.key)).toEqual(expect.arrayContaining(['persona', 'persona_summary', 'persona_leads', 'persona_leads_summary']));
  });

  it('explains a lead: no customers persona, its leads persona and why', () => {
    const lead = leadsMembers()[0]!;
    const e = explainProfile(session, `profile:${lead.profileId}`);
    expect(e.clusterings).toEqual([
      { name: 'customers', persona: null, cluster: null, note: expect.stringMatching(/^not in its population \(population auto: buyers/) },
      { name: 'leads', persona: { key: lead.personaKey, label: lead.label }, cluster: lead.cluster, note: `cluster ${lead.cluster}` },
    ]);
    const persona = e.segments.find((s) => s.kind === 'persona');
    expect(persona).toMatchObject({ key: lead.personaKey, name: `Lead persona: ${lead.label}` });
    expect(persona!.reason).toMatch(new RegExp(`^leads clustering, cluster ${lead.cluster}: \\d+\\.\\d\\d from its centre, \\d+\\.\\d\\d from the next nearest \\(.+\\)`));
    expect(e.tokens.find((t) => t.token === 'persona_leads')).toMatchObject({ field: 'segsync_lead_persona', value: lead.label });
    expect(renderExplanation(e)).toMatch(new RegExp(`Personas by clustering[\\s\\S]*leads\\s+${lead.label.replace(/[()]/g, '\\$&')}`));
  });

  it('exports each clustering: the leads matrix, metrics and personas beside the customers ones, and both personas per person', () => {
    expect(summary.exported?.files).toEqual(expect.arrayContaining(['prepared-features.csv', 'metrics.json', 'personas.json', 'leads-prepared-features.csv', 'leads-metrics.json', 'leads-personas.json']));
    const members = new Map(leadsMembers().map((m) => [String(m.profileId), m]));
    const assignments = parse(readFileSync(join(exportDir, 'assignments.csv')), { columns: true }) as Array<Record<string, string>>;
    for (const row of assignments) {
      const m = members.get(row.profile_id!);
      expect(row.persona_leads, row.profile_id).toBe(m?.personaKey ?? '');
      expect(row.cluster_leads, row.profile_id).toBe(m ? String(m.cluster) : '');
    }
    const prepared = parse(readFileSync(join(exportDir, 'leads-prepared-features.csv')), { columns: true }) as Array<Record<string, string>>;
    expect(prepared.map((r) => r.profile_id).sort()).toEqual([...members.keys()].sort());
    const metrics = JSON.parse(readFileSync(join(exportDir, 'leads-metrics.json'), 'utf8')) as { clustering: { status: string; population: { kind: string } } };
    expect(metrics.clustering).toMatchObject({ status: 'clustered', population: { kind: 'prospects' } });
  });

  it('pushes both clusterings to HubSpot: the lead personas as lists and as the segsync_lead_persona property', async () => {
    const pushed = await push(session, { dryRun: false, allowMassRemoval: false, signal });
    for (const d of pushed.destinations) expect(d.applied!.failed, d.platform).toEqual([]);
    const members = session.db.prepare(`SELECT i.external_id AS id, c.clustering, p.label, p.key, c.profile_id AS profile FROM profile_clusters c
        JOIN personas p ON p.key = c.persona_key AND p.run_id = c.run_id JOIN identities i ON i.profile_id = c.profile_id AND i.platform = 'hubspot'`)
      .all() as Array<{ id: string; clustering: string; label: string; key: string; profile: number }>;
    // A persona's control members are kept off its list (controlGroups); they keep the persona property.
    const heldOut = heldOutAsControl(session);
    const optedOut = new Set((session.db.prepare("SELECT external_id AS id FROM contacts WHERE platform = 'hubspot' AND email_consent = 'unsubscribed'").all() as Array<{ id: string }>).map((r) => r.id));
    for (const [clustering, property, prefix] of [['customers', 'segsync_persona', 'Persona: '], ['leads', 'segsync_lead_persona', 'Lead persona: ']] as const) {
      const mine = members.filter((m) => m.clustering === clustering);
      expect(mine.length, clustering).toBeGreaterThan(20);
      for (const m of mine) expect(world.emulator.getContact(m.id)!.properties[property], m.id).toBe(m.label);
      for (const label of new Set(mine.map((m) => m.label))) {
        const list = world.emulator.listByName(`segsync · ${prefix}${label}`);
        expect(list, label).toBeDefined();
        expect(new Set(world.emulator.listMemberIds(list!.listId)), label).toEqual(new Set(mine.filter((m) => m.label === label && !optedOut.has(m.id) && !heldOut(m.profile, m.key)).map((m) => m.id)));
      }
    }
    // A customer has no lead persona on HubSpot: the empty value is never sent.
    const customer = members.find((m) => m.clustering === 'customers')!;
    expect(world.emulator.getContact(customer.id)!.properties.segsync_lead_persona ?? '').toBe('');
  });

  it('reports each clustering with its own maps, elbow chart and personas, drawn in headless Chromium', async () => {
    const data = buildReportData(session.db);
    expect(data.clustering?.personas.every((p) => !p.key.startsWith('persona_leads_'))).toBe(true);
    const leads = data.otherClusterings?.find((o) => o.name === 'leads');
    expect(leads?.clustering?.personas.map((p) => p.key).sort()).toEqual(summary.clusterings[1]!.status === 'clustered' ? summary.clusterings[1]!.personas.map((p) => p.key).sort() : []);
    const path = join(exportDir, '..', 'report.html');
    writeFileSync(path, renderReportHtml(data));
    const dom = await renderWithChromium(path);
    expect(dom).toMatch(/data-rendered="ok"/);
    for (const id of ['scatter-leads', 'umap-leads', 'elbow-leads']) expect(dom, id).toMatch(new RegExp(`id="${id}"[^>]*data-marks="[1-9]\\d*"`));
    expect(dom).toContain('Leads: Personas');
    expect(dom).toContain('Leads: Choosing the number of clusters');
    for (const p of leads!.clustering!.personas) expect(dom).toContain(`data-key="${p.key}"`);
  }, 60_000);

  it('forgetting a lead erases their cluster in every clustering', async () => {
    const lead = leadsMembers()[0]!;
    const contact = session.db.prepare("SELECT external_id AS id FROM identities WHERE profile_id = ? AND platform = 'hubspot'").get(lead.profileId) as { id: string };
    const result = await forget(session, { targets: [`hubspot:${contact.id}`], onPlatforms: false, dryRun: false, platforms: ['hubspot'], signal });
    expect(result.people[0]?.found).toBe(true);
    expect(session.db.prepare('SELECT COUNT(*) AS n FROM profile_clusters WHERE profile_id = ?').get(lead.profileId)).toEqual({ n: 0 });
  });

  it('still reads a run stored before named clusterings: runs, report and explain show its one clustering', () => {
    const run = session.db.prepare('SELECT id, clustering FROM segmentation_runs ORDER BY id DESC LIMIT 1').get() as { id: number; clustering: string };
    const customers = (JSON.parse(run.clustering) as { clusterings: Array<{ name: string; record: unknown }> }).clusterings.find((c) => c.name === 'customers')!.record;
    // What a run wrote before: one clustering record, personas without a clustering, no profile_clusters.
    session.db.prepare('UPDATE segmentation_runs SET clustering = ? WHERE id = ?').run(JSON.stringify(customers), run.id);
    session.db.prepare("DELETE FROM personas WHERE clustering <> 'customers'").run();
    session.db.prepare('DELETE FROM profile_clusters').run();
    const data = buildReportData(session.db);
    expect(data.clustering?.personas.length).toBeGreaterThan(1);
    expect(data.otherClusterings).toBeUndefined();
    expect(renderReportHtml(data)).toContain('id="scatter"');
    const buyer = session.db.prepare("SELECT profile_id AS id FROM profile_features WHERE persona_key IS NOT NULL LIMIT 1").get() as { id: number };
    const e = explainProfile(session, `profile:${buyer.id}`);
    expect(e.clusterings).toEqual([expect.objectContaining({ name: 'customers', persona: expect.objectContaining({ key: expect.stringMatching(/^persona_/) }) })]);
    expect(e.segments.find((s) => s.kind === 'persona')?.reason).toMatch(/^cluster \d+: \d+\.\d\d from its centre/);
    expect(pushedTokenSpecs(session.db).map((t) => t.key)).not.toContain('persona_leads');
  });

  it('a clustering named by the admin with no mapping line: `segment` says its persona is not written to HubSpot, and writes no such property', async () => {
    const workspace = parseWorkspace({ segmentation: { referenceDate: ANCHOR.toISOString(), clusterings: { customers: {}, engaged: { population: 'prospects', features: ['webVisits', 'pageViews'], minProfiles: 10 } } } }, 'w.yaml', ['hubspot']);
    const again = segment({ ...session, workspace });
    expect(again.clusterings.map((c) => [c.name, c.status])).toEqual([['customers', 'clustered'], ['engaged', 'clustered']]);
    expect(again.warnings).toContain('the engaged persona is not written to hubspot: its mapping has no line for persona_engaged (add persona_engaged: <field> and persona_engaged_summary: <field> under tokens:); its lists are pushed');
    expect(again.segments.some((s) => s.name.startsWith('Engaged persona: '))).toBe(true);
    const pushed = await push({ ...session, workspace }, { dryRun: false, allowMassRemoval: false, signal });
    expect(pushed.destinations[0]!.applied!.failed).toEqual([]);
    expect(world.emulator.listContacts().some((c) => Object.keys(c.properties).some((k) => k.includes('engaged')))).toBe(false);
  });

  it('calls DBSCAN\'s noise group of leads "Unusual people", not customers, and explain says it is noise', () => {
    const workspace = parseWorkspace({ segmentation: { referenceDate: ANCHOR.toISOString(), clusterings: { leads: { algorithm: 'dbscan', stabilityResamples: 0, dbscan: { minPts: 4 } } } } }, 'w.yaml', ['hubspot']);
    const again = segment({ ...session, workspace });
    const leads = again.clusterings[0]!;
    if (leads.status !== 'clustered') throw new Error(leads.status === 'skipped' ? leads.reason : 'not clustered');
    const noise = leads.personas.find((p) => p.noise)!;
    expect(noise).toMatchObject({ label: 'Unusual people', key: 'persona_leads_unusual_people' });
    expect(leads.personas.filter((p) => /customer/i.test(p.label))).toEqual([]);
    const member = session.db.prepare("SELECT profile_id AS id FROM profile_clusters WHERE persona_key = 'persona_leads_unusual_people' LIMIT 1").get() as { id: number };
    const e = explainProfile({ ...session, workspace }, `profile:${member.id}`);
    expect(e.segments.find((s) => s.key === noise.key)?.reason).toMatch(/^leads clustering, DBSCAN noise \(close to no cluster\): /);
  });
});

const ROOT = join(import.meta.dirname, '../..');

/** The CLI in `dir`, with its store and config there (test/helpers/cli.ts runs it). */
const segsync = (dir: string, args: string[]) => runCli(args, { SEGSYNC_DB: join(dir, 'segsync.db'), SEGSYNC_CONFIG: join(dir, 'segsync.yaml') }, { cwd: dir });

describe('the leads clustering on a store whose people have no engagement data', () => {
  it('is skipped with the reason, never an error, and `segment --json` shows each clustering', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'segsync-no-leads-'));
    copyFileSync(join(ROOT, 'test/fixtures/mall/mall_customers.csv'), join(dir, 'contacts.csv'));
    writeFileSync(join(dir, 'segsync.yaml'), `imports:
  formats:
    mall:
      kind: contacts
      detect: [Spending Score (1-100)]
      columns: { customerId: CustomerID }
      attributes:
        age: { column: Age, type: number }
        spendingScore: { column: "Spending Score (1-100)", type: number }
segmentation:
  clustering:
    features: [attributes.age, attributes.spendingScore]
    stabilityResamples: 0
`);
    const imported = await segsync(dir, ['import', 'contacts.csv']);
    expect(imported.code, imported.stderr).toBe(0);
    const segmented = await segsync(dir, ['segment', '--json']);
    expect(segmented.code, segmented.stderr).toBe(0);
    const out = JSON.parse(segmented.stdout) as { segment: { clustering: { status: string }; clusterings: Array<{ name: string; status: string; reason?: string; population?: { kind: string } }> } };
    expect(out.segment.clusterings.map((c) => [c.name, c.status])).toEqual([['customers', 'clustered'], ['leads', 'skipped']]);
    expect(out.segment.clusterings[0]!.population?.kind).toBe('everyone');
    expect(out.segment.clusterings[1]!.reason).toBe(
      `only 0 of the 200 prospects have at least 3 of the clustering features (${DEFAULT_LEADS_FEATURES.join(', ')}); ` +
        'the clustering needs at least 50 (segmentation.clusterings.leads.minProfiles, segmentation.clusterings.leads.minFeatures)',
    );
    expect(out.segment.clustering.status).toBe('clustered');
    const table = await segsync(dir, ['segment']);
    expect(table.stdout).toContain(`Clustering leads\nNo clusters: only 0 of the 200 prospects`);
  }, 60_000);
});
