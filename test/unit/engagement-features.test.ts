import { describe, expect, it } from 'vitest';
import { computeFeatures, type FeatureSet, type ProfileAttributes } from '../../src/segmentation/features.js';
import { computeRfm, MS_PER_DAY } from '../../src/segmentation/rfm.js';
import { assignRfmSegments } from '../../src/segmentation/rfm-segments.js';

const REF = Date.UTC(2024, 5, 30, 12, 0, 0);
const iso = (daysAgo: number) => new Date(REF - daysAgo * MS_PER_DAY).toISOString();

type Value = string | number | boolean | null;

/** Features of people who bought nothing, from mapped attributes only (name → one value per person). */
function featuresOf(columns: Record<string, Value[]>): FeatureSet {
  const rows = Object.values(columns)[0]!.length;
  const none = { profileIndex: new Int32Array(0), occurredAtMs: new Float64Array(0), amount: new Float64Array(0) };
  const rfm = computeRfm(rows, none, { referenceDateMs: REF, windowDays: 365 });
  const profile: ProfileAttributes = {
    createdAtMs: new Float64Array(rows).fill(REF - 100 * MS_PER_DAY),
    country: new Array<string | null>(rows).fill(null),
    city: new Array<string | null>(rows).fill(null),
    emailConsent: new Array<string | null>(rows).fill('subscribed'),
    attributes: new Map(Object.entries(columns)),
  };
  return computeFeatures(rows, none, rfm, assignRfmSegments(rfm), profile, { referenceMs: REF, windowDays: 365 });
}

const numbers = (set: FeatureSet, key: keyof FeatureSet['numbers']) => Array.from(set.numbers[key]);

describe('engagement and firmographic features', () => {
  it('rates opens and clicks per delivered email, and leaves the rate missing when nothing was delivered or a count is unknown', () => {
    const set = featuresOf({
      emailsDelivered: ['40', '0', null, '10', '10'],
      emailOpens: ['10', '0', '5', null, '12'],
      emailClicks: ['2', '0', '1', '3', '1'],
    });
    expect(numbers(set, 'emailOpenRate')).toEqual([0.25, Number.NaN, Number.NaN, Number.NaN, 1]);
    expect(numbers(set, 'emailClickRate')).toEqual([0.05, Number.NaN, Number.NaN, 0.3, 0.1]);
  });

  it('counts visits, page views and form fills as the platform keeps them; unknown stays missing, a real zero stays zero', () => {
    const set = featuresOf({ webVisits: ['12', null, '0'], pageViews: ['30', null, '0'], formSubmissions: ['2', '0', null] });
    expect(numbers(set, 'webVisits')).toEqual([12, Number.NaN, 0]);
    expect(numbers(set, 'pageViews')).toEqual([30, Number.NaN, 0]);
    expect(numbers(set, 'formFills')).toEqual([2, 0, Number.NaN]);
  });

  it('gives whole days since the last visit, click and sales reply; dates after the reference date or unreadable are missing', () => {
    const set = featuresOf({
      lastVisitAt: [iso(3.5), null, iso(-2), 'yesterday'],
      lastEmailClickAt: [iso(10), iso(0.2), null, null],
      lastSalesEmailReplyAt: [null, iso(40), null, String(REF - 7 * MS_PER_DAY)],
    });
    expect(numbers(set, 'daysSinceLastVisit')).toEqual([3, Number.NaN, Number.NaN, Number.NaN]);
    expect(Array.from(set.dates.lastVisitAt)).toEqual([REF - 3.5 * MS_PER_DAY, Number.NaN, Number.NaN, Number.NaN]);
    expect(numbers(set, 'daysSinceLastEmailClick')).toEqual([10, 0, Number.NaN, Number.NaN]);
    expect(numbers(set, 'daysSinceLastSalesEmailReply')).toEqual([Number.NaN, 40, Number.NaN, 7]);
  });

  it('reads the company\'s employees, revenue and industry, and the CRM lifecycle stage and lead status, as categories where they are text', () => {
    const set = featuresOf({
      companyEmployees: ['250', null],
      companyAnnualRevenue: ['30000000', 'n/a'],
      companyIndustry: ['COMPUTER_SOFTWARE', null],
      lifecycleStage: ['marketingqualifiedlead', ' '],
      leadStatus: [null, 'NEW'],
    });
    expect(numbers(set, 'companyEmployees')).toEqual([250, Number.NaN]);
    expect(numbers(set, 'companyAnnualRevenue')).toEqual([30_000_000, Number.NaN]);
    expect(set.categories.companyIndustry).toEqual(['COMPUTER_SOFTWARE', null]);
    expect(set.categories.crmLifecycleStage).toEqual(['marketingqualifiedlead', null]);
    expect(set.categories.leadStatus).toEqual([null, 'NEW']);
    // segsync's own lifecycle stage is untouched by the CRM's.
    expect(set.categories.lifecycleStage).toEqual(['prospect', 'prospect']);
  });

  it('leaves every one of them missing for people no platform keeps them for', () => {
    const set = featuresOf({ loyaltyTier: ['gold', null] });
    for (const key of ['emailOpenRate', 'emailClickRate', 'webVisits', 'pageViews', 'formFills', 'daysSinceLastVisit', 'daysSinceLastEmailClick', 'companyEmployees', 'companyAnnualRevenue'] as const) {
      expect(numbers(set, key), key).toEqual([Number.NaN, Number.NaN]);
    }
    expect(set.categories.companyIndustry).toEqual([null, null]);
    expect(set.categories.crmLifecycleStage).toEqual([null, null]);
  });
});
