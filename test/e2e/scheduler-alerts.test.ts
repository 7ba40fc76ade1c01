import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANCHOR, hubspotWorld, type HubSpotWorld } from '../helpers/sandbox.js';
import { segsync } from '../helpers/cli.js';

const SECRET_PATH = 'T0000/B0000/very-secret-webhook-path';


describe('alerts: the webhook in the schedule config hears when a job fails and when it recovers', () => {
  let world: HubSpotWorld;
  let webhook: Server;
  const received: Array<{ path: string; body: Record<string, unknown> }> = [];

  beforeAll(async () => {
    webhook = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        received.push({ path: req.url ?? '', body: JSON.parse(body) as Record<string, unknown> });
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/services/${SECRET_PATH}`;
    world = await hubspotWorld({
      size: 60,
      config: `segmentation:\n  referenceDate: ${ANCHOR.toISOString()}\nschedule:\n  alerts:\n    webhookUrl: ${url}\n  jobs:\n    - name: pull-hubspot\n      run: pull\n      platform: hubspot\n      cron: "0 3 * * *"\n`,
    });
  });
  afterAll(async () => {
    await world.close();
    await new Promise<void>((resolve) => webhook.close(() => resolve()));
  });

  it('posts job_failed when a scheduled run fails, without the webhook URL in the logs', async () => {
    const failed = await segsync(['schedule', '--once', 'pull-hubspot'], { ...world.env, HUBSPOT_ACCESS_TOKEN: 'pat-na1-rejected-token-0000' });
    expect(failed.code).toBe(1);
    expect(received).toHaveLength(1);
    expect(received[0]!.path).toBe(`/services/${SECRET_PATH}`);
    expect(received[0]!.body).toMatchObject({ source: 'segsync', event: 'job_failed', job: 'pull-hubspot' });
    expect(String(received[0]!.body.error)).toMatch(/401|rejected|authentication/i);
    expect(failed.stderr + failed.stdout).not.toContain(SECRET_PATH);
    expect(failed.stderr + failed.stdout).not.toContain('pat-na1-rejected-token-0000');
  });

  it('posts job_recovered when the next run succeeds, even from a restarted daemon', async () => {
    const ok = await segsync(['schedule', '--once', 'pull-hubspot'], world.env);
    expect(ok.code).toBe(0);
    expect(received).toHaveLength(2);
    expect(received[1]!.body).toMatchObject({ source: 'segsync', event: 'job_recovered', job: 'pull-hubspot' });
    expect(String(received[1]!.body.text)).toContain('recovered');
  });

  it('says nothing when a job that works keeps working', async () => {
    expect((await segsync(['schedule', '--once', 'pull-hubspot'], world.env)).code).toBe(0);
    expect(received).toHaveLength(2);
  });
});
