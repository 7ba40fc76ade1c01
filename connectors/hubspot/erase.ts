import type { EraseResult } from '../../src/domain/connector.js';
import { ApiError } from '../../src/http/errors.js';
import type { HubSpotClient } from './client.js';

/**
 * HubSpot's GDPR delete (`POST /crm/v3/objects/contacts/gdpr-delete {"objectId": id}` → 204):
 * the contact and everything associated with it are permanently deleted. One contact per call.
 * A contact HubSpot does not have (404) is already gone: nothing left to erase there.
 */
export async function eraseHubSpotContacts(client: HubSpotClient, externalIds: readonly string[]): Promise<EraseResult> {
  const result: EraseResult = { erased: [], absent: [], failed: [] };
  for (const id of externalIds) {
    try {
      await client.request({ method: 'POST', path: '/crm/v3/objects/contacts/gdpr-delete', body: { objectId: id }, write: true });
      result.erased.push(id);
    } catch (error) {
      if (error instanceof ApiError && error.kind === 'not_found') result.absent.push(id);
      else if (error instanceof ApiError && error.kind === 'bad_request') result.failed.push({ externalId: id, reason: error.detail });
      else throw error;
    }
  }
  return result;
}
