/**
 * A contacts-only store (issue 13): a CSV of people with age, income and spending score and not
 * one purchase, imported and segmented through the CLI, clusters them; with preparation off the
 * clusters are scikit-learn's KMeans on the same columns (test/fixtures/mall/SOURCE.md).
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
const FIXTURE = join(ROOT, 'test/fixtures/mall');

interface Run { code: number; stdout: string; stderr: string }

function segsync(dir: string, args: string[], config: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, join(ROOT, 'src/cli/main.ts'), ...args], {
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, SEGSYNC_DB: join(dir, 'segsync.db'), SEGSYNC_CONFIG: join(dir, config) },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** The Kaggle "Mall Customers" layout read as a contacts file: the id, and the other columns as attributes. */
const IMPORTS = `imports:
  formats:
    mall:
      kind: contacts
      detect: [Spending Score (1-100)]
      columns: { customerId: CustomerID }
      attributes:
        gender: [Gender]
        age: { column: Age, type: number }
        annualIncome: { column: "Annual Income (k$)", type: number }
        spendingScore: { column: "Spending Score (1-100)", type: number }
`;
const FEATURES = '[attributes.age, attributes.annualIncome, attributes.spendingScore]';
const PREPARATION_OFF = `${IMPORTS}segmentation:
  clustering:
    k: 5
    features: ${FEATURES}
    preparation: { impute: false, outliers: { method: none }, log: none, scaling: none }
`;

interface Sklearn { labels: number[]; inertia: number; customerIds: string[]; columns: string[] }
interface SegmentJson {
  segment: {
    segments: Array<{ key: string; kind: string; size: number }>;
    clustering:
      | { status: 'skipped'; reason: string }
      | { status: 'clustered'; k: number; population: { kind: string; description: string }; clusteredProfiles: number; scan: Array<{ k: number; inertia: number }>; preparation: string[];
          personas: Array<{ label: string; size: number; typical: string }> };
  };
}

/** The rows of a plain CSV (no quoted cells: both files read here are numbers and ids). */
function parseCsv(text: string): string[][] {
  return text.split(/\r?\n/).filter((line) => line !== '').map((line) => line.split(','));
}

function query<T>(dir: string, sql: string): T[] {
  const db = new Database(join(dir, 'segsync.db'), { readonly: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

/** True when two labellings group the same items together, whatever the label numbers. */
function samePartition(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  const aToB = new Map<number, number>();
  const bToA = new Map<number, number>();
  for (let i = 0; i < a.length; i++) {
    if ((aToB.get(a[i]!) ?? b[i]!) !== b[i]! || (bToA.get(b[i]!) ?? a[i]!) !== a[i]!) return false;
    aToB.set(a[i]!, b[i]!);
    bToA.set(b[i]!, a[i]!);
  }
  return true;
}

describe('a contacts-only CSV clusters with no purchases at all', () => {
  const sklearn = JSON.parse(readFileSync(join(FIXTURE, 'sklearn_kmeans.json'), 'utf8')) as Sklearn;
  const csv = parseCsv(readFileSync(join(FIXTURE, 'mall_customers.csv'), 'utf8'));
  let dir: string;
  let summary: SegmentJson['segment'];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'segsync-contacts-only-'));
    copyFileSync(join(FIXTURE, 'mall_customers.csv'), join(dir, 'contacts.csv'));
    writeFileSync(join(dir, 'segsync.yaml'), PREPARATION_OFF);
    const imported = await segsync(dir, ['import', 'contacts.csv'], 'segsync.yaml');
    expect(imported.code, imported.stderr).toBe(0);
    const segmented = await segsync(dir, ['segment', '--json', '--export', 'export'], 'segsync.yaml');
    expect(segmented.code, segmented.stderr).toBe(0);
    summary = (JSON.parse(segmented.stdout) as SegmentJson).segment;
  }, 60_000);

  it('clusters everyone (population auto, as nobody bought), and everyone stays in the RFM segment Prospects', () => {
    expect(summary.clustering).toMatchObject({ status: 'clustered', k: 5, clusteredProfiles: 200, population: { kind: 'everyone' } });
    expect(summary.segments.find((s) => s.key === 'prospects')!.size).toBe(200);
  });

  it('gives every person a persona: a list per persona and the persona tokens', () => {
    const personas = summary.segments.filter((s) => s.kind === 'persona');
    expect(personas).toHaveLength(5);
    expect(personas.reduce((sum, p) => sum + p.size, 0)).toBe(200);
    const tokens = query<{ persona: string }>(dir, "SELECT value AS persona FROM profile_tokens WHERE token = 'persona'");
    expect(tokens).toHaveLength(200);
    expect(tokens.filter((t) => !t.persona)).toEqual([]);
  });

  it('with preparation off, finds scikit-learn\'s KMeans partition and inertia on the same columns', () => {
    const byCustomer = new Map(query<{ id: string; cluster: number }>(dir,
      "SELECT i.external_id AS id, f.cluster FROM profile_features f JOIN identities i ON i.profile_id = f.profile_id AND i.platform = 'csv'")
      .map((r) => [r.id, r.cluster]));
    const ours = sklearn.customerIds.map((id) => byCustomer.get(id)!);
    expect(ours.every((c) => Number.isInteger(c))).toBe(true);
    expect(samePartition(ours, sklearn.labels)).toBe(true);
    const clustering = summary.clustering as Extract<SegmentJson['segment']['clustering'], { status: 'clustered' }>;
    const inertia = clustering.scan.find((r) => r.k === 5)!.inertia;
    expect(Math.abs(inertia - sklearn.inertia) / sklearn.inertia).toBeLessThan(1e-6);
  });

  it('describes each persona by its typical member in the clustered columns, as the file has them', () => {
    const cluster = new Map(query<{ id: string; cluster: number }>(dir,
      "SELECT i.external_id AS id, f.cluster FROM profile_features f JOIN identities i ON i.profile_id = f.profile_id AND i.platform = 'csv'")
      .map((r) => [r.id, r.cluster]));
    const [header, ...rows] = csv;
    const column = (name: string) => header!.indexOf(name);
    const median = (values: number[]) => {
      const sorted = [...values].sort((a, b) => a - b);
      const mid = sorted.length >> 1;
      return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
    };
    const expected = new Set([...new Set(cluster.values())].map((c) => {
      const members = rows.filter((r) => cluster.get(r[column('CustomerID')]!) === c);
      const typical = (name: string) => Math.round(median(members.map((r) => Number(r[column(name)]))));
      return `typical age ${typical('Age')} · annual income ${typical('Annual Income (k$)')} · spending score ${typical('Spending Score (1-100)')}`;
    }));
    const clustering = summary.clustering as Extract<SegmentJson['segment']['clustering'], { status: 'clustered' }>;
    expect(new Set(clustering.personas.map((p) => p.typical))).toEqual(expected);
  });

  it('with preparation off, clusters the raw values: the exported matrix is the file\'s columns as they are', () => {
    const header = csv[0]!;
    const raw = new Map(csv.slice(1).map((row) => [row[0]!, sklearn.columns.map((c) => Number(row[header.indexOf(c)]))]));
    const idOf = new Map(query<{ profileId: number; id: string }>(dir, "SELECT profile_id AS profileId, external_id AS id FROM identities WHERE platform = 'csv'")
      .map((r) => [String(r.profileId), r.id]));
    const prepared = parseCsv(readFileSync(join(dir, 'export/prepared-features.csv'), 'utf8'));
    const columns = ['attributes.age', 'attributes.annualIncome', 'attributes.spendingScore'].map((c) => prepared[0]!.indexOf(c));
    const rows = prepared.slice(1);
    expect(rows).toHaveLength(200);
    for (const row of rows) expect(columns.map((c) => Number(row[c]))).toEqual(raw.get(idOf.get(row[0]!)!));
    const clustering = summary.clustering as Extract<SegmentJson['segment']['clustering'], { status: 'clustered' }>;
    expect(clustering.preparation.filter((line) => !line.startsWith('impute '))).toEqual(['log: log transform off', 'cap: outlier capping off', 'scale: scaling off']);
  });

  it('the report says who was clustered', async () => {
    const run = await segsync(dir, ['report', '--out', 'report.html'], 'segsync.yaml');
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toContain('<dt>Clustered</dt><dd>200 into 5 personas</dd><dd class="sub">population auto: everyone, as no profile has purchases</dd>');
  }, 30_000);

  it('on the default (purchase) features, says that nobody bought and how to cluster on the attributes', async () => {
    writeFileSync(join(dir, 'defaults.yaml'), IMPORTS);
    const run = await segsync(dir, ['segment', '--json'], 'defaults.yaml');
    expect(run.code, run.stderr).toBe(0);
    expect((JSON.parse(run.stdout) as SegmentJson).segment.clustering).toEqual({
      status: 'skipped',
      reason: 'no profile has purchases; the clustering features daysSinceLastPurchase, lifetimeFrequency, averageOrderValue need purchases: set segmentation.clustering.features ' +
        'to attributes.<name> (numeric attributes here: attributes.age, attributes.annualIncome, attributes.spendingScore) or other features every person has',
    });
  }, 30_000);
});

describe('everyone: buyers and prospects clustered together', () => {
  it('buyers keep their RFM segments, prospects stay in Prospects, and a clustered prospect gets a persona', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'segsync-everyone-'));
    copyFileSync(join(FIXTURE, 'mall_customers.csv'), join(dir, 'contacts.csv'));
    // The first 60 customers bought: 1 to 4 orders each in the half year before the reference date.
    const orders = ['Order ID,Customer ID,Date,Amount'];
    for (let c = 1; c <= 60; c++) {
      for (let n = 0; n < 1 + (c % 4); n++) orders.push(`O-${c}-${n},${String(c).padStart(4, '0')},2024-0${1 + ((c + n) % 6)}-1${n},${20 + c}.00`);
    }
    writeFileSync(join(dir, 'orders.csv'), orders.join('\n'));
    writeFileSync(join(dir, 'segsync.yaml'), `${IMPORTS}segmentation:
  referenceDate: '2024-06-30'
  clustering:
    population: everyone
    k: 5
    features: ${FEATURES}
`);
    for (const file of ['contacts.csv', 'orders.csv']) expect((await segsync(dir, ['import', file], 'segsync.yaml')).code).toBe(0);
    const run = await segsync(dir, ['segment', '--json'], 'segsync.yaml');
    expect(run.code, run.stderr).toBe(0);
    const segment = (JSON.parse(run.stdout) as SegmentJson).segment;
    expect(segment.clustering).toMatchObject({ status: 'clustered', clusteredProfiles: 200, population: { kind: 'everyone', description: 'population: everyone' } });
    const people = query<{ id: string; rfm: string; persona: string | null }>(dir, `
      SELECT i.external_id AS id, r.segment_key AS rfm, f.persona_key AS persona
      FROM identities i JOIN profile_rfm r ON r.profile_id = i.profile_id JOIN profile_features f ON f.profile_id = i.profile_id
      WHERE i.platform = 'csv' ORDER BY i.external_id`);
    expect(people).toHaveLength(200);
    const buyers = people.slice(0, 60);
    const prospects = people.slice(60);
    expect(buyers.filter((p) => p.rfm === 'prospects' || p.rfm === 'lost')).toEqual([]);
    expect(new Set(buyers.map((p) => p.rfm)).size).toBeGreaterThan(1);
    expect(new Set(prospects.map((p) => p.rfm))).toEqual(new Set(['prospects']));
    expect(people.filter((p) => !p.persona?.startsWith('persona_'))).toEqual([]);
    // The text summary says who was clustered.
    const text = await segsync(dir, ['segment'], 'segsync.yaml');
    expect(text.stdout).toContain('Clusters: k-means, k = 5 (k = 5 as configured) over 200 profiles (population: everyone)');
  }, 60_000);
});
