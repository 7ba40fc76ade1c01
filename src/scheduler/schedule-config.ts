import { z } from 'zod';
import { validateDetailed } from 'node-cron';

/**
 * The `schedule` section of the workspace config: the jobs `segsync schedule` runs, each on its
 * own cron expression in a time zone. Everything is checked when the config is loaded, so a
 * daemon never starts with a job it cannot run.
 */

export const JOB_KINDS = ['pull', 'segment', 'push', 'sync'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

const CRON_EXAMPLE = 'use five fields like "*/15 * * * *" (minute hour day month weekday), or six with seconds first';
const FIELD_NAMES: Record<string, string> = {
  second: 'second',
  minute: 'minute',
  hour: 'hour',
  dayOfMonth: 'day of month',
  month: 'month',
  dayOfWeek: 'weekday',
};

/** Each field's values, in the order of a six-field expression (seconds first). */
const FIELD_RANGES: ReadonlyArray<{ field: string; min: number; max: number; unit: string }> = [
  { field: 'second', min: 0, max: 59, unit: 'seconds in a minute' },
  { field: 'minute', min: 0, max: 59, unit: 'minutes in an hour' },
  { field: 'hour', min: 0, max: 23, unit: 'hours in a day' },
  { field: 'day of month', min: 1, max: 31, unit: 'days in a month' },
  { field: 'month', min: 1, max: 12, unit: 'months in a year' },
  { field: 'weekday', min: 0, max: 6, unit: 'days in a week' },
];

/**
 * node-cron takes a step larger than its field (`*\/61` minutes) and fires once an hour instead
 * of what was meant; a step may be at most the number of values it steps through.
 */
function stepProblem(expression: string): string | undefined {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) return undefined;
  const ranges = FIELD_RANGES.slice(6 - fields.length);
  for (const [i, text] of fields.entries()) {
    const range = ranges[i]!;
    for (const part of text.split(',')) {
      const [base = '', step] = part.split('/');
      if (step === undefined || !/^\d+$/.test(step)) continue;
      const bounds = /^(\d+)-(\d+)$/.exec(base);
      const start = /^\d+$/.test(base) ? Number(base) : undefined;
      const size = bounds ? Number(bounds[2]) - Number(bounds[1]) + 1 : start !== undefined ? range.max - start + 1 : range.max - range.min + 1;
      if (Number(step) > size) {
        const all = range.max - range.min + 1;
        return `${range.field}: "${part}" steps by ${step}, more than the ${size === all ? `${all} ${range.unit}` : `${size} values it steps through`}, so it would run at one ${range.field} only; use a step from 1 to ${size}, like */${Math.max(1, Math.floor(all / 2))}, or list the ${range.field}s`;
      }
    }
  }
  return undefined;
}

/** Why `expression` is not a cron expression node-cron can run, with the fix; undefined when it is one. */
export function cronProblem(expression: string): string | undefined {
  const { valid, errors } = validateDetailed(expression);
  if (valid) {
    const step = stepProblem(expression);
    return step ? `"${expression}" is not a cron expression (${step})` : undefined;
  }
  // A wrong number of fields (the usual slip) gets the example alone; a bad field is named.
  const field = errors.find((e) => e.field !== 'expression');
  const detail = field
    ? /impossible/.test(field.message)
      ? ` (day of month "${field.value ?? ''}" never occurs in the months given)`
      : ` (${FIELD_NAMES[field.field] ?? field.field}: "${field.value ?? ''}" is out of range or not allowed there)`
    : '';
  return `"${expression}" is not a cron expression${detail}; ${CRON_EXAMPLE}`;
}

/** Whether the runtime knows `zone` as an IANA time zone (the same check node-cron's times go through). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat(undefined, { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const TimeZone = z.string({ error: 'use an IANA time zone name like Europe/Berlin' }).refine(isTimeZone, {
  error: (issue) => `"${String(issue.input)}" is not a time zone; use an IANA name like Europe/Berlin`,
});

/** Checked with the whole job (below), so that the error names the job. */
const Cron = z.string({ error: 'add a cron expression in quotes, like "*/15 * * * *"' });

const unknownKeys = (allowed: readonly string[]) => (issue: { code?: string; keys?: readonly string[] }) =>
  issue.code === 'unrecognized_keys'
    ? `unknown key${(issue.keys?.length ?? 0) > 1 ? 's' : ''} ${(issue.keys ?? []).map((k) => `"${k}"`).join(', ')}; allowed: ${allowed.join(', ')}`
    : undefined;

const JOB_KEYS = ['name', 'run', 'platform', 'cron', 'timezone', 'full'] as const;

export const ScheduleJobSchema = z
  .strictObject(
    {
      name: z.string({ error: 'add a name, lower-kebab-case like pull-hubspot' }).regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, { error: 'job names are lower-kebab-case, like pull-hubspot' }).max(60),
      run: z.enum(JOB_KINDS, { error: `use one of ${JOB_KINDS.join(', ')}` }),
      /** pull / push / sync: only this platform; every configured one when absent. */
      platform: z.string().min(1).optional(),
      cron: Cron,
      /** Overrides schedule.timezone for this job. */
      timezone: TimeZone.optional(),
      /** pull / sync: ignore cursors and read everything again. */
      full: z.boolean().optional(),
    },
    { error: unknownKeys(JOB_KEYS) },
  )
  .check((ctx) => {
    const job = ctx.value;
    const cron = cronProblem(job.cron);
    if (cron) ctx.issues.push({ code: 'custom', path: ['cron'], input: job.cron, message: `${cron} (job ${job.name})` });
    if (job.run === 'segment' && job.platform !== undefined) {
      ctx.issues.push({
        code: 'custom',
        path: ['platform'],
        input: job.platform,
        message: 'a segment job works on the whole store and takes no platform; remove it',
      });
    }
    if (job.full !== undefined && job.run !== 'pull' && job.run !== 'sync') {
      ctx.issues.push({ code: 'custom', path: ['full'], input: job.full, message: `full applies to pull and sync jobs only, not ${job.run}; remove it` });
    }
  });
export type ScheduleJobConfig = z.infer<typeof ScheduleJobSchema>;

const SCHEDULE_KEYS = ['timezone', 'leaseSeconds', 'shutdownSeconds', 'alerts', 'jobs'] as const;

export const ScheduleSchema = z.strictObject(
  {
    /** The jobs' time zone unless a job names its own. */
    timezone: TimeZone.default('UTC'),
    /** A job's lease, renewed while it runs; a dead process's lease is free again after this. */
    leaseSeconds: z.number().int({ error: 'use a whole number of seconds' }).min(10).max(24 * 60 * 60).default(300),
    /** On SIGINT/SIGTERM: no new runs; wait at most this long for the runs in flight. */
    shutdownSeconds: z.number().int({ error: 'use a whole number of seconds' }).min(0).max(60 * 60).default(60),
    /**
     * POSTed a JSON message when a job fails and when it recovers. Webhook URLs usually carry a
     * secret: SEGSYNC_ALERT_WEBHOOK_URL in the environment overrides this and keeps it out of the file.
     */
    alerts: z.strictObject({
      webhookUrl: z.url({ protocol: /^https?$/, error: 'use an http(s) URL, like https://hooks.slack.com/services/...' }).optional(),
    }).optional(),
    jobs: z.array(ScheduleJobSchema, { error: 'add a list of jobs, each with name, run and cron' })
      .min(1, { error: 'add at least one job, like { name: sync-all, run: sync, cron: "0 * * * *" }' }),
  },
  { error: unknownKeys(SCHEDULE_KEYS) },
);
export type ScheduleConfig = z.infer<typeof ScheduleSchema>;

/** A job as the daemon runs it: its own time zone resolved, defaults filled in. */
export interface ScheduledJob {
  name: string;
  run: JobKind;
  platform: string | undefined;
  cron: string;
  timezone: string;
  full: boolean;
}

export function scheduledJobs(schedule: ScheduleConfig): ScheduledJob[] {
  return schedule.jobs.map((j) => ({
    name: j.name,
    run: j.run,
    platform: j.platform,
    cron: j.cron,
    timezone: j.timezone ?? schedule.timezone,
    full: j.full ?? false,
  }));
}

/**
 * What a schema cannot check alone: the platforms are the registry's, and job names are lease
 * keys and run-history labels, so two jobs must never share one. One "path: message" or undefined.
 */
export function scheduleProblem(schedule: ScheduleConfig, knownConnectors: readonly string[]): string | undefined {
  const seen = new Map<string, number>();
  for (const [i, job] of schedule.jobs.entries()) {
    const first = seen.get(job.name);
    if (first !== undefined) {
      return `schedule.jobs.${i}.name: "${job.name}" is already used by schedule.jobs.${first}; job names must be unique`;
    }
    seen.set(job.name, i);
    if (job.platform !== undefined && !knownConnectors.includes(job.platform)) {
      return `schedule.jobs.${i}.platform: "${job.platform}" is not a platform; use one of ${knownConnectors.join(', ')}, or leave it out for all`;
    }
  }
  return undefined;
}
