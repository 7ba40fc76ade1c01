import type { ConnectorDescriptor } from '../domain/connector.js';
import type { Check } from './check.js';
import { checkMappings, checkWorkspace } from './config.js';
import { checkEnvironment } from './env.js';
import { checkPlatforms, expectedSegments, pendingPersonaLists } from './platforms.js';
import { checkStore } from './store.js';
import { checkCurrencies } from './currencies.js';
import { ok } from './check.js';

export interface DoctorReport {
  /** False when any check failed. */
  ok: boolean;
  /** Doctor only reads: nothing is written to the store or to any platform. */
  readOnly: true;
  counts: Record<Check['status'], number>;
  checks: Check[];
}

/** Names of variables whose values are secrets (never printed, even inside a platform's message). */
const SECRET_NAME = /(TOKEN|SECRET|PASSWORD|API_KEY|CLIENT_ID)$/;

function redactor(env: NodeJS.ProcessEnv): (text: string) => string {
  const secrets = Object.entries(env)
    .filter(([name, value]) => SECRET_NAME.test(name) && typeof value === 'string' && value.length >= 4)
    .map(([, value]) => value as string)
    .sort((a, b) => b.length - a.length);
  return (text) => secrets.reduce((t, s) => t.split(s).join('***'), text);
}

/**
 * The checklist, in order: environment, workspace config and mappings, store, then every
 * configured platform (credentials, scopes, token fields, lists) with read calls only.
 */
export async function runDoctor(options: { env: NodeJS.ProcessEnv; registry: readonly ConnectorDescriptor<never>[] }): Promise<DoctorReport> {
  const { env, registry } = options;
  const environment = checkEnvironment(env, registry);
  const checks: Check[] = [...environment.checks];
  const workspace = checkWorkspace(environment.paths.config, registry);
  checks.push(workspace.check);
  const mappings = checkMappings(environment.platforms, workspace.workspace, environment.paths.config);
  checks.push(...mappings.checks);
  const store = environment.paths.db ? checkStore(environment.paths.db) : undefined;
  if (store) checks.push(...store.checks);
  // A config that does not load has no currency settings to judge by (its own check failed).
  if (store?.currencies && workspace.loaded) checks.push(checkCurrencies(store.currencies, workspace.workspace.currency));
  // A store filled only by file imports (`segsync import`) needs no platform: a CSV source has
  // nothing to check online. Only a store that also holds a platform's records needs its credentials.
  const imported = (store?.sources ?? []).filter((p) => !registry.some((d) => d.id === p));
  if (environment.noPlatform && imported.length > 0 && imported.length === store!.sources!.length) {
    const at = checks.indexOf(environment.noPlatform);
    checks[at] = ok('platforms', `no API platform is configured; the store holds file imports only (${imported.join(', ')}), which have nothing to check online. ` +
      `To push segments, set ${registry.map((d) => d.enabledBy).join(' or ')}`);
  }
  // Settings from a config that does not load would be guesses: the platforms are still checked,
  // with the defaults, so credentials problems show up in the same run.
  checks.push(...(await checkPlatforms(environment.platforms, mappings.mappings, workspace.workspace, expectedSegments(workspace.workspace, store?.segments), mappings.origins,
    pendingPersonaLists(workspace.workspace, store?.segments))));
  const redact = redactor(env);
  const safe = checks.map((c) => ({ ...c, detail: redact(c.detail), ...(c.fix ? { fix: redact(c.fix) } : {}) }));
  const counts = { ok: 0, warn: 0, fail: 0 };
  for (const c of safe) counts[c.status]++;
  return { ok: counts.fail === 0, readOnly: true, counts, checks: safe };
}
