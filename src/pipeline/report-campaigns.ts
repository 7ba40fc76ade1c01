import { ConfigError } from '../config/errors.js';
import type { Workspace } from '../config/workspace.js';
import { liftReport } from '../measure/lift-data.js';
import { wilsonInterval } from '../measure/lift.js';
import type { ReportCampaigns } from '../report/report-data.js';
import type { Db } from '../store/db.js';

/**
 * The report's Campaigns section: every campaign's lift, with each group's conversion and its
 * interval for the chart. Undefined when there are no campaigns. A currencies problem does not
 * stop the report: the section says why lift cannot be measured.
 */
export function reportCampaigns(db: Db, workspace: Workspace, now: Date): ReportCampaigns | undefined {
  let lifts;
  try {
    lifts = liftReport(db, workspace, now);
  } catch (error) {
    if (error instanceof ConfigError) return { status: 'unmeasurable', reason: error.message };
    throw error;
  }
  if (lifts.length === 0) return undefined;
  return {
    status: 'measured',
    campaigns: lifts.map((l) => {
      const group = (g: 'treatment' | 'control') => ({
        ...l[g],
        conversion: l[g].people === 0 ? 0 : l[g].converters / l[g].people,
        conversionCi: wilsonInterval(l[g].converters, l[g].people),
      });
      return {
        name: l.campaign.name,
        segmentKey: l.campaign.segmentKey,
        segmentName: l.segmentName,
        window: { start: l.window.start, end: l.window.end, elapsedDays: l.window.elapsedDays, lengthDays: l.window.lengthDays, status: l.window.status },
        groups: { treatment: group('treatment'), control: group('control') },
        measures: l.measures,
        mde: l.mde,
        notEnoughData: l.notEnoughData,
      };
    }),
  };
}
