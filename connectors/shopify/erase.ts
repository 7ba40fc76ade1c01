import { z } from 'zod';
import type { EraseResult } from '../../src/domain/connector.js';
import type { ShopifyClient } from './client.js';
import { erasureDocument, mutationsPerRequest } from './documents.js';
import { MutationDataSchema, UserErrorSchema } from './schemas.js';

const ErasurePayloadSchema = z.object({
  customerId: z.string().nullable().optional(),
  userErrors: z.array(UserErrorSchema),
});

/**
 * Shopify's `customerRequestDataErasure(customerId:)`: Shopify queues the erasure of the
 * customer's personal data (it completes it within days; cancellable in the admin until then).
 * A customer the shop does not have answers the userError code DOES_NOT_EXIST: already gone.
 * Needs the `write_customer_data_erasure` access scope.
 */
export async function eraseShopifyCustomers(client: ShopifyClient, externalIds: readonly string[]): Promise<EraseResult> {
  const result: EraseResult = { erased: [], absent: [], failed: [] };
  const per = mutationsPerRequest(client.pacer.bucket?.maximumAvailable);
  for (let i = 0; i < externalIds.length; i += per) {
    const chunk = externalIds.slice(i, i + per);
    const variables: Record<string, unknown> = {};
    chunk.forEach((id, k) => (variables[`id${k}`] = id));
    const { data, errors } = await client.execute(erasureDocument(chunk.length), variables, MutationDataSchema, { partial: true });
    chunk.forEach((id, k) => {
      const alias = `e${k}`;
      const aliasErrors = errors.filter((e) => e.path?.[0] === alias);
      const payload = ErasurePayloadSchema.safeParse(data[alias]);
      if (aliasErrors.length > 0) result.failed.push({ externalId: id, reason: aliasErrors.map((e) => e.message).join('; ') });
      else if (!payload.success) result.failed.push({ externalId: id, reason: 'Shopify answered no customerRequestDataErasure result' });
      else if (payload.data.userErrors.some((e) => e.code === 'DOES_NOT_EXIST')) result.absent.push(id);
      else if (payload.data.userErrors.length > 0) {
        result.failed.push({ externalId: id, reason: payload.data.userErrors.map((e) => `${e.message}${e.code ? ` (${e.code})` : ''}`).join('; ') });
      } else result.erased.push(id);
    });
  }
  return result;
}
