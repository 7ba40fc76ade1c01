import { describe, expect, it } from 'vitest';
import { createAlerter, type AlertMessage } from '../../src/scheduler/alerts.js';

const SECRET_PATH = '/services/T000/B000/XXXXsecretXXXX';
const WEBHOOK = `https://hooks.example.com${SECRET_PATH}`;
const HOUR = 60 * 60 * 1000;

interface Call {
  url: string;
  method: string | undefined;
  contentType: string | null;
  body: AlertMessage;
}

function world(answer: (url: string) => Response | Promise<Response> = () => new Response('ok', { status: 200 })) {
  const calls: Call[] = [];
  const logs: Array<{ level: 'warn' | 'info'; o: object; m: string }> = [];
  let clock = Date.parse('2025-03-01T10:00:00Z');
  const fetchImpl = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input);
    calls.push({
      url,
      method: init?.method,
      contentType: new Headers(init?.headers).get('content-type'),
      body: JSON.parse(String(init?.body)) as AlertMessage,
    });
    return answer(url);
  }) as typeof fetch;
  const log = {
    warn: (o: object, m: string) => logs.push({ level: 'warn', o, m }),
    info: (o: object, m: string) => logs.push({ level: 'info', o, m }),
  };
  const alerter = createAlerter({ webhookUrl: WEBHOOK, fetchImpl, log, now: () => clock });
  return {
    alerter,
    calls,
    logs,
    advance: (ms: number) => {
      clock += ms;
    },
    logText: () => JSON.stringify(logs),
  };
}

describe('alerts', () => {
  it('posts one job_failed message as JSON when a job fails', async () => {
    const w = world();
    await w.alerter.runFinished('pull-hubspot', false, { error: 'hubspot: token expired', runId: 12, at: '2025-03-01T10:00:00.000Z' });
    expect(w.calls).toHaveLength(1);
    const call = w.calls[0]!;
    expect(call.url).toBe(WEBHOOK);
    expect(call.method).toBe('POST');
    expect(call.contentType).toBe('application/json');
    expect(call.body).toMatchObject({
      source: 'segsync',
      event: 'job_failed',
      job: 'pull-hubspot',
      runId: 12,
      at: '2025-03-01T10:00:00.000Z',
      error: 'hubspot: token expired',
    });
    expect(call.body.text).toBe('segsync: job pull-hubspot failed (run 12): hubspot: token expired');
  });

  it('stays quiet on a second failure within the hour, and repeats once the hour has passed', async () => {
    const w = world();
    await w.alerter.runFinished('pull-hubspot', false, { error: 'boom' });
    w.advance(10 * 60 * 1000);
    await w.alerter.runFinished('pull-hubspot', false, { error: 'boom' });
    w.advance(49 * 60 * 1000);
    await w.alerter.runFinished('pull-hubspot', false, { error: 'boom' });
    expect(w.calls).toHaveLength(1);
    w.advance(HOUR);
    await w.alerter.runFinished('pull-hubspot', false, { error: 'boom' });
    expect(w.calls).toHaveLength(2);
    expect(w.calls[1]!.body).toMatchObject({ event: 'job_failed', consecutiveFailures: 4 });
    expect(w.calls[1]!.body.text).toContain('still failing (4 runs in a row)');
  });

  it('announces each job on its own', async () => {
    const w = world();
    await w.alerter.runFinished('pull-hubspot', false);
    await w.alerter.runFinished('push-marketo', false);
    expect(w.calls.map((c) => c.body.job)).toEqual(['pull-hubspot', 'push-marketo']);
  });

  it('posts job_recovered on the first success after a failure, and a new failure is announced again', async () => {
    const w = world();
    await w.alerter.runFinished('pull-hubspot', false, { error: 'boom' });
    await w.alerter.runFinished('pull-hubspot', false, { error: 'boom' });
    await w.alerter.runFinished('pull-hubspot', true, { runId: 14 });
    expect(w.calls).toHaveLength(2);
    expect(w.calls[1]!.body).toMatchObject({ source: 'segsync', event: 'job_recovered', job: 'pull-hubspot', runId: 14 });
    expect(w.calls[1]!.body.text).toBe('segsync: job pull-hubspot recovered (run 14) after 2 failed runs');
    await w.alerter.runFinished('pull-hubspot', true);
    expect(w.calls).toHaveLength(2);
    await w.alerter.runFinished('pull-hubspot', false);
    expect(w.calls).toHaveLength(3);
    expect(w.calls[2]!.body.event).toBe('job_failed');
  });

  it('sends nothing for a success after a success', async () => {
    const w = world();
    await w.alerter.runFinished('pull-hubspot', true);
    await w.alerter.runFinished('pull-hubspot', true);
    expect(w.calls).toHaveLength(0);
  });

  it('logs a warning naming only the host when the webhook answers 500, and does not throw', async () => {
    const w = world(() => new Response('oops', { status: 500 }));
    await expect(w.alerter.runFinished('pull-hubspot', false, { error: 'boom' })).resolves.toBeUndefined();
    const warnings = w.logs.filter((l) => l.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.m).toContain('hooks.example.com');
    expect(warnings[0]!.m).toContain('500');
    expect(warnings[0]!.o).toMatchObject({ webhookHost: 'hooks.example.com', status: 500 });
    expect(w.logText()).not.toContain(SECRET_PATH);
    expect(w.logText()).not.toContain('XXXXsecretXXXX');
  });

  it('tries an undelivered failure message again on the next failure', async () => {
    let status = 500;
    const w = world(() => new Response(null, { status }));
    await w.alerter.runFinished('pull-hubspot', false);
    status = 200;
    await w.alerter.runFinished('pull-hubspot', false);
    expect(w.calls).toHaveLength(2);
    await w.alerter.runFinished('pull-hubspot', false);
    expect(w.calls).toHaveLength(2);
  });

  it('logs a warning without the URL when fetch throws, even if the error quotes it', async () => {
    const w = world((url) => {
      throw new TypeError('fetch failed', { cause: new Error(`connect ECONNREFUSED for ${url}`) });
    });
    await expect(w.alerter.runFinished('pull-hubspot', false)).resolves.toBeUndefined();
    await expect(w.alerter.runFinished('pull-hubspot', true)).resolves.toBeUndefined();
    const warnings = w.logs.filter((l) => l.level === 'warn');
    expect(warnings).toHaveLength(2);
    expect(warnings[0]!.m).toContain('hooks.example.com');
    expect(warnings[0]!.m).toContain('ECONNREFUSED');
    expect(w.logText()).not.toContain(SECRET_PATH);
    expect(w.logText()).not.toContain('XXXXsecretXXXX');
  });

  it('gives up on a webhook that does not answer in time', async () => {
    const logs: string[] = [];
    const fetchImpl = ((_url: string, init?: RequestInit) =>
      new Promise<Response>((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
      })) as typeof fetch;
    const alerter = createAlerter({
      webhookUrl: WEBHOOK,
      fetchImpl,
      timeoutMs: 50,
      log: { warn: (o, m) => logs.push(m + JSON.stringify(o)), info: () => undefined },
    });
    await expect(alerter.runFinished('pull-hubspot', false)).resolves.toBeUndefined();
    expect(logs).toHaveLength(1);
    expect(logs[0]).toContain('no answer within 50 ms');
    expect(logs[0]).not.toContain(SECRET_PATH);
  });

  it('does nothing without a webhook URL', async () => {
    let called = false;
    const alerter = createAlerter({
      fetchImpl: (async () => {
        called = true;
        return new Response(null);
      }) as typeof fetch,
      log: { warn: () => undefined, info: () => undefined },
    });
    await alerter.runFinished('pull-hubspot', false);
    await alerter.runFinished('pull-hubspot', true);
    expect(called).toBe(false);
  });

  it('refuses a malformed webhook URL without echoing it', () => {
    const log = { warn: () => undefined, info: () => undefined };
    expect(() => createAlerter({ webhookUrl: 'not a url secret123', log })).toThrow(/not a valid URL/);
    expect(() => createAlerter({ webhookUrl: 'not a url secret123', log })).not.toThrow(/secret123/);
  });
});
