import type { EraseResult } from '../../src/domain/connector.js';
import type { MarketoClient } from './client.js';
import { RecordResultsSchema } from './schemas.js';

/** Delete Leads takes at most 300 ids per call, like every lead database write. */
const DELETE_BATCH = 300;

/**
 * Marketo's Delete Leads (`POST /rest/v1/leads/delete.json {"input":[{"id":n}]}`): each result is
 * `deleted`, or `skipped` with reason 1004 "Lead not found" for a lead Marketo does not have
 * (already gone: nothing left to erase). Results come in input order.
 */
export async function eraseMarketoLeads(client: MarketoClient, externalIds: readonly string[]): Promise<EraseResult> {
  const result: EraseResult = { erased: [], absent: [], failed: [] };
  for (let i = 0; i < externalIds.length; i += DELETE_BATCH) {
    const ids = externalIds.slice(i, i + DELETE_BATCH);
    const data = await client.request({
      method: 'POST',
      path: '/rest/v1/leads/delete.json',
      json: { input: ids.map((id) => ({ id: Number(id) })) },
      schema: RecordResultsSchema,
      write: true,
    });
    const results = data.result ?? [];
    ids.forEach((id, k) => {
      const r = results.find((x) => x.id !== undefined && String(x.id) === id) ?? results[k];
      if (r?.status === 'deleted') result.erased.push(id);
      else if (r?.reasons?.some((reason) => reason.code === '1004')) result.absent.push(id);
      else {
        const why = r?.reasons?.map((reason) => `${reason.code} ${reason.message}`).join('; ') || r?.status || 'Marketo sent no result for this lead';
        result.failed.push({ externalId: id, reason: why });
      }
    });
  }
  return result;
}
