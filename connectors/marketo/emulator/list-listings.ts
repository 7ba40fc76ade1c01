/**
 * The two ways Marketo lists its static lists: the lead database's Get Lists
 * (`GET /rest/v1/lists.json`, shape of the recorded lists_page_with_nextPageToken.json: id, name,
 * workspaceName, dates like `2017-08-30T18:31:28Z`, paged by nextPageToken) and the asset API's
 * Get Static Lists (`GET /rest/asset/v1/staticLists.json`, items like the recorded by-name answer,
 * paged by offset and maxReturn, an empty page a success with a warning). Parameters as in
 * swagger-mapi.json / swagger-asset.json; where they are silent the choice is marked CHOSEN.
 */
import { assetNotFound, assetOk, fail, formParams, intParam, isoZ, leadDbOk, listParam, offsetToken, readOffsetToken, type Ctx, type Reply } from './http-support.js';
import type { MarketoState, StaticList } from './state.js';

/** Get Lists: batchSize default and maximum 300. */
const MAX_BATCH = 300;
/** Get Static Lists: maxReturn default 20, maximum 200. */
const DEFAULT_MAX_RETURN = 20;
const MAX_RETURN = 200;

/** Lists oldest first (by id), as both endpoints page through them. */
function allLists(state: MarketoState): StaticList[] {
  return [...state.lists.values()].sort((a, b) => a.id - b.id);
}

/** GET /rest/v1/lists.json?id=&name=&programName=&workspaceName=&batchSize=&nextPageToken= */
export function getLists(state: MarketoState, ctx: Ctx): Reply {
  const params = formParams(ctx);
  const ids = new Set(listParam(params, 'id').map(Number));
  const names = new Set(listParam(params, 'name'));
  const programs = listParam(params, 'programName');
  const workspaces = listParam(params, 'workspaceName');
  const batchSize = intParam(params, 'batchSize', MAX_BATCH, MAX_BATCH);
  const offset = readOffsetToken('lists', params.get('nextPageToken'));
  // CHOSEN: static lists made through the asset API sit in folders, not programs: a programName filter matches none.
  const matching = allLists(state).filter((l) =>
    (ids.size === 0 || ids.has(l.id)) &&
    (names.size === 0 || names.has(l.name)) &&
    programs.length === 0 &&
    (workspaces.length === 0 || workspaces.includes('Default')));
  const page = matching.slice(offset, offset + batchSize).map((l) => ({
    id: l.id,
    name: l.name,
    ...(l.description ? { description: l.description } : {}),
    workspaceName: 'Default',
    createdAt: isoZ(l.createdMs),
    updatedAt: isoZ(l.updatedMs),
  }));
  const more = offset + batchSize < matching.length;
  return leadDbOk(state.now(), page, more ? { nextPageToken: offsetToken('lists', offset + batchSize) } : {});
}

function folderFilter(raw: string | null): { id: number; type: string } | undefined {
  if (raw === null || raw === '') return undefined;
  let ref: unknown;
  try {
    ref = JSON.parse(raw);
  } catch {
    fail('1003', 'Invalid folder: expected a JSON object like {"id":12,"type":"Folder"}');
  }
  const r = ref as { id?: unknown; type?: unknown } | null;
  if (!r || typeof r.id !== 'number' || (r.type !== 'Folder' && r.type !== 'Program')) fail('1003', 'Invalid folder: expected a JSON object like {"id":12,"type":"Folder"}');
  return { id: r.id, type: r.type };
}

function dateParam(raw: string | null, name: string): number | undefined {
  if (raw === null || raw === '') return undefined;
  const ms = Date.parse(raw);
  if (!Number.isFinite(ms)) fail('1003', `Invalid ${name}: expected a date-time like 2026-01-01T00:00:00Z`);
  return ms;
}

/** GET /rest/asset/v1/staticLists.json?folder=&offset=&maxReturn=&earliestUpdatedAt=&latestUpdatedAt= */
export function browseStaticLists(state: MarketoState, ctx: Ctx, listJson: (list: StaticList) => Record<string, unknown>): Reply {
  const params = formParams(ctx);
  const folder = folderFilter(params.get('folder'));
  const rawOffset = params.get('offset');
  if (rawOffset !== null && rawOffset !== '' && !/^\d+$/.test(rawOffset)) fail('1001', `Invalid value '${rawOffset}'. Required of type 'Integer'`);
  const offset = rawOffset ? Number(rawOffset) : 0;
  const maxReturn = intParam(params, 'maxReturn', DEFAULT_MAX_RETURN, MAX_RETURN);
  const earliest = dateParam(params.get('earliestUpdatedAt'), 'earliestUpdatedAt');
  const latest = dateParam(params.get('latestUpdatedAt'), 'latestUpdatedAt');
  const page = allLists(state)
    .filter((l) => (!folder || (l.folder.id === folder.id && l.folder.type === folder.type)) &&
      (earliest === undefined || l.updatedMs >= earliest) &&
      (latest === undefined || l.updatedMs <= latest))
    .slice(offset, offset + maxReturn);
  return page.length > 0 ? assetOk(state.now(), page.map(listJson)) : assetNotFound(state.now());
}
