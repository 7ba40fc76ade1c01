import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { CsvFormatSchema, defaultCsvMappingFile, loadCsvMapping, parseCsvMapping } from '../../connectors/csv/index.js';

const writeMapping = (yaml: string) => {
  const path = join(mkdtempSync(join(tmpdir(), 'segsync-csv-mapping-')), 'csv.yaml');
  writeFileSync(path, yaml);
  return path;
};

const errorOf = (fn: () => unknown): Error => {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
};

const minimalOrders = `
formats:
  shop:
    kind: transactions
    columns:
      orderId: Order
      date: Date
      amount: Amount
      email: Email
`;

describe('CSV mapping file', () => {
  it('the bundled mappings/csv.yaml is valid and has the built-in formats', () => {
    const mapping = loadCsvMapping(defaultCsvMappingFile());
    expect(Object.keys(mapping.formats)).toEqual(['online_retail', 'shopify_orders', 'transactions', 'contacts', 'cdnow', 'events']);
    expect(mapping.defaults.limits).toEqual({ minValidShare: 0.5, maxAmount: 1_000_000_000, maxFutureDays: 1, maxTextLength: 10_000 });
    expect(mapping.defaults.timeZone).toBe('UTC');
    expect(mapping.formats.online_retail!.cancelledOrderPrefix).toBe('C');
    expect(mapping.defaults.consent['yes']).toBe('subscribed');
  });

  it('a minimal mapping gets defaults', () => {
    const mapping = loadCsvMapping(writeMapping(minimalOrders));
    expect(mapping.defaults).toMatchObject({ timeZone: 'UTC', decimal: 'auto', dateFormats: ['ISO8601'] });
    expect(mapping.formats.shop!.idPrefix).toBe('');
  });

  it.each([
    {
      what: 'an unknown date format',
      yaml: minimalOrders + '    dateFormats: [DD/MM/YY]\n',
      key: 'formats.shop.dateFormats.0',
      fix: /"DD\/MM\/YY" is not a date format segsync reads; use a date part like YYYY-MM-DD/,
    },
    {
      what: 'a misspelt key',
      yaml: minimalOrders.replace('    columns:', '    colums:\n      orderId: Order\n    columns:'),
      key: 'formats.shop',
      fix: /unknown key "colums"; allowed here: kind, description, detect, columns/,
    },
    {
      what: 'a misspelt column key',
      yaml: minimalOrders + '      ammount: Total\n',
      key: 'formats.shop.columns',
      fix: /unknown key "ammount"; allowed here: orderId, date, amount/,
    },
    {
      what: 'a transactions format without order number',
      yaml: minimalOrders.replace('      orderId: Order\n', ''),
      key: 'formats.shop.columns.orderId',
      fix: /is required: the order or invoice number column/,
    },
    {
      what: 'a transactions format without any amount',
      yaml: minimalOrders.replace('      amount: Amount\n', ''),
      key: 'formats.shop.columns',
      fix: /needs an amount: columns\.amount \(per row\), columns\.quantity \+ columns\.unitPrice/,
    },
    {
      what: 'quantity without unit price',
      yaml: minimalOrders.replace('      amount: Amount\n', '      quantity: Qty\n'),
      key: 'formats.shop.columns.unitPrice',
      fix: /is required with columns\.quantity\/unitPrice/,
    },
    {
      what: 'no customer column',
      yaml: minimalOrders.replace('      email: Email\n', ''),
      key: 'formats.shop.columns',
      fix: /needs columns\.customerId or columns\.email/,
    },
    {
      what: 'an unknown kind',
      yaml: minimalOrders.replace('kind: transactions', 'kind: orders'),
      key: 'formats.shop.kind',
      fix: /must be "transactions" \(orders, invoices, line items\), "contacts" or "events"/,
    },
    {
      what: 'an unknown time zone',
      yaml: minimalOrders + '    timeZone: Europe/Londn\n',
      key: 'formats.shop.timeZone',
      fix: /"Europe\/Londn" is not an IANA time zone; use e\.g\. UTC, Europe\/London/,
    },
    {
      what: 'a bad status value',
      yaml: minimalOrders + '    status:\n      values:\n        paid: bought\n',
      key: 'formats.shop.status.values.paid',
      fix: /must be one of won, lost, open, cancelled, refunded/,
    },
    {
      what: 'a lowercase currency',
      yaml: minimalOrders + '    currency: eur\n',
      key: 'formats.shop.currency',
      fix: /3-letter ISO currency code in capitals/,
    },
    {
      what: 'a format name with capitals',
      yaml: minimalOrders.replace('  shop:', '  MyShop:'),
      key: 'formats.MyShop',
      fix: /format names are lower_snake_case/,
    },
    {
      what: 'a contacts-only column on a transactions format',
      yaml: minimalOrders + '      createdAt: Signed up\n',
      key: 'formats.shop.columns.createdAt',
      fix: /is not used by a transactions format/,
    },
    {
      what: 'an encoding Node cannot decode',
      yaml: minimalOrders + '    encoding: klingon\n',
      key: 'formats.shop.encoding',
      fix: /"klingon" is not an encoding segsync reads; use utf-8, utf-16le, utf-16be, windows-1252, iso-8859-1/,
    },
    {
      what: 'an order number with one purchase per customer and day',
      yaml: minimalOrders + '    onePurchasePer: customerDay\n',
      key: 'formats.shop.columns.orderId',
      fix: /conflicts with onePurchasePer: customerDay/,
    },
    {
      what: 'a column that is not in the declared header of a file without one',
      yaml: minimalOrders + '    header: [Order, Date, Amount, Mail]\n',
      key: 'formats.shop.columns.email',
      fix: /"Email" is not one of the names in header: \(Order, Date, Amount, Mail\)/,
    },
    {
      what: 'a valid share above 1',
      yaml: `defaults:\n  limits:\n    minValidShare: 50\n${minimalOrders}`,
      key: 'defaults.limits.minValidShare',
      fix: /must be between 0 and 1/,
    },
    {
      what: 'an amount limit beyond exact money',
      yaml: minimalOrders + '    limits:\n      maxAmount: 1e23\n',
      key: 'formats.shop.limits.maxAmount',
      fix: /must be at most 9000000000/,
    },
    {
      what: 'a bad decimal separator',
      yaml: `defaults:\n  decimal: ";"\n${minimalOrders}`,
      key: 'defaults.decimal',
      fix: /must be "\.", "," or "auto"/,
    },
  ])('$what: the error names the file, the key and the fix', ({ yaml, key, fix }) => {
    const path = writeMapping(yaml);
    const error = errorOf(() => loadCsvMapping(path));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain(`CSV mapping file ${path} is not valid`);
    expect(error.message).toContain(`  - ${key}: `);
    expect(error.message).toMatch(fix);
  });

  it('a missing file and invalid YAML are errors naming the file', () => {
    expect(() => loadCsvMapping('/nonexistent/csv.yaml')).toThrow(/CSV mapping file \/nonexistent\/csv\.yaml cannot be read/);
    const path = writeMapping('formats: [unclosed');
    expect(() => loadCsvMapping(path)).toThrow(new RegExp(`CSV mapping file ${path} is not valid YAML`));
  });
});

describe('CSV mapping from the workspace config', () => {
  const base = loadCsvMapping();

  it('adds formats to the bundled ones and overrides defaults that are given', () => {
    const merged = parseCsvMapping(
      {
        defaults: { timeZone: 'Europe/Paris', consent: { oui: 'subscribed' } },
        formats: { boutique: { kind: 'transactions', columns: { orderId: 'Commande', date: 'Date', amount: 'Montant', email: 'Courriel' }, decimal: ',' } },
      },
      'segsync.yaml imports',
      base,
    );
    expect(Object.keys(merged.formats)).toEqual([...Object.keys(base.formats), 'boutique']);
    expect(merged.defaults.timeZone).toBe('Europe/Paris');
    expect(merged.defaults.decimal).toBe(base.defaults.decimal);
    expect(merged.defaults.consent['oui']).toBe('subscribed');
    expect(merged.defaults.consent['yes']).toBe('subscribed');
  });

  it('errors name where the mapping came from and the key', () => {
    const error = errorOf(() => parseCsvMapping({ formats: { boutique: { kind: 'transactions', columns: { orderId: 'Commande' } } } }, 'workspace config segsync.yaml (imports)', base));
    expect(error.message).toContain('workspace config segsync.yaml (imports) is not valid');
    expect(error.message).toContain('  - formats.boutique.columns.date: is required');
  });

  it('exports the format schema for a single format', () => {
    expect(CsvFormatSchema.safeParse({ kind: 'contacts', columns: { email: 'Email' } }).success).toBe(true);
    expect(CsvFormatSchema.safeParse({ kind: 'contacts', columns: { orderId: 'Order', email: 'Email' } }).success).toBe(false);
  });
});
