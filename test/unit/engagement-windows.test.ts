import { describe, expect, it } from 'vitest';

import { computeFeatures, type ProfileAttributes } from '../../src/segmentation/features.js';
import { computeRfm } from '../../src/segmentation/rfm.js';
import { ENGAGEMENT_CHANNELS, type EngagementChannel } from '../../src/domain/records.js';
import { EngagementSummary } from '../../src/segmentation/engagement-windows.js';

const DAY = 86_400_000;
const REF = Date.UTC(2026, 6, 1);

function features(attributes: ProfileAttributes['attributes'], list: Array<[number, EngagementChannel, number]>, measured: number[]) {
  const rows = 3;
  const engagement = new EngagementSummary(rows, REF);
  for (const i of measured) engagement.measured[i] = 1;
  for (const [i, channel, daysBefore] of list) engagement.add(i, ENGAGEMENT_CHANNELS.indexOf(channel), REF - daysBefore * DAY, 1);
  const purchases = { profileIndex: new Int32Array(0), occurredAtMs: new Float64Array(0), amount: new Float64Array(0) };
  const rfm = computeRfm(rows, purchases, { referenceDateMs: REF, windowDays: 365 });
  const profile: ProfileAttributes = { createdAtMs: new Float64Array(rows).fill(REF - 500 * DAY), country: [null, null, null], city: [null, null, null], emailConsent: ['unknown', 'unknown', 'unknown'], attributes };
  return computeFeatures(rows, purchases, rfm, ['prospects', 'prospects', 'prospects'], profile, { referenceMs: REF, windowDays: 365, engagement });
}

describe('engagement features from dated events', () => {
  it('puts the windowed counts in the feature set: 0 when measured and quiet, missing when not measured', () => {
    const f = features(new Map(), [[0, 'web_visit', 5], [0, 'web_visit', 45], [0, 'form_fill', 300], [0, 'email_open', 400]], [0, 1]);
    expect([f.numbers.webVisits30d[0], f.numbers.webVisits90d[0], f.numbers.webVisits365d[0]]).toEqual([1, 2, 2]);
    expect(f.numbers.formFills365d[0]).toBe(1);
    expect(f.numbers.emailOpens365d[0]).toBe(0); // 400 days ago: outside every window
    expect(f.numbers.daysSinceLastEngagement[0]).toBe(5);
    expect(f.numbers.webVisits90d[1]).toBe(0);
    expect(f.numbers.webVisits90d[2]).toBeNaN();
    expect(f.numbers.engagementEvents90d[2]).toBeNaN();
  });

  it('keeps a mapped total first and falls back to the events where no attribute holds one', () => {
    const attributes = new Map<string, Array<string | number | boolean | null>>([['emailOpens', [7, null, null]], ['emailsDelivered', [10, null, null]]]);
    const f = features(attributes, [
      [0, 'email_open', 3], [1, 'email_open', 3], [1, 'email_open', 400], [1, 'email_delivered', 3], [1, 'email_delivered', 10],
      [1, 'email_delivered', 17], [1, 'email_delivered', 24], [1, 'web_visit', 12], [1, 'sales_email_reply', 2],
    ], [0, 1]);
    expect(f.numbers.emailOpens[0]).toBe(7); // the attribute, not the 1 event
    expect(f.numbers.emailOpenRate[0]).toBeCloseTo(0.7, 12);
    expect(f.numbers.emailOpens[1]).toBe(2); // every event up to the reference date
    expect(f.numbers.emailOpenRate[1]).toBe(0.5);
    expect(f.numbers.webVisits[1]).toBe(1);
    expect(f.numbers.daysSinceLastVisit[1]).toBe(12);
    expect(f.dates.lastVisitAt[1]).toBe(REF - 12 * DAY);
    expect(f.numbers.daysSinceLastEmailOpen[1]).toBe(3);
    expect(f.numbers.daysSinceLastSalesEmailReply[1]).toBe(2);
    expect(f.numbers.formFills[1]).toBe(0);
    expect(f.numbers.emailOpens[2]).toBeNaN(); // nothing measured: no zero claimed
  });
});
