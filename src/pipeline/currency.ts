import type { Db } from '../store/db.js';
import { ConfigError } from '../config/errors.js';
import type { Workspace } from '../config/workspace.js';

/**
 * Amounts in several currencies are converted with the workspace's `currency: { base, rates }`,
 * or refused; never summed blindly. One rule, used where purchases are added up (segmentation),
 * where they come in (an import refuses what segmentation would refuse later) and by `doctor`.
 */

export type CurrencySettings = NonNullable<Workspace['currency']>;

/** Why amounts in these currencies cannot be added up, and the config that fixes it. */
export interface CurrencyProblem {
  /** The currencies without a way to the base (all of them when there is no `currency:` config). */
  missing: string[];
  /** What is wrong, e.g. "purchases come in EUR, USD; segsync will not add them up blindly". */
  message: string;
  /** What to set, with an example block. */
  fix: string;
}

/** The currencies segmentation adds up: of won purchases that are not archived, upper-case, sorted. */
export function storedPurchaseCurrencies(db: Db): string[] {
  const rows = db
    .prepare("SELECT DISTINCT UPPER(currency) AS currency FROM purchases WHERE status = 'won' AND archived = 0 AND currency IS NOT NULL ORDER BY 1")
    .all() as Array<{ currency: string }>;
  return rows.map((r) => r.currency);
}

/** The `currency:` block that would convert these currencies: the settings' base, else `preferredBase`, else the first. */
function example(currencies: readonly string[], settings: CurrencySettings | undefined, preferredBase?: string): string {
  const base = settings?.base ?? preferredBase ?? currencies[0]!;
  const rates = currencies.filter((c) => c !== base && settings?.rates[c] === undefined).map((c) => `${c}: <${base} for 1 ${c}>`);
  return `currency: { base: ${base}, rates: { ${rates.join(', ')} } }`;
}

/**
 * Why purchases in these currencies cannot be added up with these settings; undefined when they
 * can (one currency without settings, or each the base or with a rate). `preferredBase` is the
 * base the example suggests when there are no settings (the currency the store already holds).
 */
export function currencyProblem(currencies: readonly string[], settings: CurrencySettings | undefined, preferredBase?: string): CurrencyProblem | undefined {
  const sorted = [...new Set(currencies.map((c) => c.toUpperCase()))].sort();
  if (!settings) {
    if (sorted.length <= 1) return undefined;
    return {
      missing: sorted,
      message: `purchases come in ${sorted.join(', ')}; segsync will not add them up blindly`,
      fix: `set currency.base and currency.rates in the workspace config (SEGSYNC_CONFIG), e.g. ${example(sorted, settings, preferredBase)}`,
    };
  }
  const missing = sorted.filter((c) => c !== settings.base && settings.rates[c] === undefined);
  if (missing.length === 0) return undefined;
  return {
    missing,
    message: `currency.rates has no rate for ${missing.join(', ')} (base ${settings.base})`,
    fix: `add ${missing.length === 1 ? 'it' : 'them'} to the workspace config (SEGSYNC_CONFIG), e.g. ${example(sorted, settings)}`,
  };
}

const fixSentence = (p: CurrencyProblem): string => `${p.fix.charAt(0).toUpperCase()}${p.fix.slice(1)}.`;
const sentence = (p: CurrencyProblem): string => `${p.message}. ${fixSentence(p)}`;

/** Amount in the base currency; refuses to add up currencies it has no rate for. */
export function currencyConverter(db: Db, workspace: Workspace): (amount: number, currency: string | null) => number {
  const config = workspace.currency;
  const problem = currencyProblem(storedPurchaseCurrencies(db), config);
  if (problem) throw new ConfigError(sentence(problem));
  if (!config) return (amount) => amount;
  return (amount, currency) => {
    const code = currency?.toUpperCase() ?? config.base;
    return code === config.base ? amount : amount * config.rates[code]!;
  };
}

/**
 * Refuses (ConfigError, before anything is written) purchases about to be stored whose currencies
 * could not be added up with what the store holds: otherwise every later segmentation fails.
 * Counts what segmentation counts: won purchases.
 */
export function refuseUnaddableCurrencies(
  db: Db, workspace: Workspace, incoming: ReadonlyArray<{ currency: string | null; status: string }>,
): void {
  const arriving = [...new Set(incoming.filter((p) => p.status === 'won' && p.currency !== null).map((p) => p.currency!.toUpperCase()))].sort();
  if (arriving.length === 0) return;
  const stored = storedPurchaseCurrencies(db);
  const problem = currencyProblem([...stored, ...arriving], workspace.currency, stored.length === 1 ? stored[0] : undefined);
  if (!problem) return;
  const where = stored.length > 0
    ? `this import's purchases come in ${arriving.join(', ')}, the store's in ${stored.join(', ')}`
    : `this import's purchases come in ${arriving.join(', ')}`;
  // Without settings the problem is the mix itself, which `where` already names.
  const why = workspace.currency ? `${where}: ${sentence(problem)}` : `${where}; segsync will not add them up blindly. ${fixSentence(problem)}`;
  throw new ConfigError(`import refused, nothing was stored: ${why} Every later segment, sync and scheduled job would stop on this; import again once it is set.`);
}
