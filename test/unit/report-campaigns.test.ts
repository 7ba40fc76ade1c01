import { describe, expect, it } from 'vitest';
import { parseWorkspace } from '../../src/config/workspace.js';
import { assessLift, wilsonInterval, type PersonOutcome } from '../../src/measure/lift.js';
import { reportCampaigns } from '../../src/pipeline/report-campaigns.js';
import type { ReportCampaign, ReportData } from '../../src/report/report-data.js';
import { renderReportHtml } from '../../src/report/render-html.js';
import { openStore } from '../../src/store/db.js';

function people(n: number, converters: number): PersonOutcome[] {
  return Array.from({ length: n }, (_, i) => ({ orders: i < converters ? 1 : 0, revenue: i < converters ? 40 : 0, movedWorse: null, unsubscribed: false }));
}

function campaign(name: string, t: PersonOutcome[], c: PersonOutcome[]): ReportCampaign {
  const lift = assessLift(t, c, { started: true, elapsedDays: 20, lengthDays: 60 }, 3);
  const group = (g: 'treatment' | 'control') => ({ ...lift[g], conversion: lift[g].converters / lift[g].people, conversionCi: wilsonInterval(lift[g].converters, lift[g].people) });
  return {
    name, segmentKey: 'at_risk', segmentName: 'At Risk',
    window: { start: '2026-06-01T00:00:00.000Z', end: '2026-06-21T00:00:00.000Z', elapsedDays: 20, lengthDays: 60, status: 'running' },
    groups: { treatment: group('treatment'), control: group('control') },
    measures: lift.measures, mde: lift.mde, notEnoughData: lift.notEnoughData,
  };
}

function data(campaigns?: ReportData['campaigns']): ReportData {
  return {
    title: 'segsync segmentation report', generatedAt: '2026-07-01T00:00:00.000Z', referenceDate: '2026-07-01T00:00:00.000Z', profiles: 1000,
    segments: [], rfGrid: Array.from({ length: 5 }, () => [0, 0, 0, 0, 0]), preparation: [], clusteringSkipped: 'switched off', clustering: null, predictions: null,
    ...(campaigns ? { campaigns } : {}),
  };
}

const sectionOf = (html: string) => /<section id="campaigns">[\s\S]*?<\/section>/.exec(html)?.[0] ?? '';

describe('the report\'s Campaigns section', () => {
  it('gives the Wilson interval scipy gives', () => {
    // scipy.stats.binomtest(28, 124).proportion_ci(confidence_level=0.95, method='wilson')
    const [low, high] = wilsonInterval(28, 124);
    expect(low).toBeCloseTo(0.16110095741789554, 9);
    expect(high).toBeCloseTo(0.30699021873666965, 9);
  });

  it('draws a conversion chart with interval bars and the lift table per measured campaign; says "not enough data yet" for the others', () => {
    const html = renderReportHtml(data({ status: 'measured', campaigns: [campaign('Win back', people(900, 270), people(100, 20)), campaign('Tiny', people(50, 10), people(8, 1))] }));
    const section = sectionOf(html);
    expect(section).toContain('<h2>Campaigns</h2>');
    // One chart: the measured campaign's.
    expect(section.match(/<svg id="campaign-conversion-/g)).toHaveLength(1);
    const heights = [...section.matchAll(/class="campaign-bar" data-group="(\w+)"[^>]*height="([\d.]+)"/g)].map((m) => [m[1], Number(m[2])] as const);
    expect(heights.map(([g]) => g)).toEqual(['treatment', 'control']);
    // 30% against 20%: the treatment bar is 1.5 times the control's.
    expect(heights[0]![1] / heights[1]![1]).toBeCloseTo(1.5, 1);
    expect(section.match(/class="ci-bar"/g)).toHaveLength(2);
    expect(section).toMatch(/conversion \(≥1 purchase\)<\/td><td class="num">30\.0%<\/td><td class="num">20\.0%<\/td><td class="num">\+10\.0 pts <span class="ci">\[/);
    expect(section).toContain('average order value (converters)');
    const tiny = /<div class="campaign" data-campaign="Tiny">[\s\S]*?<\/table><\/div>/.exec(section)?.[0] ?? '';
    expect(tiny).toContain('Not enough data yet.');
    expect(tiny).toContain('the control group has 8 people');
    expect(tiny).not.toContain('<svg');
  });

  it('is absent without campaigns', () => {
    expect(sectionOf(renderReportHtml(data()))).toBe('');
  });

  it('says why lift cannot be measured when the purchases\' currencies cannot be added up', () => {
    const db = openStore(':memory:');
    db.prepare("INSERT INTO campaigns (name, segment_key, started_at, days, control_share) VALUES ('C', 'at_risk', '2026-01-01T00:00:00.000Z', 60, 0.1)").run();
    const purchase = db.prepare(`INSERT INTO purchases (platform, external_id, amount, currency, occurred_at, status, updated_at, raw, content_hash, first_pulled_at, last_pulled_at)
      VALUES ('shopify', ?, 10, ?, '2026-01-02T00:00:00.000Z', 'won', 'now', '{}', 'h', 'now', 'now')`);
    purchase.run('1', 'EUR');
    purchase.run('2', 'USD');
    const result = reportCampaigns(db, parseWorkspace({}, 'test', []), new Date('2026-02-01T00:00:00.000Z'));
    expect(result).toMatchObject({ status: 'unmeasurable' });
    expect(result?.status === 'unmeasurable' ? result.reason : '').toMatch(/EUR, USD.*currency\.base/);
    expect(sectionOf(renderReportHtml(data(result)))).toMatch(/Lift cannot be measured: purchases come in EUR, USD/);
  });
});
