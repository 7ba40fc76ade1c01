import http from 'node:http';
import net from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startHealthServer, type HealthServer } from '../../src/scheduler/health.js';
import type { HealthStatus } from '../../src/scheduler/health-types.js';

const MIN = 60 * 1000;
const NOW = Date.parse('2025-03-01T12:00:00Z');

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface Exposition {
  types: Map<string, string>;
  helps: Map<string, string>;
  samples: Sample[];
}

/**
 * Just enough of the Prometheus text format 0.0.4 to hold our output to it: every sample
 * follows a `# TYPE` for its name, label values are quoted with \\, \" and \n escapes.
 */
function parseExposition(text: string): Exposition {
  expect(text.endsWith('\n')).toBe(true);
  const types = new Map<string, string>();
  const helps = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.slice(0, -1).split('\n')) {
    const comment = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (comment) {
      const [, kind, name, rest] = comment as unknown as [string, string, string, string];
      if (kind === 'TYPE') {
        expect(['counter', 'gauge', 'histogram', 'summary', 'untyped']).toContain(rest);
        expect(types.has(name), `second TYPE for ${name}`).toBe(false);
        types.set(name, rest);
      } else helps.set(name, rest);
      continue;
    }
    expect(line.startsWith('#'), `unexpected comment: ${line}`).toBe(false);
    const head = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line);
    expect(head, `bad sample line: ${line}`).not.toBeNull();
    const name = head![1]!;
    let i = name.length;
    const labels: Record<string, string> = {};
    if (line[i] === '{') {
      i++;
      while (line[i] !== '}') {
        const key = /^([a-zA-Z_][a-zA-Z0-9_]*)="/.exec(line.slice(i));
        expect(key, `bad label in: ${line}`).not.toBeNull();
        i += key![0].length;
        let value = '';
        for (;;) {
          const c = line[i];
          if (c === undefined) throw new Error(`unterminated label value in: ${line}`);
          if (c === '"') break;
          if (c === '\\') {
            const next = line[i + 1];
            if (next === 'n') value += '\n';
            else if (next === '\\' || next === '"') value += next;
            else throw new Error(`bad escape \\${String(next)} in: ${line}`);
            i += 2;
          } else {
            value += c;
            i++;
          }
        }
        i++; // closing quote
        labels[key![1]!] = value;
        if (line[i] === ',') i++;
      }
      i++; // closing brace
    }
    const rest = /^ (\S+)$/.exec(line.slice(i));
    expect(rest, `bad value in: ${line}`).not.toBeNull();
    const raw = rest![1]!;
    const value = raw === 'NaN' ? NaN : raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw);
    expect(Number.isNaN(value) && raw !== 'NaN', `bad value in: ${line}`).toBe(false);
    expect(types.has(name), `sample ${name} has no preceding # TYPE`).toBe(true);
    if (types.get(name) === 'counter') expect(name.endsWith('_total'), `counter ${name} must end with _total`).toBe(true);
    samples.push({ name, labels, value });
  }
  return { types, helps, samples };
}

function sample(exposition: Exposition, name: string, job?: string): number | undefined {
  return exposition.samples.find((s) => s.name === name && (job === undefined || s.labels.job === job))?.value;
}

function request(port: number, method: string, path: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

function ago(ms: number): string {
  return new Date(NOW - ms).toISOString();
}

describe('health server', () => {
  let server: HealthServer | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    await server?.close();
    server = undefined;
  });

  const status: HealthStatus = {
    jobs: [
      { name: 'pull-hubspot', lastSuccessAt: ago(10 * MIN), lastFailureAt: null, maxAgeMs: 30 * MIN, running: false, missedTicks: 0, lateRuns: 0 },
      { name: 'push-marketo', lastSuccessAt: ago(5 * MIN), lastFailureAt: ago(20 * MIN), maxAgeMs: 60 * MIN, running: true, missedTicks: 3, lateRuns: 1 },
    ],
    counters: { runs: 17, failures: 2, requests: 1234, throttled: 5, retries: 7 },
  };

  async function start(current: () => HealthStatus = () => status): Promise<number> {
    server = await startHealthServer({ port: 0, status: current, now: () => NOW });
    return server.port;
  }

  it('answers /healthz with 200 ok on a real port', async () => {
    const port = await start();
    expect(port).toBeGreaterThan(0);
    const res = await request(port, 'GET', '/healthz');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(JSON.parse(res.body)).toEqual({ status: 'ok' });
  });

  it('is ready while every job succeeded recently, and says which job is stale and why', async () => {
    let current = structuredClone(status);
    const port = await start(() => current);
    const ready = await request(port, 'GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body)).toEqual({
      ready: true,
      jobs: [
        { name: 'pull-hubspot', ready: true },
        { name: 'push-marketo', ready: true },
      ],
    });

    current = structuredClone(status);
    current.jobs[0]!.lastSuccessAt = ago(120 * MIN);
    const stale = await request(port, 'GET', '/readyz');
    expect(stale.status).toBe(503);
    expect(JSON.parse(stale.body)).toEqual({
      ready: false,
      jobs: [
        { name: 'pull-hubspot', ready: false, reason: 'last success 2 h ago, expected within 30 min' },
        { name: 'push-marketo', ready: true },
      ],
    });
  });

  it('counts a job that never succeeded as not ready, even during its first run', async () => {
    const current = structuredClone(status);
    current.jobs[1]!.lastSuccessAt = null;
    const port = await start(() => current);
    const res = await request(port, 'GET', '/readyz');
    expect(res.status).toBe(503);
    expect(JSON.parse(res.body).jobs[1]).toEqual({ name: 'push-marketo', ready: false, reason: 'never succeeded (first run in progress)' });
  });

  it('serves /metrics in the Prometheus text format with the daemon\'s values', async () => {
    const current = structuredClone(status);
    current.jobs[0]!.lastSuccessAt = ago(120 * MIN);
    current.jobs.push({ name: 'push-shopify', lastSuccessAt: null, lastFailureAt: ago(MIN), maxAgeMs: 30 * MIN, running: false, missedTicks: 0, lateRuns: 0 });
    const port = await start(() => current);
    const res = await request(port, 'GET', '/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const exposition = parseExposition(res.body);

    expect(Object.fromEntries(exposition.types)).toEqual({
      segsync_runs_total: 'counter',
      segsync_run_failures_total: 'counter',
      segsync_api_requests_total: 'counter',
      segsync_api_throttled_total: 'counter',
      segsync_api_retries_total: 'counter',
      segsync_job_last_success_timestamp_seconds: 'gauge',
      segsync_job_running: 'gauge',
      segsync_job_missed_ticks_total: 'counter',
      segsync_job_late_runs_total: 'counter',
      segsync_job_ready: 'gauge',
    });
    for (const name of exposition.types.keys()) expect(exposition.helps.get(name), `HELP for ${name}`).toBeTruthy();

    expect(sample(exposition, 'segsync_runs_total')).toBe(17);
    expect(sample(exposition, 'segsync_run_failures_total')).toBe(2);
    expect(sample(exposition, 'segsync_api_requests_total')).toBe(1234);
    expect(sample(exposition, 'segsync_api_throttled_total')).toBe(5);
    expect(sample(exposition, 'segsync_api_retries_total')).toBe(7);

    expect(sample(exposition, 'segsync_job_last_success_timestamp_seconds', 'pull-hubspot')).toBe((NOW - 120 * MIN) / 1000);
    expect(sample(exposition, 'segsync_job_last_success_timestamp_seconds', 'push-marketo')).toBe((NOW - 5 * MIN) / 1000);
    expect(sample(exposition, 'segsync_job_last_success_timestamp_seconds', 'push-shopify')).toBeUndefined();

    expect(sample(exposition, 'segsync_job_running', 'pull-hubspot')).toBe(0);
    expect(sample(exposition, 'segsync_job_running', 'push-marketo')).toBe(1);
    expect(sample(exposition, 'segsync_job_running', 'push-shopify')).toBe(0);

    // Missed ticks are counted, and so are the late runs that made them up.
    expect(sample(exposition, 'segsync_job_missed_ticks_total', 'push-marketo')).toBe(3);
    expect(sample(exposition, 'segsync_job_late_runs_total', 'push-marketo')).toBe(1);
    expect(sample(exposition, 'segsync_job_missed_ticks_total', 'pull-hubspot')).toBe(0);

    expect(sample(exposition, 'segsync_job_ready', 'pull-hubspot')).toBe(0);
    expect(sample(exposition, 'segsync_job_ready', 'push-marketo')).toBe(1);
    expect(sample(exposition, 'segsync_job_ready', 'push-shopify')).toBe(0);
  });

  it('escapes backslashes, quotes and line feeds in job labels', async () => {
    const name = 'pull "hub\\spot"\nnight';
    const current: HealthStatus = {
      jobs: [{ name, lastSuccessAt: ago(MIN), lastFailureAt: null, maxAgeMs: 30 * MIN, running: false, missedTicks: 0, lateRuns: 0 }],
      counters: { runs: 0, failures: 0, requests: 0, throttled: 0, retries: 0 },
    };
    const port = await start(() => current);
    const res = await request(port, 'GET', '/metrics');
    expect(res.body).toContain('segsync_job_running{job="pull \\"hub\\\\spot\\"\\nnight"} 0\n');
    const exposition = parseExposition(res.body);
    expect(exposition.samples.filter((s) => s.name === 'segsync_job_ready').map((s) => s.labels.job)).toEqual([name]);
  });

  it('answers 404 for unknown paths and 405 for other methods', async () => {
    const port = await start();
    expect((await request(port, 'GET', '/nope')).status).toBe(404);
    expect((await request(port, 'GET', '/')).status).toBe(404);
    expect((await request(port, 'GET', '/metrics?format=text')).status).toBe(200);
    for (const path of ['/healthz', '/readyz', '/metrics']) {
      const res = await request(port, 'POST', path);
      expect(res.status).toBe(405);
      expect(res.headers.allow).toBe('GET');
    }
    expect((await request(port, 'DELETE', '/readyz')).status).toBe(405);
  });

  it('answers 500, and stays alive, when the daemon\'s status cannot be read', async () => {
    const port = await start(() => {
      throw new Error('store is closed');
    });
    const res = await request(port, 'GET', '/readyz');
    expect(res.status).toBe(500);
    expect(JSON.parse(res.body).message).toContain('store is closed');
    expect((await request(port, 'GET', '/healthz')).status).toBe(200);
  });

  it('binds 127.0.0.1 by default', async () => {
    const listen = vi.spyOn(net.Server.prototype, 'listen');
    const port = await start();
    expect(listen).toHaveBeenCalledTimes(1);
    expect(listen.mock.calls[0]![1]).toBe('127.0.0.1');
    // And it is not reachable on the machine's other addresses, where it has one.
    const external = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
    if (external) {
      const reached = await new Promise<boolean>((resolve) => {
        const socket = net.connect({ host: external, port }, () => {
          socket.destroy();
          resolve(true);
        });
        socket.on('error', () => resolve(false));
      });
      expect(reached).toBe(false);
    }
  });
});
