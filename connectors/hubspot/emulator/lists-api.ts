/** Lists v3 ("segments"): lists, lookups by name, search and memberships of contacts. */
import { iso, type CrmState, type ListRecord } from './state.js';
import {
  asRecordId,
  decodeCursor,
  encodeCursor,
  fail,
  intParam,
  listParam,
  notFound,
  objectKind,
  parseJson,
  parseJsonObject,
  validation,
  type Ctx,
  type Reply,
} from './http-support.js';

const MEMBERSHIPS_PAGE_DEFAULT = 100;
const MEMBERSHIPS_PAGE_MAX = 250;
/**
 * CHOSEN: HubSpot documents no maximum for memberships/add, /remove and /add-and-remove (search
 * found none; platforms.md §5 lists it as unknown). add-from/{sourceListId} is documented at
 * 100,000 records, so the same ceiling is applied here; larger calls answer 400.
 */
const MEMBERSHIP_IDS_MAX = 100_000;
const LISTS_SEARCH_DEFAULT = 20;
const LISTS_SEARCH_MAX = 500;

export class ListsApi {
  constructor(private readonly state: CrmState) {}

  private listJson(list: ListRecord, withSize: boolean, includeFilters = false): Record<string, unknown> {
    // Field names from the SDK model PublicObjectList.
    return {
      listId: String(list.listId),
      listVersion: list.listVersion,
      name: list.name,
      objectTypeId: list.objectTypeId,
      processingType: list.processingType,
      processingStatus: 'COMPLETE',
      createdAt: iso(list.createdMs),
      updatedAt: iso(list.updatedMs),
      filtersUpdatedAt: iso(list.filtersUpdatedMs),
      ...(withSize ? { size: list.members.size } : {}),
      listPermissions: { teamsWithEditAccess: [], usersWithEditAccess: [] },
      membershipSettings: { includeUnassigned: false },
      ...(includeFilters && list.filterBranch !== undefined ? { filterBranch: list.filterBranch } : {}),
    };
  }

  private listOr404(rawId: string): ListRecord {
    const id = asRecordId(rawId);
    const list = id === undefined ? undefined : this.state.liveList(id);
    // CHOSEN message; HubSpot answers an unknown ILS list id with 404.
    if (!list) return fail(404, `List does not exist with ID ${rawId}.`, 'OBJECT_NOT_FOUND');
    return list;
  }

  route(ctx: Ctx): Reply {
    const s = ctx.segments;
    const m = ctx.method;
    if (s.length === 3 && m === 'POST') return this.createList(ctx);
    if (s.length === 3 && m === 'GET') {
      const ids = listParam(ctx.query, 'listIds') ?? [];
      const lists = ids.map((id) => this.state.liveList(asRecordId(id) ?? -1)).filter((l): l is ListRecord => l !== undefined);
      return { status: 200, body: { lists: lists.map((l) => this.listJson(l, true, ctx.query.get('includeFilters') === 'true')) } };
    }
    if (s.length === 4 && s[3] === 'search' && m === 'POST') return this.searchLists(ctx);
    if (s.length === 7 && s[3] === 'object-type-id' && s[5] === 'name' && m === 'GET') {
      const otid = this.normalizeListObjectType(s[4] ?? '');
      const name = s[6] ?? '';
      const list = otid === undefined ? undefined : this.state.listByName(name);
      if (!list || list.objectTypeId !== otid) {
        // As recorded (error_400_list_does_not_exist.json): 400, no category. Unverified against the
        // live API; it is the only answer on record, so it is the one served.
        return fail(400, `List does not exist with name ${name} and object type ID ${otid ?? s[4] ?? ''}.`);
      }
      return { status: 200, body: { list: this.listJson(list, true, ctx.query.get('includeFilters') === 'true') } };
    }
    if (s.length === 7 && s[3] === 'records' && s[6] === 'memberships' && m === 'GET') {
      return this.recordMemberships(s[4] ?? '', s[5] ?? '');
    }
    if (s.length >= 4 && s[3] !== undefined && /^\d+$/.test(s[3])) {
      const rawId = s[3];
      if (s.length === 4 && m === 'GET') {
        return { status: 200, body: { list: this.listJson(this.listOr404(rawId), true, ctx.query.get('includeFilters') === 'true') } };
      }
      if (s.length === 4 && m === 'DELETE') {
        const list = this.listOr404(rawId);
        list.deletedMs = this.state.now();
        return { status: 204 };
      }
      if (s.length === 5 && s[4] === 'restore' && m === 'PUT') {
        const list = this.state.lists.get(asRecordId(rawId) ?? -1);
        if (!list || list.deletedMs === null) return fail(404, `List does not exist with ID ${rawId}.`, 'OBJECT_NOT_FOUND');
        if (this.state.listByName(list.name)) validation(`A list named '${list.name}' already exists.`, { subCategory: 'ILS.DUPLICATE_LIST_NAMES' });
        list.deletedMs = null;
        return { status: 204 };
      }
      if (s.length === 5 && s[4] === 'memberships' && m === 'GET') return this.getMemberships(ctx, this.listOr404(rawId));
      if (s.length === 5 && s[4] === 'memberships' && m === 'DELETE') {
        const list = this.listOr404(rawId);
        this.assertManual(list);
        for (const id of [...list.members.keys()]) list.remove(id);
        list.updatedMs = this.state.now();
        return { status: 204 };
      }
      if (s.length === 6 && s[4] === 'memberships' && m === 'PUT') {
        const list = this.listOr404(rawId);
        if (s[5] === 'add') return this.changeMembers(list, this.idArray(parseJson(ctx), 'request body'), []);
        if (s[5] === 'remove') return this.changeMembers(list, [], this.idArray(parseJson(ctx), 'request body'));
        if (s[5] === 'add-and-remove') {
          const b = parseJsonObject(ctx);
          return this.changeMembers(list, this.idArray(b.recordIdsToAdd ?? [], 'recordIdsToAdd'), this.idArray(b.recordIdsToRemove ?? [], 'recordIdsToRemove'));
        }
      }
    }
    return notFound();
  }

  private normalizeListObjectType(raw: string): string | undefined {
    const kind = objectKind(raw);
    return kind === 'contacts' ? '0-1' : undefined;
  }

  private createList(ctx: Ctx): Reply {
    const b = parseJsonObject(ctx);
    const missing = ['name', 'objectTypeId', 'processingType'].filter((k) => typeof b[k] !== 'string' || b[k] === '');
    if (missing.length > 0) validation(`Invalid input JSON: Cannot build ListCreateRequest, some of required attributes are not set [${missing.join(', ')}]`);
    const name = (b.name as string).trim();
    if (name === '') validation('List name must not be blank.');
    const otid = this.normalizeListObjectType(b.objectTypeId as string);
    if (!otid) validation(`Object type ${String(b.objectTypeId)} is not supported for lists in this portal.`);
    const processingType = b.processingType as string;
    if (!['MANUAL', 'SNAPSHOT', 'DYNAMIC'].includes(processingType)) {
      validation(`Invalid processingType '${processingType}'. Valid values: MANUAL, SNAPSHOT, DYNAMIC.`);
    }
    if (processingType === 'DYNAMIC' && (b.filterBranch === undefined || b.filterBranch === null)) {
      validation('A DYNAMIC list needs a filterBranch.');
    }
    if (this.state.listByName(name)) {
      // subCategory as handled by Segment's HubSpot destination; status and wording CHOSEN.
      validation(`A list named '${name}' already exists.`, { subCategory: 'ILS.DUPLICATE_LIST_NAMES' });
    }
    // The emulator does not evaluate filters: DYNAMIC and SNAPSHOT lists start (and stay) empty.
    const list = this.state.createList(name, otid, processingType, b.filterBranch ?? undefined);
    return { status: 200, body: { list: this.listJson(list, false) } };
  }

  private searchLists(ctx: Ctx): Reply {
    const b = ctx.rawBody.trim() === '' ? {} : parseJsonObject(ctx);
    const count = b.count === undefined ? LISTS_SEARCH_DEFAULT : Number(b.count);
    if (!Number.isInteger(count) || count < 1 || count > LISTS_SEARCH_MAX) validation(`count must be between 1 and ${LISTS_SEARCH_MAX}.`);
    const offset = b.offset === undefined ? 0 : Number(b.offset);
    if (!Number.isInteger(offset) || offset < 0) validation('offset must be a non-negative integer.');
    const query = typeof b.query === 'string' ? b.query.toLowerCase() : '';
    const types = Array.isArray(b.processingTypes) ? b.processingTypes.map(String) : undefined;
    const ids = Array.isArray(b.listIds) ? new Set(b.listIds.map(String)) : undefined;
    const all = [...this.state.lists.values()].filter(
      (l) =>
        l.deletedMs === null &&
        l.name.toLowerCase().includes(query) &&
        (!types || types.includes(l.processingType)) &&
        (!ids || ids.has(String(l.listId))),
    );
    const page = all.slice(offset, offset + count);
    return {
      status: 200,
      body: {
        lists: page.map((l) => ({
          listId: String(l.listId),
          listVersion: l.listVersion,
          name: l.name,
          objectTypeId: l.objectTypeId,
          processingType: l.processingType,
          processingStatus: 'COMPLETE',
          createdAt: iso(l.createdMs),
          updatedAt: iso(l.updatedMs),
          filtersUpdatedAt: iso(l.filtersUpdatedMs),
          additionalProperties: {
            hs_list_size: String(l.members.size),
            hs_list_reference_count: '0',
            ...(l.lastAddedMs !== null ? { hs_last_record_added_at: String(l.lastAddedMs) } : {}),
          },
        })),
        hasMore: offset + page.length < all.length,
        offset: offset + page.length,
        total: all.length,
      },
    };
  }

  private idArray(raw: unknown, what: string): string[] {
    if (!Array.isArray(raw)) validation(`Invalid input JSON: ${what} must be an array of record ids.`);
    return raw.map((v) => (typeof v === 'string' ? v.trim() : typeof v === 'number' ? String(v) : JSON.stringify(v)));
  }

  private assertManual(list: ListRecord): void {
    if (list.processingType !== 'MANUAL' && list.processingType !== 'SNAPSHOT') {
      // Documented: only MANUAL and SNAPSHOT lists take membership changes; wording CHOSEN.
      validation(`List ${list.listId} has processingType ${list.processingType}; records can only be added to or removed from MANUAL or SNAPSHOT lists.`);
    }
  }

  private changeMembers(list: ListRecord, toAdd: string[], toRemove: string[]): Reply {
    this.assertManual(list);
    if (toAdd.length + toRemove.length > MEMBERSHIP_IDS_MAX) {
      validation(`The maximum number of record ids in one membership change is ${MEMBERSHIP_IDS_MAX}; got ${toAdd.length + toRemove.length}.`);
    }
    const at = this.state.now();
    const added: string[] = [];
    const removed: string[] = [];
    const missing: string[] = [];
    const noteMissing = (raw: string): void => {
      if (!missing.includes(raw)) missing.push(raw);
    };
    for (const raw of new Set(toAdd)) {
      const id = asRecordId(raw);
      if (id === undefined || !this.state.contacts.live(id)) noteMissing(raw);
      else if (list.add(id, at)) added.push(String(id));
    }
    for (const raw of new Set(toRemove)) {
      const id = asRecordId(raw);
      if (id === undefined || !this.state.contacts.live(id)) noteMissing(raw);
      else if (list.remove(id)) removed.push(String(id));
    }
    if (added.length > 0 || removed.length > 0) list.updatedMs = at;
    // `recordsIdsAdded` (sic) is the field name in HubSpot's spec (SDK MembershipsUpdateResponse).
    return { status: 200, body: { recordIdsMissing: missing, recordIdsRemoved: removed, recordsIdsAdded: added } };
  }

  private getMemberships(ctx: Ctx, list: ListRecord): Reply {
    const limit = intParam(ctx.query.get('limit'), 'limit', MEMBERSHIPS_PAGE_DEFAULT, 1, MEMBERSHIPS_PAGE_MAX);
    const afterRaw = ctx.query.get('after');
    const from = afterRaw ? decodeCursor(afterRaw) : 0;
    const sorted = list.sortedMembers();
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((sorted[mid] ?? 0) < from) lo = mid + 1;
      else hi = mid;
    }
    const page = sorted.slice(lo, lo + limit);
    const body: Record<string, unknown> = {
      results: page.map((id) => ({ recordId: String(id), membershipTimestamp: iso(list.members.get(id) ?? list.createdMs) })),
    };
    const next = sorted[lo + limit];
    if (next !== undefined) body.paging = { next: { after: encodeCursor(next) } };
    body.total = sorted.length;
    return { status: 200, body };
  }

  private recordMemberships(objectTypeSeg: string, rawRecordId: string): Reply {
    if (this.normalizeListObjectType(objectTypeSeg) === undefined) validation(`Object type ${objectTypeSeg} is not supported for lists in this portal.`);
    const id = asRecordId(rawRecordId) ?? -1;
    const results: Record<string, unknown>[] = [];
    for (const list of this.state.lists.values()) {
      const joined = list.deletedMs === null ? list.members.get(id) : undefined;
      if (joined === undefined) continue;
      results.push({ listId: String(list.listId), listVersion: list.listVersion, firstAddedTimestamp: iso(joined), lastAddedTimestamp: iso(joined) });
    }
    return { status: 200, body: { results, total: results.length } };
  }
}
