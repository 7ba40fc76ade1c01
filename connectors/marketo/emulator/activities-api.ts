/**
 * Activities: Get Activity Types, Get Paging Token, Get Lead Activities, Get Lead Changes and Get Deleted Leads
 * (activities docs). Paging tokens are positions in the date-ordered activity log, base32 encoded
 * like Marketo's. As documented, a page may hold fewer than `batchSize` items with
 * `moreResult: true`: each call scans a bounded stretch of the log (CHOSEN: `scanLimit`, default
 * 1000 activities), so clients must page until `moreResult` is false.
 */
import { base32, fail, formParams, intParam, isoOffset, isoZ, leadDbOk, listParam, unbase32, type Ctx, type Reply } from './http-support.js';
import { ACTIVITY_TYPES, engagementActivityOfType } from './engagement.js';
import { ACTIVITY, type ActivityRecord, type LeadValue, type MarketoState } from './state.js';

const MAX_TYPES = 10;
const MAX_LEAD_IDS = 30;

export class ActivitiesApi {
  constructor(
    private readonly state: MarketoState,
    private readonly scanLimit: number,
  ) {}

  private token(position: number): string {
    const at = this.state.activities[position - 1]?.dateMs ?? 0;
    return base32(`${new Date(at).toISOString()},${position}`);
  }

  private position(raw: string | null): number {
    if (!raw) fail('701', 'nextPageToken cannot be blank');
    const decoded = unbase32(raw);
    const m = decoded ? /^[^,]*,(\d+)$/.exec(decoded) : null;
    if (!m) fail('1003', 'Invalid nextPageToken');
    return Math.min(Number(m[1]), this.state.activities.length);
  }

  /** GET /rest/v1/activities/types.json: every activity type, without paging. */
  types(): Reply {
    return leadDbOk(this.state.now(), ACTIVITY_TYPES.map((t) => ({ ...t })));
  }

  /** GET /rest/v1/activities/pagingtoken.json?sinceDatetime= */
  pagingToken(ctx: Ctx): Reply {
    const since = formParams(ctx).get('sinceDatetime');
    if (!since) fail('701', 'sinceDatetime cannot be blank');
    const ms = Date.parse(since);
    if (!Number.isFinite(ms)) fail('704', 'Invalid date format');
    const position = this.state.positionAt(ms);
    return leadDbOk(this.state.now(), undefined, { nextPageToken: base32(`${new Date(ms).toISOString()},${position}`) });
  }

  /** Scans from the token's position; `keep` decides and shapes what is returned. */
  private scan(ctx: Ctx, keep: (a: ActivityRecord) => Record<string, unknown> | undefined): Reply {
    const params = formParams(ctx);
    const batchSize = intParam(params, 'batchSize', 300, 300);
    let position = this.position(params.get('nextPageToken'));
    const end = Math.min(this.state.activities.length, position + this.scanLimit);
    const result: Array<Record<string, unknown>> = [];
    while (position < end && result.length < batchSize) {
      const shaped = keep(this.state.activities[position]!);
      position++;
      if (shaped) result.push(shaped);
    }
    const more = position < this.state.activities.length;
    return leadDbOk(this.state.now(), result, { nextPageToken: this.token(position), moreResult: more });
  }

  private leadFilter(params: URLSearchParams): ((a: ActivityRecord) => boolean) {
    const leadIds = listParam(params, 'leadIds');
    if (leadIds.length > MAX_LEAD_IDS) fail('1003', `Invalid leadIds: at most ${MAX_LEAD_IDS} lead ids are allowed`);
    const listIdRaw = params.get('listId');
    const leadSet = new Set(leadIds.map(Number));
    const list = listIdRaw ? this.state.lists.get(Number(listIdRaw)) : undefined;
    if (listIdRaw && !list) fail('1013', 'Static list not found');
    // Documented from 2026-12-30: lists of 10,000 leads or more are refused here.
    if (list && list.members.size >= 10_000) fail('1003', 'Static list has 10,000 or more leads');
    return (a) => (leadSet.size === 0 || leadSet.has(a.leadId)) && (!list || list.members.has(a.leadId));
  }

  private activityJson(stored: ActivityRecord, dates: 'Z' | 'offset'): Record<string, unknown> {
    const shaped = stored.engagement !== undefined ? engagementActivityOfType(stored.typeId, stored.leadId, stored.engagement) : undefined;
    const a = shaped ? { ...stored, ...shaped } : stored;
    return {
      id: a.id,
      marketoGUID: String(a.id),
      leadId: a.leadId,
      activityDate: dates === 'Z' ? isoZ(a.dateMs) : isoOffset(a.dateMs),
      activityTypeId: a.typeId,
      ...(a.primaryAttributeValueId !== undefined ? { primaryAttributeValueId: a.primaryAttributeValueId } : {}),
      ...(a.primaryAttributeValue !== undefined ? { primaryAttributeValue: a.primaryAttributeValue } : {}),
      attributes: a.attributes.filter((x) => x.value !== null && x.value !== ''),
    };
  }

  /**
   * An activity as a Bulk Activity Extract row: the same GUID, lead, date and type as the REST
   * answer; attributes as a JSON object text (the export file's `attributes` column).
   */
  exportRow(stored: ActivityRecord): Record<string, LeadValue> {
    const a = this.activityJson(stored, 'Z');
    const attributes = Object.fromEntries((a.attributes as Array<{ name: string; value: LeadValue }>).map((x) => [x.name, x.value]));
    return {
      marketoGUID: a.marketoGUID as string,
      leadId: a.leadId as number,
      activityDate: a.activityDate as string,
      activityTypeId: a.activityTypeId as number,
      campaignId: null,
      primaryAttributeValueId: (a.primaryAttributeValueId as number | undefined) ?? null,
      primaryAttributeValue: (a.primaryAttributeValue as string | undefined) ?? null,
      attributes: JSON.stringify(attributes),
    };
  }

  /** GET /rest/v1/activities.json?activityTypeIds=&nextPageToken=[&leadIds][&listId][&batchSize] */
  activities(ctx: Ctx): Reply {
    const params = formParams(ctx);
    const types = listParam(params, 'activityTypeIds');
    if (types.length === 0) fail('701', 'activityTypeIds cannot be blank');
    if (types.length > MAX_TYPES) fail('1003', `Invalid activityTypeIds: at most ${MAX_TYPES} activity types are allowed`);
    if (types.some((t) => !/^\d+$/.test(t))) fail('1001', `Invalid value '${types.join(',')}'. Required of type 'Integer'`);
    const typeSet = new Set(types.map(Number));
    const leadOk = this.leadFilter(params);
    return this.scan(ctx, (a) => (typeSet.has(a.typeId) && leadOk(a) ? this.activityJson(a, 'Z') : undefined));
  }

  /** GET /rest/v1/activities/leadchanges.json?nextPageToken=&fields=[&leadIds][&listId] */
  leadChanges(ctx: Ctx): Reply {
    const params = formParams(ctx);
    const fields = listParam(params, 'fields');
    if (fields.length === 0) fail('701', 'fields cannot be blank');
    for (const f of fields) if (!this.state.fields.has(f)) fail('1006', `Field '${f}' not found`);
    const wanted = new Set(fields);
    const leadOk = this.leadFilter(params);
    return this.scan(ctx, (a) => {
      if (!leadOk(a)) return undefined;
      if (a.typeId === ACTIVITY.newLead) return { ...this.activityJson(a, 'offset'), fields: [] };
      if (a.typeId !== ACTIVITY.changeDataValue) return undefined;
      // Only changes to the fields asked for (the endpoint's `fields` parameter).
      const changed = (a.fields ?? []).filter((f) => wanted.has(f.name));
      if (changed.length === 0) return undefined;
      const { primaryAttributeValueId: _id, primaryAttributeValue: _name, ...rest } = this.activityJson(a, 'offset');
      return {
        ...rest,
        fields: changed,
        attributes: [
          ...a.attributes.filter((x) => x.name === 'Reason' || x.name === 'Source'),
          { name: 'Lead ID', value: a.leadId },
        ],
      };
    });
  }

  /** GET /rest/v1/activities/deletedleads.json?nextPageToken= */
  deletedLeads(ctx: Ctx): Reply {
    return this.scan(ctx, (a) => (a.typeId === ACTIVITY.deleteLead ? this.activityJson(a, 'offset') : undefined));
  }
}
