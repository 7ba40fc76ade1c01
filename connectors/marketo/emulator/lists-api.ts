/**
 * Static lists (Asset API: by name, create, by id, delete), folders (by name, create) and list
 * membership (lead database: add, remove, members, ismember). Asset answers carry `errors: []`
 * and `warnings: []`, dates like `2021-11-23T22:57:24Z+0000`, and a lookup that finds nothing is
 * a success with a warning (all recorded). Where the docs are silent the choice is marked CHOSEN.
 */
import {
  assetNotFound,
  assetOk,
  fail,
  formParams,
  intParam,
  isoAsset,
  leadDbOk,
  listParam,
  offsetToken,
  parseJsonBody,
  readOffsetToken,
  type Ctx,
  type Reply,
} from './http-support.js';
import type { LeadsApi } from './leads-api.js';
import { ACTIVITY, type Folder, type MarketoState, type StaticList } from './state.js';

const MAX_MEMBERS_PER_CALL = 300;

function parseFolderRef(raw: string | null, name: string): { id: number; type: string } {
  if (!raw) fail('701', `${name} cannot be blank`);
  let ref: unknown;
  try {
    ref = JSON.parse(raw);
  } catch {
    fail('1003', `Invalid ${name}: expected a JSON object like {"id":12,"type":"Folder"}`);
  }
  const r = ref as { id?: unknown; type?: unknown } | null;
  if (!r || typeof r.id !== 'number' || (r.type !== 'Folder' && r.type !== 'Program')) {
    fail('1003', `Invalid ${name}: expected a JSON object like {"id":12,"type":"Folder"}`);
  }
  return { id: r.id, type: r.type };
}

export class ListsApi {
  constructor(
    private readonly state: MarketoState,
    private readonly leads: LeadsApi,
    /** Host of computedUrl links. */
    private readonly appHost: string,
  ) {}

  private now(): number {
    return this.state.now();
  }

  listJson(list: StaticList): Record<string, unknown> {
    return {
      id: list.id,
      name: list.name,
      ...(list.description ? { description: list.description } : {}),
      createdAt: isoAsset(list.createdMs),
      updatedAt: isoAsset(list.updatedMs),
      folder: list.folder,
      computedUrl: `https://${this.appHost}/#ST${list.id}A1`,
      workspace: 'Default',
    };
  }

  folderJson(f: Folder): Record<string, unknown> {
    return {
      name: f.name,
      description: f.description,
      createdAt: isoAsset(f.createdMs),
      updatedAt: isoAsset(f.updatedMs),
      url: null,
      folderId: { id: f.id, type: 'Folder' },
      folderType: f.folderType,
      parent: f.parent,
      path: f.path,
      isArchive: false,
      isSystem: f.isSystem,
      accessZoneId: 1,
      workspace: 'Default',
      id: f.id,
    };
  }

  // ---------------------------------------------------------------- asset API

  /** GET /rest/asset/v1/staticList/byName.json?name= (exact match) */
  byName(ctx: Ctx): Reply {
    const name = formParams(ctx).get('name');
    if (!name) fail('701', 'name cannot be blank');
    const list = this.state.listByName(name);
    return list ? assetOk(this.now(), [this.listJson(list)]) : assetNotFound(this.now());
  }

  /** GET /rest/asset/v1/staticList/{id}.json */
  byId(id: number): Reply {
    const list = this.state.lists.get(id);
    return list ? assetOk(this.now(), [this.listJson(list)]) : assetNotFound(this.now());
  }

  /** POST /rest/asset/v1/staticLists.json (form: folder, name, description) */
  create(ctx: Ctx): Reply {
    const params = formParams(ctx);
    const name = params.get('name')?.trim();
    if (!name) fail('701', 'name cannot be blank');
    const ref = parseFolderRef(params.get('folder'), 'folder');
    if (ref.type !== 'Folder') fail('710', 'Parent Folder Not Found');
    const folder = this.state.folders.get(ref.id);
    if (!folder) fail('710', 'Parent Folder Not Found');
    if (folder.folderType !== 'List') fail('711', 'Incompatible Folder Type');
    // CHOSEN: platforms.md §5 leaves the duplicate-name error open; a business rule violation.
    if (this.state.listByName(name)) fail('709', `Static list with name '${name}' already exists`);
    const at = this.now();
    const list: StaticList = { id: this.state.nextListId++, name, description: params.get('description'), folder: { id: folder.id, type: 'Folder' }, createdMs: at, updatedMs: at, members: new Map() };
    this.state.lists.set(list.id, list);
    return assetOk(at, [this.listJson(list)]);
  }

  /** POST /rest/asset/v1/staticList/{id}/delete.json */
  delete(id: number): Reply {
    const list = this.state.lists.get(id);
    if (!list) fail('702', `Static list ${id} not found`);
    this.state.lists.delete(id);
    return assetOk(this.now(), [{ id }]);
  }

  /** GET /rest/asset/v1/folder/byName.json?name=&type= */
  folderByName(ctx: Ctx): Reply {
    const params = formParams(ctx);
    const name = params.get('name');
    if (!name) fail('701', 'name cannot be blank');
    const type = params.get('type');
    if (type && type !== 'Folder' && type !== 'Program') fail('1003', `Invalid type '${type}'`);
    const found = type === 'Program' ? [] : this.state.folderByName(name);
    return found.length > 0 ? assetOk(this.now(), found.map((f) => this.folderJson(f))) : assetNotFound(this.now());
  }

  /** POST /rest/asset/v1/folders.json (form: name, parent, description) */
  createFolder(ctx: Ctx): Reply {
    const params = formParams(ctx);
    const name = params.get('name')?.trim();
    if (!name) fail('701', 'name cannot be blank');
    const ref = parseFolderRef(params.get('parent'), 'parent');
    const parent = ref.type === 'Folder' ? this.state.folders.get(ref.id) : undefined;
    if (!parent) fail('710', 'Parent Folder Not Found');
    // CHOSEN: a sibling with the same name is a business rule violation.
    if ([...this.state.folders.values()].some((f) => f.parent?.id === parent.id && f.name === name)) fail('709', `Folder with name '${name}' already exists`);
    const at = this.now();
    const folder: Folder = {
      id: this.state.nextFolderId++,
      name,
      description: params.get('description'),
      parent: { id: parent.id, type: 'Folder' },
      folderType: parent.folderType,
      path: `${parent.path}/${name}`,
      isSystem: false,
      createdMs: at,
      updatedMs: at,
    };
    this.state.folders.set(folder.id, folder);
    return assetOk(at, [this.folderJson(folder)]);
  }

  // ---------------------------------------------------------------- lead database: membership

  private liveList(id: number): StaticList {
    const list = Number.isInteger(id) ? this.state.lists.get(id) : undefined;
    // Recorded: error_1013_static_list_not_found.json.
    if (!list) fail('1013', 'Static list not found');
    return list;
  }

  /** Lead ids from `?id=1&id=2` (recorded) or a JSON body `{"input":[{"id":1}]}`. */
  private memberIds(ctx: Ctx): number[] {
    const fromQuery = listParam(ctx.query, 'id');
    let ids: unknown[] = fromQuery;
    if (fromQuery.length === 0 && ctx.rawBody.trim() !== '') {
      const input = parseJsonBody(ctx).input;
      if (!Array.isArray(input)) fail('701', 'input cannot be blank');
      ids = input.map((r: unknown) => (r as { id?: unknown } | null)?.id);
    }
    if (ids.length === 0) fail('701', 'id cannot be blank');
    if (ids.length > MAX_MEMBERS_PER_CALL) fail('1003', `Invalid input: at most ${MAX_MEMBERS_PER_CALL} leads per call`);
    return ids.map((v) => (typeof v === 'number' ? v : /^\d+$/.test(String(v)) ? Number(v) : NaN));
  }

  /** POST /rest/v1/lists/{listId}/leads.json */
  addMembers(ctx: Ctx, listId: number): Reply {
    const list = this.liveList(listId);
    const ids = this.memberIds(ctx);
    const at = this.now();
    let changed = false;
    const result = ids.map((id) => {
      const lead = this.state.liveLead(id);
      if (!lead) return { id, status: 'skipped', reasons: [{ code: '1004', message: 'Lead not found' }] };
      // CHOSEN: adding a lead that is already a member answers "added" (membership is a set).
      if (!list.members.has(id)) {
        list.members.set(id, at);
        changed = true;
        this.state.log({ leadId: id, typeId: ACTIVITY.addToList, primaryAttributeValueId: list.id, primaryAttributeValue: list.name, attributes: [{ name: 'Source', value: 'Web service API' }] });
      }
      return { id, status: 'added' };
    });
    if (changed) list.updatedMs = at;
    return leadDbOk(at, result);
  }

  /** DELETE /rest/v1/lists/{listId}/leads.json?id=... */
  removeMembers(ctx: Ctx, listId: number): Reply {
    const list = this.liveList(listId);
    const ids = this.memberIds(ctx);
    const at = this.now();
    const result = ids.map((id) => {
      if (!this.state.liveLead(id)) return { id, status: 'skipped', reasons: [{ code: '1004', message: 'Lead not found' }] };
      if (!list.members.delete(id)) return { id, status: 'skipped', reasons: [{ code: '1015', message: 'Lead not in list' }] };
      this.state.log({ leadId: id, typeId: ACTIVITY.removeFromList, primaryAttributeValueId: list.id, primaryAttributeValue: list.name, attributes: [{ name: 'Source', value: 'Web service API' }] });
      return { id, status: 'removed' };
    });
    list.updatedMs = at;
    return leadDbOk(at, result);
  }

  /** GET /rest/v1/lists/{listId}/leads.json (and the recorded singular /list/) */
  members(ctx: Ctx, listId: number): Reply {
    const list = this.liveList(listId);
    const params = formParams(ctx);
    const fields = this.leads.requestedFields(params);
    const batchSize = intParam(params, 'batchSize', 300, 300);
    const offset = readOffsetToken('members', params.get('nextPageToken'));
    const ids = [...list.members.keys()].filter((id) => this.state.liveLead(id)).sort((a, b) => a - b);
    const slice = ids.slice(offset, offset + batchSize).map((id) => this.leads.leadJson(this.state.liveLead(id)!, fields));
    const more = offset + batchSize < ids.length;
    return leadDbOk(this.now(), slice, more ? { nextPageToken: offsetToken('members', offset + batchSize) } : {});
  }

  /** GET /rest/v1/lists/{listId}/leads/ismember.json?id= */
  isMember(ctx: Ctx, listId: number): Reply {
    const list = this.liveList(listId);
    const ids = this.memberIds(ctx);
    const result = ids.map((id) =>
      !this.state.liveLead(id)
        ? { id, status: 'skipped', reasons: [{ code: '1004', message: 'Lead not found' }] }
        : { id, status: list.members.has(id) ? 'memberof' : 'notmemberof' },
    );
    return leadDbOk(this.now(), result);
  }
}
