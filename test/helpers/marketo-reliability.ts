/**
 * Ground truth for the Marketo reliability scenarios: the store compared, record by record and
 * field by field, with what the emulator holds (corrupted served copies excepted: those must be
 * in quarantine, or stored exactly as served when the defect is harmless), and the lists and token
 * fields on Marketo compared with the store.
 */
import type { CorruptedRecord, MarketoEmulator } from '../../connectors/marketo/emulator/index.js';
import type { Session } from '../../src/pipeline/session.js';
import { TOKEN_FIELDS, expectedMembers, storedTokens } from './marketo-world.js';

export interface Comparison {
  recordsCompared: number;
  differences: string[];
}

const text = (v: unknown): string | null => {
  if (v === null || v === undefined) return null;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  const t = String(v).trim();
  return t === '' ? null : t;
};

interface ContactRow {
  external_id: string;
  email: string | null;
  phone: string | null;
  first_name: string | null;
  last_name: string | null;
  country: string | null;
  city: string | null;
  created_at: string | null;
  email_consent: string;
  archived: number;
  attributes: string;
}

interface PurchaseRow {
  external_id: string;
  amount: number | null;
  occurred_at: string | null;
  status: string;
  archived: number;
}

/** Store vs Marketo: every live lead and opportunity, every mapped field; quarantine vs the corrupted records. */
export function compareStore(session: Session, emulator: MarketoEmulator): Comparison {
  const differences: string[] = [];
  let compared = 0;
  const corrupted = emulator.corruptedRecords();
  const corruptedLead = new Map(corrupted.filter((c) => c.stream === 'contacts').map((c) => [c.id, c]));
  const corruptedOpp = new Map(corrupted.filter((c) => c.stream === 'purchases').map((c) => [c.id, c]));
  const quarantine = session.db.prepare("SELECT stream, external_id, reason FROM quarantine WHERE platform = 'marketo'").all() as Array<{ stream: string; external_id: string | null; reason: string }>;
  const quarantined = new Map(quarantine.filter((q) => q.external_id !== null).map((q) => [`${q.stream}:${q.external_id}`, q.reason]));
  const expectedQuarantine = new Set<string>();

  // ---- contacts
  const contacts = new Map((session.db.prepare("SELECT * FROM contacts WHERE platform = 'marketo'").all() as ContactRow[]).map((r) => [r.external_id, r]));
  const live = new Set<string>();
  for (const { id } of emulator.listLeads()) {
    live.add(id);
    compared++;
    const lead = emulator.getLead(id)!;
    const c = corruptedLead.get(id);
    const row = contacts.get(id);
    if (c && (c.mustQuarantine || c.defect === 'huge-string')) {
      const key = `contacts:${id}`;
      if (c.defect === 'missing-id') {
        if (row) differences.push(`lead ${id} served without an id is in the store`);
        continue;
      }
      expectedQuarantine.add(key);
      // A huge string may be stored exactly as served, or quarantined: never cut or lost silently.
      if (c.defect === 'huge-string' && row && !quarantined.has(key)) {
        if (row.first_name !== c.served.firstName) differences.push(`lead ${id}: 100 kB firstName stored altered (${row.first_name?.length ?? 'null'} chars)`);
        continue;
      }
      if (!quarantined.has(key)) differences.push(`lead ${id} (${c.defect}) is not quarantined`);
      else if (!quarantined.get(key)) differences.push(`lead ${id} (${c.defect}) quarantined without a reason`);
      if (row) differences.push(`lead ${id} (${c.defect}) was stored (it must not be): ${JSON.stringify({ created_at: row.created_at, email: row.email })}`);
      continue;
    }
    if (!row) {
      differences.push(`lead ${id} missing from the store`);
      continue;
    }
    const f = { ...lead.fields, ...(c?.served ?? {}) } as Record<string, unknown>;
    const want: Partial<ContactRow> = {
      email: text(f.email)?.toLowerCase() ?? null,
      phone: text(f.phone),
      first_name: text(f.firstName),
      last_name: text(f.lastName),
      country: text(f.country),
      city: text(f.city),
      created_at: new Date(String(f.createdAt)).toISOString(),
      email_consent: f.unsubscribed === true || f.emailInvalid === true ? 'unsubscribed' : 'subscribed',
      archived: 0,
    };
    for (const [k, v] of Object.entries(want)) {
      const got = row[k as keyof ContactRow];
      if (got !== v) differences.push(`lead ${id} ${k}: store ${JSON.stringify(got)?.slice(0, 80)}, Marketo ${JSON.stringify(v)?.slice(0, 80)}`);
    }
    const attrs = JSON.parse(row.attributes) as Record<string, unknown>;
    if (attrs.leadSource !== text(f.leadSource)) differences.push(`lead ${id} leadSource: store ${String(attrs.leadSource)}, Marketo ${String(f.leadSource)}`);
  }
  for (const [id, row] of contacts) {
    if (!live.has(id) && row.archived !== 1) differences.push(`lead ${id} is live in the store but not in Marketo`);
  }

  // ---- purchases
  const purchases = new Map((session.db.prepare("SELECT external_id, amount, occurred_at, status, archived FROM purchases WHERE platform = 'marketo'").all() as PurchaseRow[]).map((r) => [r.external_id, r]));
  const links = new Map<string, string[]>();
  for (const l of session.db.prepare("SELECT purchase_external_id AS p, contact_external_id AS c FROM purchase_contacts WHERE platform = 'marketo'").all() as Array<{ p: string; c: string }>) {
    links.set(l.p, [...(links.get(l.p) ?? []), l.c]);
  }
  const unreachable = new Set(corrupted.filter((c) => c.stream === 'contacts' && c.defect === 'missing-id').map((c) => c.id));
  const known = new Set<string>();
  for (const o of emulator.allOpportunities()) {
    const liveLeads = o.leadIds.filter((id) => live.has(id));
    if (liveLeads.length === 0) continue;
    known.add(o.marketoGUID);
    const row = purchases.get(o.marketoGUID);
    // Opportunities reached only through a lead served without an id cannot be found (nothing to look them up by).
    if (liveLeads.every((id) => unreachable.has(id)) && !row) continue;
    compared++;
    const v = o.values;
    const c: CorruptedRecord | undefined = corruptedOpp.get(o.marketoGUID);
    const status = v.isClosed === true ? (v.isWon === true ? 'won' : 'lost') : 'open';
    const amount = typeof v.amount === 'number' ? v.amount : null;
    const mustQuarantine = c?.mustQuarantine ?? (status === 'won' && (amount === null || amount < 0 || !v.closeDate));
    if (mustQuarantine) {
      const why = c?.defect ?? 'won without an amount';
      if (c?.defect !== 'missing-id') {
        expectedQuarantine.add(`purchases:${o.marketoGUID}`);
        if (!quarantined.get(`purchases:${o.marketoGUID}`)) differences.push(`opportunity ${o.marketoGUID} (${why}) is not quarantined with a reason`);
      }
      if (row) differences.push(`opportunity ${o.marketoGUID} (${why}) is in the store: ${JSON.stringify(row)}`);
      continue;
    }
    if (!row) {
      differences.push(`opportunity ${o.marketoGUID} missing from the store`);
      continue;
    }
    const want: Partial<PurchaseRow> = {
      amount,
      occurred_at: typeof v.closeDate === 'string' ? `${v.closeDate}T00:00:00.000Z` : null,
      status,
      archived: 0,
    };
    for (const [k, w] of Object.entries(want)) {
      const got = row[k as keyof PurchaseRow];
      if (got !== w) differences.push(`opportunity ${o.marketoGUID} ${k}: store ${JSON.stringify(got)}, Marketo ${JSON.stringify(w)}`);
    }
    const storedLinks = [...(links.get(o.marketoGUID) ?? [])].sort();
    const wantLinks = [...o.leadIds].sort();
    if (storedLinks.join(',') !== wantLinks.join(',')) differences.push(`opportunity ${o.marketoGUID} leads: store ${storedLinks.join(',')}, Marketo ${wantLinks.join(',')}`);
  }
  for (const [guid, row] of purchases) if (!known.has(guid) && row.archived !== 1) differences.push(`opportunity ${guid} is in the store but not in Marketo`);

  // ---- quarantine holds nothing that was fine
  for (const key of quarantined.keys()) if (!expectedQuarantine.has(key)) differences.push(`${key} quarantined although Marketo served it intact (${quarantined.get(key)})`);
  for (const stream of ['contacts', 'purchases']) {
    const missingIds = corrupted.filter((c) => c.stream === stream && c.defect === 'missing-id').length;
    const nullRows = quarantine.filter((q) => q.stream === stream && q.external_id === null && q.reason !== '').length;
    if (nullRows < missingIds) differences.push(`${stream}: ${missingIds} records served without an id, ${nullRows} quarantined without one`);
  }
  return { recordsCompared: compared, differences };
}

/** Marketo vs the store after the push: lists, token fields, nothing stored or added twice. */
export function comparePlatform(session: Session, emulator: MarketoEmulator): Comparison {
  const differences: string[] = [];
  let compared = 0;
  const names = emulator.staticLists().map((l) => l.name);
  for (const n of new Set(names)) if (names.filter((x) => x === n).length > 1) differences.push(`static list "${n}" exists twice`);
  for (const [name, ids] of expectedMembers(session)) {
    compared++;
    const list = emulator.listByName(`segsync · ${name}`);
    if (!list) {
      if (ids.size > 0) differences.push(`list for segment ${name} missing on Marketo`);
      continue;
    }
    const members = new Set(emulator.listMemberIds(list.id));
    for (const id of ids) if (!members.has(id)) differences.push(`list ${name}: lead ${id} missing`);
    for (const id of members) if (!ids.has(id)) differences.push(`list ${name}: lead ${id} should not be a member`);
  }
  for (const t of storedTokens(session)) {
    compared++;
    const lead = emulator.getLead(t.id);
    const shown = lead?.fields[TOKEN_FIELDS[t.token]!];
    const value = shown === null || shown === undefined ? '' : String(shown);
    if (value !== t.value) differences.push(`lead ${t.id} token ${t.token}: Marketo ${JSON.stringify(value)}, store ${JSON.stringify(t.value)}`);
  }
  // Nothing stored twice.
  for (const [table, key] of [['contacts', 'external_id'], ['purchases', 'external_id'], ['purchase_contacts', "purchase_external_id || '/' || contact_external_id"]] as const) {
    const dup = session.db.prepare(`SELECT ${key} AS k, COUNT(*) AS n FROM ${table} WHERE platform = 'marketo' GROUP BY k HAVING n > 1`).all() as Array<{ k: string; n: number }>;
    for (const d of dup) differences.push(`${table} ${d.k} stored ${d.n} times`);
  }
  // No member added twice in effect.
  const added = new Map<string, number>();
  for (const c of emulator.listMembershipChanges()) if (c.change === 'added') added.set(`${c.listId}/${c.leadId}`, (added.get(`${c.listId}/${c.leadId}`) ?? 0) + 1);
  for (const [k, n] of added) if (n > 1) differences.push(`list member ${k} added ${n} times in effect`);
  return { recordsCompared: compared, differences };
}
