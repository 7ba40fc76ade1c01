/**
 * The engagement stream of Shopify: abandoned checkouts (`abandonedCheckouts`, Admin GraphQL
 * 2024-10+, which replaces REST checkouts.json), each an EngagementEvent on channel
 * `checkout_abandoned` keyed by the checkout's id, dated when the checkout was created, for the
 * customer it names. Checkouts without a customer (a guest who left only an email) name nobody
 * segsync can join and are skipped. Shopify lists recovered checkouts too (completedAt set): each
 * was abandoned once, so each counts.
 *
 * Incremental by updatedAt: every read asks for checkouts updated since the cursor (less the
 * lookback), sorted by id (AbandonedCheckoutSortKeys has no UPDATED_AT), so the cursor moves
 * only after the last page: a read that stops half way asks again from the old cursor, and the
 * events it stored already are replaced, not doubled (primary key platform + checkout id).
 */
import { z } from 'zod';
import type { JsonValue, ReadContext, SourcePage, SourceStream } from '../../src/domain/connector.js';
import type { EngagementEvent } from '../../src/domain/records.js';
import { parseStrictDate } from '../../src/domain/dates.js';
import { ApiError } from '../../src/http/errors.js';
import type { ShopifyClient } from './client.js';
import { ABANDONED_CHECKOUTS_PAGE } from './documents.js';
import { ConnectionSchema } from './schemas.js';

const CheckoutsPageSchema = z.object({ abandonedCheckouts: ConnectionSchema });
const CheckoutNodeSchema = z.looseObject({
  id: z.string().regex(/^gid:\/\/shopify\/AbandonedCheckout\/\d+$/),
  createdAt: z.string(),
  updatedAt: z.string(),
  customer: z.object({ id: z.string().regex(/^gid:\/\/shopify\/Customer\/\d+$/) }).nullable().optional(),
});
const CursorSchema = z.object({ since: z.number() });

export const CHECKOUTS_DENIED_WARNING =
  'Shopify: abandoned checkouts were not read: Shopify refused them (they need the read_orders scope and, for a staff ' +
  'member\'s token, the manage_abandoned_checkouts permission). Contacts and orders are unaffected; grant the access to read them.';

function updatedSince(ms: number): string {
  return `updated_at:>='${new Date(Math.floor(Math.max(0, ms) / 1000) * 1000).toISOString().replace('.000Z', 'Z')}'`;
}

function page(cursor: JsonValue, mode: 'full' | 'incremental'): SourcePage {
  return { contacts: [], purchases: [], quarantined: [], events: [], received: 0, cursor, mode };
}

export function createCheckoutStream(client: ShopifyClient, options: { lookbackMinutes: number }): SourceStream {
  return {
    name: 'engagement',
    async *read(stored: JsonValue | undefined, context: ReadContext) {
      const parsed = CursorSchema.safeParse(stored);
      const since = context.full || !parsed.success ? null : parsed.data.since;
      const kept: JsonValue = since === null ? null : { since };
      const mode = since === null ? 'full' : 'incremental';
      const query = since === null ? null : updatedSince(since - options.lookbackMinutes * 60_000);
      let after: string | null = null;
      let maxSeen = since ?? 0;
      let skipped = 0;
      for (;;) {
        let data: z.output<typeof CheckoutsPageSchema>;
        try {
          ({ data } = await client.execute(ABANDONED_CHECKOUTS_PAGE, { first: ABANDONED_CHECKOUTS_PAGE.pageSize, after, query }, CheckoutsPageSchema, { signal: context.signal }));
        } catch (error) {
          // Refused (no read_orders, or a staff token without the permission): the rest of the pull goes on.
          if (error instanceof ApiError && error.kind === 'auth' && /abandonedCheckouts/.test(error.detail)) {
            yield { ...page(kept, mode), warnings: [CHECKOUTS_DENIED_WARNING] };
            return;
          }
          throw error;
        }
        const connection = data.abandonedCheckouts;
        const next = connection.pageInfo.hasNextPage ? connection.pageInfo.endCursor ?? null : null;
        const out = page(next === null ? null : kept, mode);
        out.received = connection.nodes.length;
        for (const raw of connection.nodes) {
          const node = CheckoutNodeSchema.safeParse(raw);
          const created = node.success ? parseStrictDate(node.data.createdAt) : Number.NaN;
          if (!node.success || !Number.isFinite(created)) {
            skipped++;
            continue;
          }
          const updated = parseStrictDate(node.data.updatedAt);
          if (Number.isFinite(updated)) maxSeen = Math.max(maxSeen, updated);
          if (!node.data.customer) continue;
          const event: EngagementEvent = {
            platform: 'shopify',
            key: node.data.id,
            contactExternalId: node.data.customer.id,
            channel: 'checkout_abandoned',
            occurredAt: new Date(created).toISOString(),
            count: 1,
          };
          out.events!.push(event);
        }
        if (connection.pageInfo.hasNextPage && !next) {
          throw new Error('shopify: AbandonedCheckoutsPage says there is a next page but gave no endCursor; cannot page on');
        }
        if (next === null) {
          out.cursor = { since: maxSeen };
          if (skipped > 0) out.warnings = [`Shopify: ${skipped} abandoned checkout(s) had no valid id or date and were skipped`];
          yield out;
          return;
        }
        yield out;
        after = next;
      }
    },
  };
}
