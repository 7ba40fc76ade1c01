import { describe, expect, it } from 'vitest';
import { parseAccount } from '../../src/cli/commands/sandbox.js';
import { CONNECTORS } from '../../connectors/index.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';

const SHOP_QUERY = JSON.stringify({ query: 'query Shop { shop { name } }', operationName: 'Shop' });

async function shopAnswer(sandbox: Sandbox): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${sandbox.env.SHOPIFY_SHOP_URL}/admin/api/2026-07/graphql.json`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-shopify-access-token': sandbox.env.SHOPIFY_ACCESS_TOKEN! },
    body: SHOP_QUERY,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('segsync sandbox --account', () => {
  it('reads account conditions, with the shop state and plan after a colon', () => {
    expect(parseAccount('missing-scopes, shop-state:frozen,plan:plus')).toEqual([
      { kind: 'missing-scopes' },
      { kind: 'shop-state', state: 'frozen' },
      { kind: 'plan', plan: 'plus' },
    ]);
  });

  it('refuses an unknown condition or value, naming what is allowed', () => {
    expect(() => parseAccount('bankrupt')).toThrow(/"bankrupt" is not an account condition; use one of missing-scopes, expired-token, protected-customer-data, shop-state:pending-termination\|frozen\|locked, plan:standard\|plus/);
    expect(() => parseAccount('shop-state:closed')).toThrow(/the shop state after ':' must be one of pending-termination, frozen, locked/);
    expect(() => parseAccount('missing-scopes:all')).toThrow(/is not an account condition/);
  });

  it('serves a Shopify shop on a Standard plan by default (2,000 points, 100 per second), Plus on request', async () => {
    const standard = await startSandbox({ registry: CONNECTORS, size: 10 });
    try {
      const { body } = await shopAnswer(standard);
      expect((body.extensions as { cost: { throttleStatus: unknown } }).cost.throttleStatus).toMatchObject({ maximumAvailable: 2000, restoreRate: 100 });
    } finally {
      await standard.close();
    }
    const plus = await startSandbox({ registry: CONNECTORS, size: 10, account: [{ kind: 'plan', plan: 'plus' }] });
    try {
      const { body } = await shopAnswer(plus);
      expect((body.extensions as { cost: { throttleStatus: unknown } }).cost.throttleStatus).toMatchObject({ maximumAvailable: 20_000, restoreRate: 1_000 });
    } finally {
      await plus.close();
    }
  });

  it('answers as the accounts are: HubSpot without write scopes, an expired HubSpot token, a frozen shop', async () => {
    const sandbox = await startSandbox({ registry: CONNECTORS, size: 10, pace: 'fast', account: [{ kind: 'missing-scopes' }, { kind: 'shop-state', state: 'frozen' }] });
    try {
      const headers = { authorization: `Bearer ${sandbox.env.HUBSPOT_ACCESS_TOKEN}`, 'content-type': 'application/json' };
      expect((await fetch(`${sandbox.env.HUBSPOT_BASE_URL}/crm/v3/objects/contacts?limit=1`, { headers })).status).toBe(200);
      const write = await fetch(`${sandbox.env.HUBSPOT_BASE_URL}/crm/v3/lists`, { method: 'POST', headers, body: JSON.stringify({ name: 'x', objectTypeId: '0-1', processingType: 'MANUAL' }) });
      expect(write.status).toBe(403);
      expect(await write.json()).toMatchObject({ category: 'MISSING_SCOPES', errors: [{ context: { requiredGranularScopes: ['crm.lists.write'] } }] });
      expect(await shopAnswer(sandbox)).toEqual({ status: 402, body: { errors: 'Unavailable Shop' } });
      const { MARKETO_BASE_URL: marketo, MARKETO_CLIENT_ID: id, MARKETO_CLIENT_SECRET: secret } = sandbox.env;
      const token = ((await (await fetch(`${marketo}/identity/oauth/token?grant_type=client_credentials&client_id=${id}&client_secret=${secret}`)).json()) as { access_token: string }).access_token;
      const field = await fetch(`${marketo}/rest/v1/leads/schema/fields.json`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ input: [{ name: 'segsyncX', displayName: 'segsync X', dataType: 'string' }] }),
      });
      expect(await field.json()).toMatchObject({ success: false, errors: [{ code: '603', message: 'Access denied' }] });
    } finally {
      await sandbox.close();
    }
    const expired = await startSandbox({ registry: CONNECTORS, size: 10, pace: 'fast', account: [{ kind: 'expired-token' }] });
    try {
      const answer = await fetch(`${expired.env.HUBSPOT_BASE_URL}/crm/v3/objects/contacts?limit=1`, { headers: { authorization: `Bearer ${expired.env.HUBSPOT_ACCESS_TOKEN}` } });
      expect(answer.status).toBe(401);
      expect(await answer.json()).toMatchObject({ category: 'EXPIRED_AUTHENTICATION', message: expect.stringMatching(/^The OAuth token used to make this call expired \d+ second\(s\) ago\.$/) as string });
    } finally {
      await expired.close();
    }
  });
});
