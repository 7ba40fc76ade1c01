import { currencyProblem, type CurrencySettings } from '../pipeline/currency.js';
import { fail, ok, type Check } from './check.js';

/**
 * Purchases stored in several currencies without the rates to add them up stop every
 * segmentation (and so every sync and scheduled job): flagged here with the config that fixes it.
 */
export function checkCurrencies(currencies: readonly string[], settings: CurrencySettings | undefined): Check {
  const problem = currencyProblem(currencies, settings);
  if (problem) return fail('currencies', `the store's won purchases: ${problem.message}, so segment, sync and scheduled jobs stop`, problem.fix);
  if (currencies.length === 0) return ok('currencies', 'no won purchase with a currency stored yet');
  if (currencies.length === 1 && (!settings || settings.base === currencies[0])) return ok('currencies', `the store's won purchases are in ${currencies[0]}`);
  return ok('currencies', `the store's won purchases are in ${currencies.join(', ')}, converted to ${settings!.base} with currency.rates`);
}
