import type { Db } from '../store/db.js';
import { normalizeEmail } from '../store/source-records.js';
import { Suppressions, emailKey, identityKey, phoneKey, purchaseKey } from '../store/suppressions.js';
import type { SourcePage } from '../domain/connector.js';
import type { ContactRecord, PurchaseRecord, QuarantinedRecord } from '../domain/records.js';

export interface SuppressionFilter {
  /**
   * The page without the records of forgotten people: their contacts, the purchases that belong
   * only to them (a shared purchase loses only their link), and quarantined records that name
   * them. Call inside the transaction that writes the page, so a `forget` committed meanwhile is
   * seen before anything of the person is stored again.
   */
  apply(page: SourcePage): { page: SourcePage; suppressed: number };
}

const EMAILS = /[^\s"'<>()[\]{},;:]+@[^\s"'<>()[\]{},;:]+\.[^\s"'<>()[\]{},;:]+/g;

function* stringsIn(value: unknown, depth = 0): Generator<string> {
  if (typeof value === 'string') yield value;
  else if (depth < 32 && Array.isArray(value)) for (const v of value) yield* stringsIn(v, depth + 1);
  else if (depth < 32 && value !== null && typeof value === 'object') for (const v of Object.values(value)) yield* stringsIn(v, depth + 1);
}

/** The filter pulls and imports apply to every page (pipeline/pull.ts). */
export function suppressionFilter(db: Db): SuppressionFilter {
  const suppressions = new Suppressions(db);
  let hashes = new Set<string>();
  let loaded = -1;
  const has = (key: Parameters<Suppressions['hash']>[0] | undefined): boolean => key !== undefined && hashes.has(suppressions.hash(key));

  function contactSuppressed(c: ContactRecord): boolean {
    if (has(identityKey(c.platform, c.externalId))) return true;
    if (normalizeEmail(c.email)) return has(emailKey(c.email));
    // Without an email, a phone identifies the person (as identity resolution does).
    return has(phoneKey(c.phone));
  }

  const contactIdSuppressed = (platform: string, id: string): boolean =>
    has(identityKey(platform, id)) || (id.includes('@') && has(emailKey(id)));

  /**
   * A forgotten person's own purchase id (a platform may keep their deal after erasing them) drops
   * a purchase only while it names no live contact: ids are reused (a file's order O1 of someone
   * else), and a purchase of a live contact is that contact's.
   */
  const forgottenPurchase = (platform: string, externalId: string, liveContacts: number): boolean =>
    liveContacts === 0 && has(purchaseKey(platform, externalId));

  function quarantineSuppressed(q: QuarantinedRecord): boolean {
    if (q.externalId !== null && q.stream === 'contacts' && contactIdSuppressed(q.platform, q.externalId)) return true;
    if (q.stream === 'purchases') {
      const named = q.contactExternalIds ?? [];
      // Its raw body names them: it cannot lose only their link, as a valid purchase does.
      if (named.some((id) => contactIdSuppressed(q.platform, id))) return true;
      if (q.externalId !== null && forgottenPurchase(q.platform, q.externalId, named.length)) return true;
    }
    for (const text of stringsIn(q.raw)) {
      for (const match of text.matchAll(EMAILS)) if (has(emailKey(match[0]))) return true;
    }
    return false;
  }

  return {
    apply(page) {
      const count = suppressions.count();
      if (count === 0) return { page, suppressed: 0 };
      if (count !== loaded) {
        hashes = suppressions.all();
        loaded = count;
      }
      let suppressed = 0;
      const learned: ContactRecord[] = [];
      const contacts = page.contacts.filter((c) => {
        if (!contactSuppressed(c)) return true;
        learned.push(c);
        suppressed++;
        return false;
      });
      // A forgotten person back under a new id: that id is suppressed too, so their purchases
      // (in this page or a later pull) are dropped as well.
      if (learned.length > 0) {
        const keys = learned.map((c) => identityKey(c.platform, c.externalId));
        suppressions.add(keys, new Date().toISOString());
        for (const k of keys) hashes.add(suppressions.hash(k));
        loaded = suppressions.count();
      }
      const purchases: PurchaseRecord[] = [];
      for (const p of page.purchases) {
        const kept = p.contactExternalIds.filter((id) => !contactIdSuppressed(p.platform, id));
        // Theirs alone when forgotten: a platform that erased the person may still send the order or deal.
        if (forgottenPurchase(p.platform, p.externalId, kept.length)) {
          suppressed++;
          continue;
        }
        if (kept.length === p.contactExternalIds.length) purchases.push(p);
        else if (kept.length > 0) purchases.push({ ...p, contactExternalIds: kept });
        else suppressed++;
      }
      const quarantined = page.quarantined.filter((q) => {
        if (!quarantineSuppressed(q)) return true;
        suppressed++;
        return false;
      });
      const events = page.events?.filter((e) => {
        if (!contactIdSuppressed(e.platform, e.contactExternalId)) return true;
        suppressed++;
        return false;
      });
      if (suppressed === 0) return { page, suppressed };
      return { page: { ...page, contacts, purchases, quarantined, ...(events ? { events } : {}) }, suppressed };
    },
  };
}
