/**
 * Opportunities and opportunity roles (opportunities docs): query by a searchable field, at most
 * 300 filter values, offset paging with nextPageToken. As the docs say, "if a particular field is
 * requested but not returned, the value is implied to be null": fields without a value are left
 * out of an opportunity (CHOSEN: the emulator always does so, to keep clients honest).
 */
import { fail, formParams, intParam, isoZ, leadDbOk, listParam, offsetToken, readOffsetToken, type Ctx, type Reply } from './http-support.js';
import type { LeadValue, MarketoState, Opportunity, OpportunityRole } from './state.js';

const MAX_VALUES = 300;
/**
 * The opportunity fields the emulator knows, as its describe serves them (names, types and lengths
 * as in the docs' describe example and the standard opportunity fields); Get Opportunities accepts
 * exactly these.
 */
const OPPORTUNITY_FIELD_DEFS: ReadonlyArray<{ name: string; displayName: string; dataType: string; length?: number; updateable: boolean }> = [
  { name: 'marketoGUID', displayName: 'Marketo GUID', dataType: 'string', length: 36, updateable: false },
  { name: 'createdAt', displayName: 'Created At', dataType: 'datetime', updateable: false },
  { name: 'updatedAt', displayName: 'Updated At', dataType: 'datetime', updateable: false },
  { name: 'externalOpportunityId', displayName: 'External Opportunity Id', dataType: 'string', length: 50, updateable: false },
  { name: 'name', displayName: 'Name', dataType: 'string', length: 255, updateable: true },
  { name: 'description', displayName: 'Description', dataType: 'string', length: 2000, updateable: true },
  { name: 'type', displayName: 'Type', dataType: 'string', length: 255, updateable: true },
  { name: 'source', displayName: 'Source', dataType: 'string', length: 255, updateable: true },
  { name: 'amount', displayName: 'Amount', dataType: 'currency', updateable: true },
  { name: 'closeDate', displayName: 'Close Date', dataType: 'date', updateable: true },
  { name: 'isClosed', displayName: 'Is Closed', dataType: 'boolean', updateable: true },
  { name: 'isWon', displayName: 'Is Won', dataType: 'boolean', updateable: true },
  { name: 'stage', displayName: 'Stage', dataType: 'string', length: 255, updateable: true },
  { name: 'expectedRevenue', displayName: 'Expected Revenue', dataType: 'currency', updateable: true },
  { name: 'probability', displayName: 'Probability', dataType: 'integer', updateable: true },
  { name: 'fiscalQuarter', displayName: 'Fiscal Quarter', dataType: 'integer', updateable: true },
  { name: 'fiscalYear', displayName: 'Fiscal Year', dataType: 'integer', updateable: true },
  { name: 'leadSource', displayName: 'Lead Source', dataType: 'string', length: 255, updateable: true },
];
const OPPORTUNITY_FIELDS = new Set(OPPORTUNITY_FIELD_DEFS.map((f) => f.name));
/** When the emulated instance's opportunity object was set up (the describe's createdAt/updatedAt). */
const DESCRIBED_AT = '2015-02-03T22:36:23Z';
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

  /** GET /rest/v1/opportunities/describe.json (shape of the docs' example; swagger ObjectMetaData). */
  describe(): Reply {
    return leadDbOk(this.state.now(), [{
      name: 'opportunity',
      displayName: 'Opportunity',
      createdAt: DESCRIBED_AT,
      updatedAt: DESCRIBED_AT,
      idField: 'marketoGUID',
      dedupeFields: ['externalOpportunityId'],
      searchableFields: [['externalOpportunityId'], ['marketoGUID']],
      fields: OPPORTUNITY_FIELD_DEFS.map((f) => ({
        name: f.name,
        displayName: f.displayName,
        dataType: f.dataType,
        ...(f.length !== undefined ? { length: f.length } : {}),
        updateable: f.updateable,
      })),
    }]);
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
