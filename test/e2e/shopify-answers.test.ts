/**
 * The Shopify emulator answers as a shop whose app is not approved for protected customer data,
 * or whose shop is pending termination, frozen or locked (recorded shapes), to the real
 * connector: the error a user sees names protected customer data with its documentation link, or
 * the shop's state; a push whose writes ran counts every customer written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shopify } from '../../connectors/shopify/index.js';
import { renderPush } from '../../src/cli/render.js';
import type { ConnectorDescriptor } from '../../src/domain/connector.js';
import { runDoctor } from '../../src/doctor/run.js';
import { pull, push, segment } from '../../src/pipeline/run.js';
import type { Session } from '../../src/pipeline/session.js';
import { shopifyWorld, signal, type ShopifyWorld } from '../helpers/shopify-world.js';

const DOCS = 'https://shopify.dev/docs/apps/launch/protected-customer-data';
const registry = [shopify as ConnectorDescriptor<never>];

describe('Shopify account answers from the emulator, through the real connector', () => {
  let world: ShopifyWorld;
  let session: Session;

  beforeAll(async () => {
    world = await shopifyWorld({ size: 80 });
    session = world.open();
  });
  afterAll(() => world.close());

  it('a pull by an app without protected customer data access says so, with the documentation link, not "check the token"', async () => {
    world.emulator.setProtectedCustomerData(false);
    try {
      const error = await pull(session, { full: true, signal }).then(() => undefined, (e: unknown) => e as Error);
      expect(error?.message).toContain('the app is not approved for protected customer data (Shopify: "This app is not approved to access the Customer object.');
      expect(error?.message).toContain('this is not a token or scope problem');
      expect(error?.message).toContain(DOCS);
      expect(error?.message).not.toContain('SHOPIFY_ACCESS_TOKEN');
      const report = await runDoctor({ env: world.env, registry });
      expect(report.checks).toContainEqual(expect.objectContaining({
        name: 'shopify customer data',
        status: 'fail',
        detail: expect.stringContaining('not approved for protected customer data') as string,
        fix: expect.stringContaining(DOCS) as string,
      }));
    } finally {
      world.emulator.setProtectedCustomerData(true);
    }
  });

  it('a push whose writes ran counts every customer, and warns once that Shopify would not show them back', async () => {
    await pull(session, { full: true, signal });
    segment(session);
    world.emulator.setProtectedCustomerData(false);
    try {
      world.emulator.resetRequestLog();
      const result = await push(session, { dryRun: false, allowMassRemoval: false, signal });
      const applied = result.destinations[0]!.applied!;
      expect(applied.failed).toEqual([]);
      // Every tag segsync sent is on the shop, and every one is counted.
      const tagged = world.emulator.tagChanges().filter((c) => c.change === 'added' && c.tag.startsWith('segsync:')).length;
      expect(tagged).toBeGreaterThan(0);
      expect(applied.listAdds).toBe(tagged);
      const stored = session.db.prepare("SELECT COUNT(*) AS n FROM destination_list_members WHERE destination = 'shopify'").get() as { n: number };
      expect(stored.n).toBe(tagged);
      expect(applied.warnings).toHaveLength(1);
      const shown = renderPush(result);
      expect(shown).toContain('Warning: Shopify: the app is not approved for protected customer data');
      expect(shown).toContain(DOCS);
      // Nothing is left to send: the next push has an empty plan.
      const again = await push(session, { dryRun: false, allowMassRemoval: false, signal });
      expect(again.destinations[0]!.plan.listAdds + again.destinations[0]!.plan.tokenUpdates).toBe(0);
    } finally {
      world.emulator.setProtectedCustomerData(true);
    }
  });

  it('a shop pending termination is named as such, not blamed on the mapping file', async () => {
    world.emulator.setShopState('pending-termination');
    try {
      const error = await pull(session, { full: false, signal }).then(() => undefined, (e: unknown) => e as Error);
      expect(error?.message).toMatch(/the shop is pending termination, so Shopify refuses API access to it \(Shopify: "Access denied for \w+ field\. Shop is under review\."\)/);
      expect(error?.message).not.toContain('mappings/shopify.yaml');
    } finally {
      world.emulator.setShopState(undefined);
    }
  });

  it('doctor names a frozen or a locked shop', async () => {
    for (const [state, said] of [['frozen', 'the shop is frozen'], ['locked', 'the shop is locked']] as const) {
      world.emulator.setShopState(state);
      try {
        const report = await runDoctor({ env: world.env, registry });
        expect(report.checks).toContainEqual(expect.objectContaining({ name: 'shopify shop', status: 'fail', detail: expect.stringContaining(said) as string }));
      } finally {
        world.emulator.setShopState(undefined);
      }
    }
  });
});
