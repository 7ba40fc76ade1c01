import { fieldRefusal, fieldTypeFor } from './field-types.js';
import type { Mapping } from '../../src/config/mapping.js';
import type { DiagnoseInput, DiagnosticCheck } from '../../src/domain/connector.js';
import { ApiError } from '../../src/http/errors.js';
import type { MarketoClient } from './client.js';
import { DescribeLeadsSchema, FoldersSchema, StaticListsSchema } from './schemas.js';

const IDENTITY_CALL = 'GET /identity/oauth/token';
const ROLES = 'Admin > Users & Roles';
/** Where destination.ts creates a missing list folder. */
const PARENT_FOLDER = 'Group Lists';

function failure(name: string, error: unknown, permission: string, baseUrl: string): DiagnosticCheck {
  if (!(error instanceof ApiError)) return { name, status: 'fail', detail: (error as Error)?.message ?? String(error) };
  if (error.call === IDENTITY_CALL) {
    if (error.kind === 'auth') {
      return {
        name: 'marketo credentials',
        status: 'fail',
        detail: `credentials rejected: identity answered ${error.status ?? 401} (${error.detail})`,
        fix: 'set MARKETO_CLIENT_ID and MARKETO_CLIENT_SECRET to the custom service\'s Client ID and Secret (Admin > LaunchPoint > your service > View Details)',
      };
    }
    if (error.kind === 'retryable') {
      return { name: 'marketo credentials', status: 'fail', detail: `cannot reach Marketo at ${baseUrl}: ${error.detail}`, fix: 'check MARKETO_BASE_URL (Admin > Web Services > REST API endpoint) and the network' };
    }
    return {
      name: 'marketo credentials',
      status: 'fail',
      detail: `identity at ${baseUrl}/identity answered ${error.status ?? ''} (${error.detail})`,
      fix: 'check MARKETO_BASE_URL: it must be the REST API endpoint from Admin > Web Services, like https://123-ABC-456.mktorest.com',
    };
  }
  if (error.kind === 'auth') {
    return {
      name,
      status: 'fail',
      detail: `access denied: ${error.call} answered ${error.detail}`,
      fix: `give the API user's role the ${permission} permission (${ROLES}), or check the instance's IP allowlist`,
    };
  }
  if (error.kind === 'retryable') {
    return { name, status: 'fail', detail: `cannot reach Marketo at ${baseUrl}: ${error.detail}`, fix: 'check MARKETO_BASE_URL and the network' };
  }
  return { name, status: 'fail', detail: `${error.call} failed (${error.kind}): ${error.detail}`, ...(error.hint ? { fix: error.hint } : {}) };
}

/**
 * Read-only checks: an identity token and the lead describe (credentials, lead database access,
 * token fields), the list folder and each static list by name (asset access). Marketo has no read
 * call that proves a write permission; those are named, not tested.
 */
export async function diagnoseMarketo(client: MarketoClient, mapping: Mapping, input: DiagnoseInput): Promise<DiagnosticCheck[]> {
  const baseUrl = client.config.baseUrl;
  const { signal } = input;
  const checks: DiagnosticCheck[] = [];

  let fields: Map<string, string>;
  try {
    const data = await client.request({ method: 'GET', path: '/rest/v1/leads/describe.json', schema: DescribeLeadsSchema, write: false }, signal);
    fields = new Map((data.result ?? []).flatMap((f) => (f.rest?.name ? [[f.rest.name, f.dataType] as const] : [])));
  } catch (error) {
    const check = failure('marketo permissions', error, 'Read-Write Lead', baseUrl);
    // Identity worked when the describe itself was refused: say so before the refusal.
    return check.name === 'marketo credentials' ? [check] : [{ name: 'marketo credentials', status: 'ok', detail: `identity at ${baseUrl} issued a token` }, check];
  }
  checks.push({ name: 'marketo credentials', status: 'ok', detail: `identity at ${baseUrl} issued a token; GET /rest/v1/leads/describe.json listed ${fields.size} lead fields` });

  const permissionsRead = ['lead database (describe)'];
  let denied = false;
  if (input.destination && input.lists.length > 0) {
    const folderName = client.config.listFolder;
    const byName = async (name: string) => {
      const data = await client.request({ method: 'GET', path: '/rest/asset/v1/folder/byName.json', qs: { name, type: 'Folder' }, schema: FoldersSchema, write: false }, signal);
      return (data.result ?? []).some((f) => f.name === name);
    };
    try {
      const present: string[] = [];
      const missing: string[] = [];
      const folder = await byName(folderName);
      const parent = folder || (await byName(PARENT_FOLDER));
      for (const { listName } of input.lists) {
        // Exact match; a miss is success:true with a warning and no result (recorded).
        const data = await client.request({ method: 'GET', path: '/rest/asset/v1/staticList/byName.json', qs: { name: listName }, schema: StaticListsSchema, write: false }, signal);
        if ((data.result ?? []).some((l) => l.name === listName)) present.push(listName);
        else missing.push(listName);
      }
      permissionsRead.push('assets (list folder, static lists)');
      if (!folder && !parent) {
        checks.push({
          name: 'marketo lists',
          status: 'fail',
          detail: `no list folder "${folderName}" and no "${PARENT_FOLDER}" folder to create it in`,
          fix: `create a folder named "${folderName}" in Marketo's Lead Database (Database > Group Lists), or set MARKETO_LIST_FOLDER to an existing one`,
        });
      } else {
        const where = folder ? `folder "${folderName}" exists` : `the next push creates folder "${folderName}" in "${PARENT_FOLDER}"`;
        checks.push({
          name: 'marketo lists',
          status: 'ok',
          detail: missing.length === 0
            ? `${where}; all ${present.length} static lists exist`
            : `${where}; ${present.length} of ${input.lists.length} static lists exist, the next push creates ${missing.length}`,
        });
      }
    } catch (error) {
      denied = true;
      checks.push(failure('marketo permissions', error, 'Read-Write Assets', baseUrl));
    }
  }
  if (!denied) {
    checks.splice(1, 0, {
      name: 'marketo permissions',
      status: 'ok',
      detail: `readable: ${permissionsRead.join(', ')}` +
        (input.destination ? '; writing leads, list members and lead fields is first tried by a push (Marketo has no read-only check)' : ''),
    });
  }
  if (!input.destination || input.tokens.length === 0) return checks;

  const wrong: DiagnosticCheck[] = [];
  const missing: Array<{ name: string; type: string }> = [];
  for (const token of input.tokens) {
    const name = mapping.tokens[token.key];
    if (!name) continue;
    const type = fieldTypeFor(token);
    const found = fields.get(name);
    const refusal = found === undefined ? undefined : fieldRefusal(name, found, token);
    if (found === undefined) missing.push({ name, type: type.label });
    else if (refusal) {
      wrong.push({
        name: 'marketo token fields',
        status: 'fail',
        detail: refusal,
        fix: `map token ${token.key} to a field of one of those types in mappings/marketo.yaml, or have a Marketo admin change field ${name}`,
      });
    }
  }
  if (wrong.length > 0) checks.push(...wrong);
  else if (missing.length > 0) {
    // Creating fields over REST needs Read-Write Schema Custom Field, which many roles lack.
    checks.push({
      name: 'marketo token fields',
      status: 'warn',
      detail: `${input.tokens.length - missing.length} of ${input.tokens.length} lead fields exist; missing: ${missing.map((m) => `${m.name} (${m.type})`).join(', ')}. ` +
        'The next push tries to create them, which needs the Read-Write Schema Custom Field permission (not checkable without writing)',
      fix: (missing.length === 1
        ? `create field ${missing[0]!.name} of type ${missing[0]!.type} in Marketo admin`
        : `create fields ${missing.map((m) => `${m.name} (${m.type})`).join(', ')} in Marketo admin`) +
        ' (Admin > Field Management > New Custom Field, API names exactly as shown); ' +
        `or give the API user's role Read-Write Schema Custom Field (${ROLES}) and let the push create them`,
    });
  } else {
    checks.push({ name: 'marketo token fields', status: 'ok', detail: `all ${input.tokens.length} lead fields exist with usable types` });
  }
  return checks;
}
