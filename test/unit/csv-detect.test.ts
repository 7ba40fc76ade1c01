import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { detectFormat, loadCsvMapping, parseCsvMapping } from '../../connectors/csv/index.js';
import { firstRecordText, planFile, sniffDelimiter } from '../../connectors/csv/sniff.js';

const fixture = (name: string) => join(import.meta.dirname, '..', 'fixtures', 'csv', name);
const mapping = loadCsvMapping();
const tempFile = (name: string, content: string | Buffer) => {
  const path = join(mkdtempSync(join(tmpdir(), 'segsync-csv-')), name);
  writeFileSync(path, content);
  return path;
};

describe('CSV format detection', () => {
  it('detects each fixture from its header row', () => {
    expect(planFile(fixture('online_retail_sample.csv'), mapping).format.name).toBe('online_retail');
    expect(planFile(fixture('shopify_orders_sample.csv'), mapping).format.name).toBe('shopify_orders');
    expect(planFile(fixture('contacts_eu_semicolon.csv'), mapping).format.name).toBe('contacts');
    expect(planFile(fixture('transactions_eu_semicolon.csv'), mapping).format.name).toBe('transactions');
  });

  it('sniffs the delimiter and skips a UTF-8 BOM', () => {
    const plan = planFile(fixture('contacts_eu_semicolon.csv'), mapping);
    expect(plan.delimiter).toBe(';');
    expect(plan.header[0]).toBe('Email');
    expect(plan.encoding).toMatchObject({ name: 'utf-8', how: 'bom' });
    expect(planFile(fixture('online_retail_sample.csv'), mapping).delimiter).toBe(',');
    expect(sniffDelimiter('a\tb\tc')).toBe('\t');
    expect(sniffDelimiter('"a;b",c,d')).toBe(',');
    expect(sniffDelimiter('"a,b";c;d')).toBe(';');
    expect(sniffDelimiter('email')).toBe(',');
  });

  it('reads a quoted header spanning lines as one record', () => {
    expect(firstRecordText('"Order\nID",Email\r\n1,a@b.co')).toBe('"Order\nID",Email');
  });

  it('picks the format explaining most columns; headers compare case- and space-insensitively', () => {
    expect(detectFormat(mapping, ['invoiceno', 'stockcode', 'Description', 'Quantity', 'invoice_date', 'unitprice', 'customerid', 'country'])).toBe('online_retail');
    expect(detectFormat(mapping, ['Order Number', 'Email', 'Order Date', 'Total', 'Currency'])).toBe('transactions');
    expect(detectFormat(mapping, ['E-mail', 'First Name', 'Last Name', 'Accepts Marketing'])).toBe('contacts');
    expect(detectFormat(mapping, ['Customer ID', 'Phone'])).toBe('contacts');
    expect(detectFormat(mapping, ['SKU', 'Stock', 'Warehouse'])).toBeUndefined();
  });

  it('reads order exports in German, French, Spanish and Dutch as transactions', () => {
    expect(detectFormat(mapping, ['Bestellnummer', 'Datum', 'Summe', 'Kundennummer', 'Währung'])).toBe('transactions');
    expect(detectFormat(mapping, ['Numéro de commande', 'Date', 'Montant', 'Adresse e-mail', 'Statut'])).toBe('transactions');
    expect(detectFormat(mapping, ['Número de pedido', 'Fecha', 'Importe', 'Correo electrónico', 'Estado'])).toBe('transactions');
    expect(detectFormat(mapping, ['Bestelnummer', 'Datum', 'Bedrag', 'Klantnummer'])).toBe('transactions');
    const path = tempFile('bestellungen.csv', 'Bestellnummer;Datum;Betrag;E-Mail;Status\nB-1;05.11.2024;10,00;anna@example.com;bezahlt\n');
    expect(planFile(path, mapping)).toMatchObject({ format: { name: 'transactions' }, delimiter: ';' });
    expect(planFile(path, mapping).unusedColumns).toBeUndefined();
  });

  it('of two formats a header fits, picks the one reading more of its columns, a format recognised by its detect names first', () => {
    // Contacts reads Customer ID, E-Mail and Status (as consent); transactions reads all five, but
    // lacks an order number: the file is refused naming it, not imported as contacts.
    const header = ['Customer ID', 'E-Mail', 'Status', 'Betrag', 'Datum'];
    expect(detectFormat(mapping, header)).toBe('transactions');
    const path = tempFile('de_orders.csv', `${header.join(';')}\nC1;anna@example.com;paid;10,00;05.11.2024\n`);
    const error = (() => { try { planFile(path, mapping); } catch (e) { return e as Error; } return undefined; })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.message).toContain('de_orders.csv (format transactions): the header lacks columns.orderId ("Order ID" or');
    expect(error!.message).toContain('It was detected as transactions because it reads 5 of the file\'s 5 columns, more than contacts (3)');
    expect(error!.message).toContain('If it is a contacts file, name the format: --format contacts.');
    // A contacts file with a date column stays contacts: transactions would lack two required columns.
    expect(detectFormat(mapping, ['Email', 'First Name', 'Last Name', 'Created', 'Status'])).toBe('contacts');
    // A format of the workspace recognised by its detect names wins over the generic one reading more.
    const shop = parseCsvMapping({ formats: { shop: { kind: 'transactions', detect: ['Bestellnummer'], columns: { orderId: 'Bestellnummer', date: 'Datum', amount: 'Betrag', customerId: 'Kunde' } } } }, 'test', mapping);
    expect(detectFormat(shop, ['Bestellnummer', 'Datum', 'Betrag', 'Kunde', 'E-Mail', 'Status'])).toBe('shop');
  });

  it('names the columns a generic format leaves unread, with what to do if the file is something else', () => {
    const contacts = planFile(tempFile('people.csv', 'Email,First Name,Notes,Betrag\na@example.com,Ann,vip,10\n'), mapping);
    expect(contacts.format.name).toBe('contacts');
    expect(contacts.unusedColumns).toBe('people.csv: columns not used: Notes, Betrag — if this is an orders file, use --format transactions or add these names to the format (formats.contacts in the CSV mapping)');
    const orders = planFile(tempFile('orders.csv', 'Order ID,Email,Date,Amount,Coupon\n1,a@example.com,2024-01-01,10,X\n'), mapping);
    expect(orders.unusedColumns).toBe('orders.csv: columns not used: Coupon — if they hold what segsync should read, add these names to the format (formats.transactions.columns in the CSV mapping)');
    // The export of one system (recognised by its detect names) leaves its other columns out by design.
    expect(planFile(fixture('online_retail_sample.csv'), mapping).unusedColumns).toBeUndefined();
  });

  it('a format given explicitly is used even when another would be detected', () => {
    const path = tempFile('orders.csv', 'Order ID,Email,Date,Amount\n1,a@example.com,2024-01-01,10\n');
    expect(planFile(path, mapping).format.name).toBe('transactions');
    expect(planFile(path, mapping, 'contacts').format.name).toBe('contacts');
  });

  it('a header that matches no format is an error naming the file, the header and the fix', () => {
    const path = tempFile('stock.csv', 'SKU,Stock,Warehouse\nA,1,W1\n');
    expect(() => planFile(path, mapping)).toThrow(ConfigError);
    expect(() => planFile(path, mapping)).toThrow(/stock\.csv: its header matches no format.*"SKU", "Stock", "Warehouse".*formats: in mappings\/csv\.yaml/s);
  });

  it('a format given explicitly whose columns are missing names them and the key to set', () => {
    const path = tempFile('orders.csv', 'Ref,Email,Day,Amount\n1,a@example.com,2024-01-01,10\n');
    const error = (() => { try { planFile(path, mapping, 'transactions'); } catch (e) { return e as Error; } return undefined; })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.message).toContain('orders.csv (format transactions)');
    expect(error!.message).toContain('columns.orderId ("Order ID"');
    expect(error!.message).toContain('columns.date ("Date"');
    expect(error!.message).toContain('formats.transactions.columns.<key>');
  });

  it('an unknown format, a missing file and an empty file are errors naming them', () => {
    expect(() => planFile(fixture('online_retail_sample.csv'), mapping, 'woocommerce')).toThrow(/"woocommerce" is not defined; known formats: online_retail, shopify_orders, transactions, contacts/);
    expect(() => planFile('/nonexistent/orders.csv', mapping)).toThrow(/\/nonexistent\/orders\.csv cannot be read \(ENOENT\)/);
    expect(() => planFile(tempFile('empty.csv', ''), mapping)).toThrow(/empty\.csv is empty/);
  });

  it('a UTF-16 export with its BOM is read', () => {
    const text = 'Email\tFirst Name\r\nzoe@example.com\tZoë\r\n';
    const path = tempFile('contacts16.csv', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    const plan = planFile(path, mapping);
    expect(plan.encoding).toMatchObject({ name: 'utf-16le', how: 'bom' });
    expect(plan.delimiter).toBe('\t');
    expect(plan.format.name).toBe('contacts');
  });
});
