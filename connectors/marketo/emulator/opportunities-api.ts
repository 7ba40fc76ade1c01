/**
 * Opportunities and opportunity roles (opportunities docs): query by a searchable field, at most
 * 300 filter values, offset paging with nextPageToken. As the docs say, "if a particular field is
 * requested but not returned, the value is implied to be null": fields without a value are left
 * out of an opportunity (CHOSEN: the emulator always does so, to keep clients honest).
 */
import { fail, formParams, intParam, isoZ, leadDbOk, listParam, offsetToken, readOffsetToken, type Ctx, type Reply } from './http-support.js';
import type { LeadValue, MarketoState, Opportunity, OpportunityRole } from './state.js';

const MAX_VALUES = 300;
const OPPORTUNITY_FIELDS = new Set([
  'marketoGUID', 'externalOpportunityId', 'name', 'description', 'type', 'source', 'amount', 'closeDate', 'isClosed', 'isWon',
  'stage', 'expectedRevenue', 'probability', 'fiscalQuarter', 'fiscalYear', 'leadSource', 'createdAt', 'updatedAt',
]);
const DEFAULT_OPPORTUNITY_FIELDS = ['marketoGUID', 'externalOpportunityId', 'name', 'description', 'amount', 'source', 'createdAt', 'updatedAt'];
const ROLE_FIELDS = ['marketoGUID', 'externalOpportunityId', 'leadId', 'role', 'isPrimary', 'createdAt', 'updatedAt'];

export class OpportunitiesApi {
  /** Fault scenarios: how an opportunity is served in Get Opportunities pages (its data stays as it is). */
  serveOpportunity?: (o: Opportunity, json: Record<string, unknown>) => Array<Record<string, unknown>>;

  constructor(private readonly state: MarketoState) {}

  private common(params: URLSearchParams, searchable: string[]) {
    const filterType = params.get('filterType');
    if (!filterType) fail('701', 'filterType cannot be blank');
    if (!searchable.includes(filterType)) fail('1003', `Invalid filterType '${filterType}': use one of ${searchable.join(', ')}`);
    const values = listParam(params, 'filterValues');
    if (values.length === 0) fail('701', 'filterValues cannot be blank');
    if (values.length > MAX_VALUES) fail('1003', `Invalid filterValues: at most ${MAX_VALUES} values are allowed`);
    return { filterType, values, batchSize: intParam(params, 'batchSize', 300, 300) };
  }

  private page<T>(kind: string, params: URLSearchParams, items: T[], batchSize: number, json: (item: T, seq: number) => Record<string, unknown>, serve?: (item: T, json: Record<string, unknown>) => Array<Record<string, unknown>>): Reply {
    const offset = readOffsetToken(kind, params.get('nextPageToken'));
    const slice = items.slice(offset, offset + batchSize);
    const more = offset + batchSize < items.length;
    const result = slice.flatMap((item, i) => {
      const one = json(item, offset + i);
      return serve ? serve(item, one) : [one];
    });
    return leadDbOk(this.state.now(), result, more ? { nextPageToken: offsetToken(kind, offset + batchSize), moreResult: true } : {});
  }

  private opportunityValue(o: Opportunity, name: string): LeadValue {
    if (name === 'marketoGUID') return o.marketoGUID;
    if (name === 'externalOpportunityId') return o.externalOpportunityId;
    if (name === 'createdAt') return isoZ(o.createdMs);
    if (name === 'updatedAt') return isoZ(o.updatedMs);
    return o.values[name] ?? null;
  }

  /** GET /rest/v1/opportunities.json?filterType=externalOpportunityId|marketoGUID&filterValues=&fields= */
  getOpportunities(ctx: Ctx): Reply {
    const params = formParams(ctx);
    const { filterType, values, batchSize } = this.common(params, ['externalOpportunityId', 'marketoGUID']);
    const requested = listParam(params, 'fields');
    for (const f of requested) if (!OPPORTUNITY_FIELDS.has(f)) fail('1006', `Field '${f}' not found`);
    const fields = requested.length > 0 ? requested : DEFAULT_OPPORTUNITY_FIELDS;
    const found: Opportunity[] = [];
    for (const v of new Set(values)) {
      const o = filterType === 'marketoGUID' ? this.state.opportunityByGuid.get(v) : this.state.opportunities.get(v);
      if (o) found.push(o);
    }
    return this.page('opportunities', params, found, batchSize, (o, seq) => {
      const out: Record<string, unknown> = { seq, marketoGUID: o.marketoGUID };
      for (const f of fields) {
        const v = this.opportunityValue(o, f);
        if (v !== null) out[f] = v;
      }
      return out;
    }, this.serveOpportunity);
  }

  /** GET /rest/v1/opportunities/roles.json?filterType=leadId|externalOpportunityId|marketoGUID&filterValues= */
  getRoles(ctx: Ctx): Reply {
    const params = formParams(ctx);
    const { filterType, values, batchSize } = this.common(params, ['leadId', 'externalOpportunityId', 'marketoGUID']);
    const found: OpportunityRole[] = [];
    const seen = new Set<string>();
    for (const v of values) {
      const roles =
        filterType === 'leadId'
          ? this.state.rolesByLead.get(Number(v)) ?? []
          : filterType === 'externalOpportunityId'
            ? this.state.rolesByOpportunity.get(v) ?? []
            : [this.state.roleByGuid.get(v)].filter((r): r is OpportunityRole => r !== undefined);
      for (const r of roles) {
        if (seen.has(r.marketoGUID)) continue;
        seen.add(r.marketoGUID);
        found.push(r);
      }
    }
    return this.page('roles', params, found, batchSize, (r, seq) => {
      const out: Record<string, unknown> = { seq };
      for (const f of ROLE_FIELDS) {
        if (f === 'createdAt') out[f] = isoZ(r.createdMs);
        else if (f === 'updatedAt') out[f] = isoZ(r.updatedMs);
        else out[f] = r[f as keyof OpportunityRole];
      }
      return out;
    });
  }
}
