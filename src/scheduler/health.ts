import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HealthStatus } from './health-types.js';

export interface HealthServerOptions {
  /** 0 picks a free port; the returned `port` is the real one. */
  port: number;
  /** Loopback by default: /metrics and /readyz tell anyone who can reach them what the daemon does. */
  host?: string;
  status: () => HealthStatus;
  now?: () => number;
}

export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

export interface JobReadiness {
  name: string;
  ready: boolean;
  reason?: string;
}

type Job = HealthStatus['jobs'][number];

/**
 * A job is ready when its last success is not older than its `maxAgeMs`. A job that has never
 * succeeded is not ready, even while its first run is in progress: a daemon that cannot complete
 * a single run must not look healthy to an orchestrator, and the first run can take long.
 * A run in progress does not excuse a stale success either; the reason only says so.
 */
export function jobReadiness(job: Job, nowMs: number): JobReadiness {
  const running = job.running ? ' (a run is in progress)' : '';
  if (job.lastSuccessAt === null) {
    return { name: job.name, ready: false, reason: `never succeeded${job.running ? ' (first run in progress)' : ''}` };
  }
  const at = Date.parse(job.lastSuccessAt);
  if (Number.isNaN(at)) {
    return { name: job.name, ready: false, reason: `last success time "${job.lastSuccessAt}" is not a date` };
  }
  const age = nowMs - at;
  if (age <= job.maxAgeMs) return { name: job.name, ready: true };
  return {
    name: job.name,
    ready: false,
    reason: `last success ${formatDuration(age)} ago, expected within ${formatDuration(job.maxAgeMs)}${running}`,
  };
}

/** "45 s", "30 min", "1.5 h", "3 d": what an operator reads in a probe's output. */
export function formatDuration(ms: number): string {
  const seconds = ms / 1000;
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const minutes = seconds / 60;
  if (minutes < 60) return `${Math.round(minutes)} min`;
  const hours = minutes / 60;
  if (hours < 24) return `${roundForHumans(hours)} h`;
  return `${roundForHumans(hours / 24)} d`;
}

function roundForHumans(value: number): string {
  return String(value < 10 ? Math.round(value * 10) / 10 : Math.round(value));
}

/** Serves /healthz (liveness), /readyz (readiness) and /metrics (Prometheus text format 0.0.4). */
export function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const now = options.now ?? Date.now;
  const host = options.host ?? '127.0.0.1';
  const server = http.createServer((req, res) => handle(req, res, options.status, now));
  server.keepAliveTimeout = 5_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      const { port } = server.address() as AddressInfo;
      resolve({
        port,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((err) => (err ? fail(err) : done()));
            server.closeAllConnections();
          }),
      });
    });
  });
}

const ROUTES = ['/healthz', '/readyz', '/metrics'] as const;
type Route = (typeof ROUTES)[number];

function handle(req: IncomingMessage, res: ServerResponse, status: () => HealthStatus, now: () => number): void {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  const route = ROUTES.find((r) => r === path);
  if (!route) {
    sendJson(res, 404, { message: `no endpoint at ${path}; try ${ROUTES.join(', ')}` });
    return;
  }
  if (req.method !== 'GET') {
    res.setHeader('allow', 'GET');
    sendJson(res, 405, { message: `${req.method ?? 'this method'} is not allowed on ${path}; use GET` });
    return;
  }
  try {
    respond(route, res, status, now);
  } catch (err) {
    // The status callback belongs to the daemon; its failure must show as a failed probe, not a crash.
    sendJson(res, 500, { message: `could not read the daemon's status: ${err instanceof Error ? err.message : String(err)}` });
  }
}

function respond(route: Route, res: ServerResponse, status: () => HealthStatus, now: () => number): void {
  switch (route) {
    case '/healthz':
      // Liveness asks only whether the process serves; it never depends on jobs or platforms,
      // or an orchestrator would restart a daemon that is merely waiting for a platform.
      sendJson(res, 200, { status: 'ok' });
      return;
    case '/readyz': {
      const nowMs = now();
      const jobs = status().jobs.map((job) => jobReadiness(job, nowMs));
      const ready = jobs.every((j) => j.ready);
      sendJson(res, ready ? 200 : 503, { ready, jobs });
      return;
    }
    case '/metrics':
      send(res, 200, 'text/plain; version=0.0.4; charset=utf-8', renderMetrics(status(), now()));
      return;
  }
}

function sendJson(res: ServerResponse, code: number, body: unknown): void {
  send(res, code, 'application/json', JSON.stringify(body));
}

function send(res: ServerResponse, code: number, contentType: string, body: string): void {
  res.writeHead(code, { 'content-type': contentType, 'cache-control': 'no-store' });
  res.end(body);
}

interface Metric {
  name: string;
  type: 'counter' | 'gauge';
  help: string;
  samples: Array<{ labels?: Record<string, string>; value: number }>;
}

/**
 * Prometheus text exposition format 0.0.4. A job that has never succeeded has no
 * last-success sample (absent, not 0 or NaN, as Prometheus conventions ask for an unknown time),
 * so `time() - segsync_job_last_success_timestamp_seconds` never reports a 55-year-old success.
 */
export function renderMetrics(status: HealthStatus, nowMs: number): string {
  const { counters, jobs } = status;
  const perJob = (value: (job: Job) => number | undefined): Metric['samples'] =>
    jobs.flatMap((job) => {
      const v = value(job);
      return v === undefined ? [] : [{ labels: { job: job.name }, value: v }];
    });
  const metrics: Metric[] = [
    { name: 'segsync_runs_total', type: 'counter', help: 'Job runs finished, successful or not.', samples: [{ value: counters.runs }] },
    { name: 'segsync_run_failures_total', type: 'counter', help: 'Job runs that failed.', samples: [{ value: counters.failures }] },
    { name: 'segsync_api_requests_total', type: 'counter', help: 'Requests sent to the platforms\' APIs.', samples: [{ value: counters.requests }] },
    { name: 'segsync_api_throttled_total', type: 'counter', help: 'Platform requests answered with a rate limit.', samples: [{ value: counters.throttled }] },
    { name: 'segsync_api_retries_total', type: 'counter', help: 'Platform requests retried.', samples: [{ value: counters.retries }] },
    {
      name: 'segsync_job_last_success_timestamp_seconds',
      type: 'gauge',
      help: 'When the job last succeeded, in seconds since the Unix epoch; absent if it never did.',
      samples: perJob((job) => {
        if (job.lastSuccessAt === null) return undefined;
        const at = Date.parse(job.lastSuccessAt);
        return Number.isNaN(at) ? undefined : at / 1000;
      }),
    },
    { name: 'segsync_job_running', type: 'gauge', help: '1 while a run of the job is in progress, else 0.', samples: perJob((job) => (job.running ? 1 : 0)) },
    {
      name: 'segsync_job_missed_ticks_total',
      type: 'counter',
      help: 'Ticks of the job that could not start on time (process busy, previous run still going, or a lease it needs held); one late run makes them up.',
      samples: perJob((job) => job.missedTicks),
    },
    { name: 'segsync_job_late_runs_total', type: 'counter', help: 'Runs of the job that started late to make up missed ticks.', samples: perJob((job) => job.lateRuns) },
    {
      name: 'segsync_job_ready',
      type: 'gauge',
      help: '1 when the job\'s last success is recent enough (as /readyz), else 0.',
      samples: perJob((job) => (jobReadiness(job, nowMs).ready ? 1 : 0)),
    },
  ];
  const lines: string[] = [];
  for (const metric of metrics) {
    lines.push(`# HELP ${metric.name} ${escapeHelp(metric.help)}`, `# TYPE ${metric.name} ${metric.type}`);
    for (const sample of metric.samples) lines.push(`${metric.name}${formatLabels(sample.labels)} ${formatValue(sample.value)}`);
  }
  return `${lines.join('\n')}\n`;
}

function formatLabels(labels: Record<string, string> | undefined): string {
  if (!labels) return '';
  const pairs = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`);
  return pairs.length ? `{${pairs.join(',')}}` : '';
}

/** Label values escape backslash, double quote and line feed. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text escapes backslash and line feed only. */
function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}
