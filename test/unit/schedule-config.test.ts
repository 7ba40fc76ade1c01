import { describe, expect, it } from 'vitest';
import { parseWorkspace } from '../../src/config/workspace.js';
import { cronProblem, isTimeZone, scheduledJobs } from '../../src/scheduler/schedule-config.js';
import { maxSuccessAgeMs, nextRuns } from '../../src/scheduler/daemon.js';

const PLATFORMS = ['hubspot', 'marketo', 'shopify'];
const job = (extra: Record<string, unknown> = {}) => ({ name: 'pull-hubspot', run: 'pull', platform: 'hubspot', cron: '*/15 * * * *', ...extra });
const load = (schedule: unknown) => parseWorkspace({ schedule }, 'w.yaml', PLATFORMS).schedule;
const problem = (schedule: unknown): string => {
  try {
    load(schedule);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the schedule to be refused');
};

describe('the schedule section', () => {
  it('is optional, and fills in UTC, a 300 s lease and a 60 s shutdown wait', () => {
    expect(parseWorkspace({}, 'w.yaml', PLATFORMS).schedule).toBeUndefined();
    const schedule = load({ jobs: [job(), { name: 'segment-all', run: 'segment', cron: '0 * * * *' }] })!;
    expect(schedule).toMatchObject({ timezone: 'UTC', leaseSeconds: 300, shutdownSeconds: 60 });
    expect(scheduledJobs(schedule)).toEqual([
      { name: 'pull-hubspot', run: 'pull', platform: 'hubspot', cron: '*/15 * * * *', timezone: 'UTC', full: false },
      { name: 'segment-all', run: 'segment', platform: undefined, cron: '0 * * * *', timezone: 'UTC', full: false },
    ]);
  });

  it('gives each job the section time zone unless it names its own', () => {
    const schedule = load({ timezone: 'Europe/Berlin', jobs: [job(), job({ name: 'pull-ny', timezone: 'America/New_York', full: true })] })!;
    expect(scheduledJobs(schedule).map((j) => [j.timezone, j.full])).toEqual([['Europe/Berlin', false], ['America/New_York', true]]);
  });

  it('accepts six fields with seconds first', () => {
    expect(load({ jobs: [job({ cron: '*/10 * * * * *' })] })!.jobs[0]!.cron).toBe('*/10 * * * * *');
  });

  it('refuses a cron expression with four fields, naming the path and showing five', () => {
    expect(problem({ jobs: [job(), job({ name: 'pull-2', cron: '*/15 * * *' })] })).toContain(
      'schedule.jobs.1.cron: "*/15 * * *" is not a cron expression; use five fields like "*/15 * * * *" (minute hour day month weekday)',
    );
  });

  it('names the field of a cron expression that is out of range', () => {
    expect(problem({ jobs: [job({ cron: '61 * * * *' })] })).toMatch(/schedule\.jobs\.0\.cron: "61 \* \* \* \*" is not a cron expression \(minute: "61" is out of range/);
    expect(problem({ jobs: [job({ cron: '0 9 * * 8' })] })).toMatch(/schedule\.jobs\.0\.cron: .*\(weekday: "8"/);
    expect(problem({ jobs: [job({ cron: '0 0 31 2 *' })] })).toMatch(/day of month "31" never occurs/);
    expect(problem({ jobs: [job({ cron: 15 })] })).toContain('schedule.jobs.0.cron: add a cron expression in quotes, like "*/15 * * * *"');
  });

  it('refuses a step larger than its field (*/61 minutes would run once an hour), naming the job and the fix', () => {
    expect(problem({ jobs: [job({ cron: '*/61 * * * *' })] })).toContain(
      'schedule.jobs.0.cron: "*/61 * * * *" is not a cron expression (minute: "*/61" steps by 61, more than the 60 minutes in an hour, so it would run at one minute only; use a step from 1 to 60, like */30, or list the minutes) (job pull-hubspot)',
    );
    expect(problem({ jobs: [job({ name: 'hourly-ish', cron: '0 */25 * * *' })] })).toMatch(/\(hour: "\*\/25" steps by 25, more than the 24 hours in a day.*\(job hourly-ish\)/);
    expect(cronProblem('0 0 */32 * *')).toMatch(/day of month: "\*\/32"/);
    expect(cronProblem('0 0 * */13 *')).toMatch(/month: "\*\/13"/);
    expect(cronProblem('0 0 * * */8')).toMatch(/weekday: "\*\/8"/);
    expect(cronProblem('*/90 * * * * *')).toMatch(/second: "\*\/90"/);
    expect(cronProblem('0-30/45 * * * *')).toMatch(/minute: "0-30\/45" steps by 45, more than the 31 values it steps through.*use a step from 1 to 31/);
    expect(cronProblem('50/15 * * * *')).toMatch(/minute: "50\/15"/);
    for (const fine of ['*/60 * * * *', '*/15 * * * *', '0 */24 * * *', '0 0 */31 * *', '0 0 1 */12 *', '0 0 * * */7', '0-30/31 * * * *', '*/30 * * * * *', '0 9 * * mon-fri']) {
      expect(cronProblem(fine), fine).toBeUndefined();
    }
  });

  it('refuses a time zone that does not exist, at the section and at a job', () => {
    expect(problem({ timezone: 'Europe/Berln', jobs: [job()] })).toContain(
      'schedule.timezone: "Europe/Berln" is not a time zone; use an IANA name like Europe/Berlin',
    );
    expect(problem({ jobs: [job({ timezone: 'Mars/Olympus' })] })).toContain(
      'schedule.jobs.0.timezone: "Mars/Olympus" is not a time zone; use an IANA name like Europe/Berlin',
    );
    expect(isTimeZone('America/New_York')).toBe(true);
  });

  it('refuses a platform on a segment job, and full on jobs that do not pull', () => {
    expect(problem({ jobs: [{ name: 'segment-all', run: 'segment', platform: 'hubspot', cron: '0 * * * *' }] })).toContain(
      'schedule.jobs.0.platform: a segment job works on the whole store and takes no platform; remove it',
    );
    expect(problem({ jobs: [job({ name: 'push-hubspot', run: 'push', full: true })] })).toContain(
      'schedule.jobs.0.full: full applies to pull and sync jobs only, not push; remove it',
    );
  });

  it('refuses a platform that is not a connector', () => {
    expect(problem({ jobs: [job({ platform: 'salesforce' })] })).toContain(
      'schedule.jobs.0.platform: "salesforce" is not a platform; use one of hubspot, marketo, shopify',
    );
  });

  it('refuses two jobs with one name', () => {
    expect(problem({ jobs: [job(), job({ cron: '0 * * * *' })] })).toContain(
      'schedule.jobs.1.name: "pull-hubspot" is already used by schedule.jobs.0; job names must be unique',
    );
  });

  it('refuses names that are not lower-kebab-case, and unknown kinds of run', () => {
    expect(problem({ jobs: [job({ name: 'Pull_HubSpot' })] })).toContain('schedule.jobs.0.name: job names are lower-kebab-case, like pull-hubspot');
    expect(problem({ jobs: [job({ run: 'fetch' })] })).toContain('schedule.jobs.0.run: use one of pull, segment, push, sync');
  });

  it('refuses unknown keys, listing the allowed ones', () => {
    expect(problem({ jobs: [job({ every: '15m' })] })).toContain(
      'schedule.jobs.0: unknown key "every"; allowed: name, run, platform, cron, timezone, full',
    );
    expect(problem({ tz: 'UTC', jobs: [job()] })).toContain('schedule: unknown key "tz"; allowed: timezone, leaseSeconds, shutdownSeconds, alerts, jobs');
  });

  it('takes an alert webhook URL, and refuses one that is not http(s)', () => {
    expect(() => load({ alerts: { webhookUrl: 'https://hooks.example.com/services/T0/B0/xyz' }, jobs: [job()] })).not.toThrow();
    expect(problem({ alerts: { webhookUrl: 'ftp://example.com/hook' }, jobs: [job()] })).toContain('schedule.alerts.webhookUrl: use an http(s) URL');
  });

  it('refuses an empty job list and impossible lease or shutdown times', () => {
    expect(problem({ jobs: [] })).toContain('schedule.jobs: add at least one job');
    expect(problem({ leaseSeconds: 2, jobs: [job()] })).toMatch(/schedule\.leaseSeconds: /);
    expect(problem({ shutdownSeconds: 1.5, jobs: [job()] })).toContain('schedule.shutdownSeconds: use a whole number of seconds');
  });

  it('reports every problem of a job at once', () => {
    const message = problem({ jobs: [{ name: 'X', run: 'pull', cron: '* * *', timezone: 'Nowhere/Land' }] });
    expect(message).toContain('schedule.jobs.0.name:');
    expect(message).toContain('schedule.jobs.0.cron:');
    expect(message).toContain('schedule.jobs.0.timezone:');
  });

  it('cronProblem accepts node-cron nicknames and refuses garbage', () => {
    expect(cronProblem('@hourly')).toBeUndefined();
    expect(cronProblem('every day')).toMatch(/is not a cron expression/);
  });
});

describe('next run times', () => {
  const partsIn = (date: Date, timeZone: string) =>
    Object.fromEntries(new Intl.DateTimeFormat('en-US', { timeZone, hour: 'numeric', minute: 'numeric', hourCycle: 'h23' })
      .formatToParts(date).filter((p) => p.type !== 'literal').map((p) => [p.type, Number(p.value)]));

  it('are wall-clock times in the job\'s time zone', () => {
    const [first, second] = nextRuns('30 9 * * *', 'America/New_York', 2);
    expect(partsIn(first!, 'America/New_York')).toEqual({ hour: 9, minute: 30 });
    expect(first!.getTime()).toBeGreaterThan(Date.now());
    expect(first!.getTime() - Date.now()).toBeLessThanOrEqual(24 * 3600_000);
    // A day apart (23 or 25 hours across a daylight-saving change).
    expect(Math.abs(second!.getTime() - first!.getTime() - 24 * 3600_000)).toBeLessThanOrEqual(3600_000);
    const [berlin] = nextRuns('30 9 * * *', 'Europe/Berlin', 1);
    expect(partsIn(berlin!, 'Europe/Berlin')).toEqual({ hour: 9, minute: 30 });
  });

  it('with six fields come every second', () => {
    const [a, b] = nextRuns('* * * * * *', 'UTC', 2);
    expect(b!.getTime() - a!.getTime()).toBe(1000);
  });

  it('give a job two missed runs and a lease before it counts as stale', () => {
    expect(maxSuccessAgeMs('*/15 * * * *', 'UTC', 300)).toBe(2 * 15 * 60_000 + 300_000);
    // Weekdays only: the weekend gap (Friday 09:00 to Monday 09:00) is the one that counts.
    expect(maxSuccessAgeMs('0 9 * * 1-5', 'UTC', 60)).toBe(2 * 3 * 24 * 3600_000 + 60_000);
  });
});
