/**
 * HubSpot's GDPR delete, `POST /crm/v3/objects/contacts/gdpr-delete` (body `{"objectId": "123"}`,
 * or `{"objectId": "a@x.com", "idProperty": "email"}`) → 204 with no body. The contact and its
 * associations are permanently deleted: unlike an archive, it is not in the archived listing and
 * cannot be restored. An unknown id answers HubSpot's 404; an unknown email is blocklisted and
 * answers 204, as the documentation says.
 */
import { notFound, parseJsonObject, validation, type Ctx, type Reply } from './http-support.js';
import type { CrmState } from './state.js';

/**
 * CHOSEN: an erased contact stays in its id slot (ids index the store) as a tombstone whose
 * `mergedInto` points at no record: every read path already skips merged-away contacts and
 * resolves them to nothing, so the person is gone from listings, reads, searches and lists.
 */
const ERASED = 0;

export class PrivacyApi {
  /** Emails HubSpot was asked to forget before it had them: blocklisted. */
  readonly blocklist = new Set<string>();

  constructor(private readonly state: CrmState) {}

  gdprDelete(ctx: Ctx): Reply {
    const body = parseJsonObject(ctx);
    const objectId = body.objectId;
    if (typeof objectId !== 'string' || objectId.trim() === '') validation('Invalid input JSON: objectId is required and must be a string.');
    const idProperty = body.idProperty;
    let id: number | undefined;
    if (idProperty !== undefined && idProperty !== null && idProperty !== 'hs_object_id') {
      if (idProperty !== 'email') validation(`Unable to perform lookup by non-unique CONTACT property ${String(idProperty)}.`);
      const email = objectId.trim().toLowerCase();
      id = this.state.emailIndex.get(email);
      if (id === undefined) {
        this.blocklist.add(email);
        return { status: 204 };
      }
    } else {
      id = /^\d{1,15}$/.test(objectId.trim()) ? Number(objectId.trim()) : undefined;
    }
    const rec = id === undefined ? undefined : this.state.contacts.resolve(id);
    if (!rec) return notFound();
    this.erase(rec.id);
    return { status: 204 };
  }

  private erase(contactId: number): void {
    const state = this.state;
    const rec = state.contacts.get(contactId)!;
    for (const list of state.lists.values()) list.remove(contactId);
    for (const dealId of rec.assoc) {
      const deal = state.deals.get(dealId);
      if (deal) deal.assoc = deal.assoc.filter((c) => c !== contactId);
    }
    for (const [email, id] of [...state.emailIndex]) if (id === contactId) state.emailIndex.delete(email);
    for (const [index, id] of [...state.personIndex]) if (id === contactId) state.personIndex.delete(index);
    rec.assoc = [];
    rec.props = {};
    rec.mergedInto = ERASED;
    state.version++;
  }
}
