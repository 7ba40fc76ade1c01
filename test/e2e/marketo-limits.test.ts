import { afterEach, describe, expect, it } from 'vitest';
import { MarketoClient } from '../../connectors/marketo/client.js';
import { marketoConfigFromEnv } from '../../connectors/marketo/config.js';
import { LeadsPageSchema } from '../../connectors/marketo/schemas.js';
import { pull, push, segment } from '../../src/pipeline/run.js';
import { CLIENT_SECRET, marketoWorld, signal, type MarketoWorld } from '../helpers/marketo-world.js';
import { failure } from '../helpers/api-failure.js';

let world: MarketoWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});


describe('Marketo limits, seen from a whole run', () => {
  it('a full sync under Marketo\'s limits (scaled: 100 calls per rolling second, 10 in flight, 2 s tokens) never gets 606, 615 or 602', async () => {
    world = await marketoWorld({
      size: 150,
      emulator: { rateLimit: { max: 100, intervalMs: 1_000 }, maxConcurrent: 10, latencyMs: 2, tokenLifetimeSeconds: 2 },
      env: { MARKETO_RATE_LIMIT: '100', MARKETO_RATE_WINDOW_MS: '1000' },
    });
    const session = world.open();
    await pull(session, { full: true, signal });
    segment(session);
    const result = await push(session, { dryRun: false, allowMassRemoval: false, signal });
    expect(result.destinations[0]!.applied!.failed).toEqual([]);
    const log = world.emulator.requests;
    // More calls than one window allows: the limiter had to pace them.
    const rest = log.filter((r) => !r.path.startsWith('/identity/'));
    expect(rest.length).toBeGreaterThan(200);
    expect(log.filter((r) => r.code === '606' || r.code === '615' || r.code === '602')).toEqual([]);
    expect(session.connectors[0]!.connector.transport.stats).toMatchObject({ throttled: 0, retries: 0 });
    // The 2 s tokens were renewed before they expired.
    expect(log.filter((r) => r.path.startsWith('/identity/')).length).toBeGreaterThan(1);
  });

  it('the client never has more than 10 calls in flight, so a burst of 40 reads gets no 615', async () => {
    world = await marketoWorld({ size: 40, emulator: { latencyMs: 25, maxConcurrent: 10 } });
    // The emulator really refuses an 11th concurrent call (control).
    const token = (await (await fetch(`${world.url}/identity/oauth/token?grant_type=client_credentials&client_id=e2e-marketo-client&client_secret=${CLIENT_SECRET}`)).json()) as { access_token: string };
    const raw = await Promise.all(
      Array.from({ length: 12 }, () => fetch(`${world!.url}/rest/v1/leads.json?filterType=id&filterValues=1`, { headers: { authorization: `Bearer ${token.access_token}` } }).then((r) => r.json() as Promise<{ errors?: Array<{ code: string }> }>)),
    );
    expect(raw.filter((r) => r.errors?.[0]?.code === '615').length).toBeGreaterThan(0);
    world.emulator.resetRequestLog();
    const client = new MarketoClient(marketoConfigFromEnv(world.env)!);
    const pages = await Promise.all(
      Array.from({ length: 40 }, (_, i) => client.request({ method: 'GET', path: '/rest/v1/leads.json', qs: { filterType: 'id', filterValues: String(i + 1) }, schema: LeadsPageSchema, write: false })),
    );
    expect(pages.every((p) => p.success)).toBe(true);
    expect(world.emulator.requests.filter((r) => r.code === '615')).toEqual([]);
  });

  it('an access token that expires mid-run is replaced and the call retried once', async () => {
    world = await marketoWorld({ size: 120 });
    const session = world.open();
    let served = 0;
    world.emulator.onRequest = ({ path }) => {
      if (!path.startsWith('/identity/') && ++served === 25) world!.emulator.expireTokens();
    };
    const result = await pull(session, { full: true, signal });
    world.emulator.onRequest = undefined;
    expect(result.streams.find((s) => s.stream === 'contacts')!.stored).toBe(world.emulator.listLeads().length);
    const log = world.emulator.requests;
    const expired = log.findIndex((r) => r.code === '602');
    expect(expired).toBeGreaterThan(0);
    expect(log.filter((r) => r.code === '602')).toHaveLength(1);
    // 602 → a new token → the same call again, which succeeds.
    expect(log[expired + 1]!.path).toMatch(/^\/identity\/oauth\/token/);
    expect(log[expired + 2]!.path.split('?')[0]).toBe(log[expired]!.path.split('?')[0]);
    expect(log[expired + 2]!.code).toBeUndefined();
    expect(session.connectors[0]!.connector.transport.stats.retries).toBe(0);
  });

  it('injected faults mid-pull (a 606, a 502, a reset) are retried and the pull completes', async () => {
    world = await marketoWorld({ size: 120, env: { MARKETO_RATE_WINDOW_MS: '300' } });
    world.emulator.injectFault({ match: /^GET \/bulk\/v1\/leads\/export\/[^/]+\/status\.json/, status: 200, body: { requestId: 'f1', success: false, errors: [{ code: '606', message: "Max rate limit '100' exceeded with in '20' secs" }] } });
    world.emulator.injectFault({ match: /^GET \/bulk\/v1\/leads\/export\/[^/]+\/file\.json/, status: 502, body: '<html>Bad Gateway</html>' });
    world.emulator.injectFault({ match: /^GET \/rest\/v1\/opportunities\/roles\.json/, status: 0 });
    const session = world.open();
    const result = await pull(session, { full: true, signal });
    expect(result.streams.find((s) => s.stream === 'contacts')!.stored).toBe(world.emulator.listLeads().length);
    expect(session.connectors[0]!.connector.transport.stats).toMatchObject({ retries: 3, throttled: 1 });
  });

  it('bad client credentials fail as an auth error that names the fix and never shows the secret', async () => {
    world = await marketoWorld({ size: 20, env: { MARKETO_CLIENT_SECRET: 'wrong-secret-value-123' } });
    const session = world.open();
    const error = await failure(pull(session, { full: true, signal }));
    expect(error.kind).toBe('auth');
    expect(error.status).toBe(401);
    expect(error.message).toContain('MARKETO_CLIENT_SECRET');
    expect(error.message).not.toContain('wrong-secret-value-123');
    expect(JSON.stringify(world.emulator.requests)).not.toContain('wrong-secret-value-123');
    const runs = session.db.prepare('SELECT * FROM stream_cursors').all();
    expect(JSON.stringify(runs)).not.toContain('wrong-secret-value-123');
  });

  it('when the API user may not create fields (603), the push stops naming every field an admin must create, with its type', async () => {
    world = await marketoWorld({ size: 60, emulator: { allowFieldCreation: false } });
    const session = world.open();
    await pull(session, { full: true, signal });
    segment(session);
    const error = await failure(push(session, { dryRun: false, allowMassRemoval: false, signal }));
    expect(error.kind).toBe('auth');
    for (const field of ['segsyncRfmSegment (String', 'segsyncRfmScore (String', 'segsyncRfmR (Integer', 'segsyncRfmF (Integer', 'segsyncRfmM (Integer', 'segsyncSegments (String']) {
      expect(error.message).toContain(field);
    }
    expect(world.emulator.customFields()).toEqual({});
  });
});
