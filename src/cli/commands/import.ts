import { createCsvSource, loadCsvMapping, parseCsvMapping } from '../../../connectors/csv/index.js';
import { pullSource } from '../../pipeline/pull.js';
import { refuseUnaddableCurrencies } from '../../pipeline/currency.js';
import { DEFAULT_BLANKING_THRESHOLD } from '../../pipeline/blanking-guard.js';
import { pullTotals, recorded } from '../../pipeline/run.js';
import { plural } from '../../domain/text.js';
import { purgeExpired } from '../../pipeline/retention.js';
import { renderPull } from '../render.js';
import { runCommand, type GlobalFlags } from '../context.js';

export interface ImportFlags extends GlobalFlags {
  format?: string;
  mapping?: string;
  timeZone?: string;
  allowBlanking?: boolean;
  encoding?: string;
}

/** Imports contact and order exports like any other source (platform "csv"). */
export function importCommand(files: string[], flags: ImportFlags): Promise<void> {
  return runCommand(flags, async (ctx) => {
    // mappings/csv.yaml (or --mapping), with the workspace config's `imports:` block over it.
    const fileMapping = loadCsvMapping(...(flags.mapping ? [flags.mapping] : []));
    const imports = ctx.session.workspace.imports;
    const mapping = imports === undefined ? fileMapping : parseCsvMapping(imports, 'the workspace config\'s imports: block', fileMapping);
    const { source, stats } = createCsvSource(files, {
      mapping,
      ...(flags.format ? { format: flags.format } : {}),
      ...(flags.timeZone ? { timeZone: flags.timeZone } : {}),
      ...(flags.encoding ? { encoding: flags.encoding } : {}),
      // Purchases in a currency the store cannot add up would stop every later segmentation.
      beforeStore: ({ purchases }) => refuseUnaddableCurrencies(ctx.session.db, ctx.session.workspace, purchases),
    });
    const { result } = await recorded(ctx.session, 'import', async () => {
      const streams = await pullSource({
        db: ctx.session.db, platform: 'csv', source, full: true, signal: ctx.signal, progress: ctx.progress(),
        blanking: { allow: flags.allowBlanking === true, threshold: DEFAULT_BLANKING_THRESHOLD },
      });
      return { streams, totals: pullTotals(streams), stats, purged: purgeExpired(ctx.session.db, { retentionDays: ctx.session.workspace.privacy.retentionDays }) };
    });
    const s = result.stats;
    const fileLines = Object.entries(s.byFile).map(([file, how]) =>
      `  ${file} (${how.format}; ${plural(how.validRows, 'valid row')} of ${how.rows.toLocaleString('en-US')}; ${how.encoding}` +
      (how.encodingDecided === 'sniffed' ? `, sniffed: ${how.encodingNote}` : '') + ')');
    const human = [
      `Imported ${plural(s.files, 'file')}:`,
      ...fileLines,
      `${plural(s.rows, 'row')} → ${plural(s.purchases, 'purchase')} from ${plural(s.lineItems, 'line item')}, ${plural(s.contacts, 'contact')}`,
      `cancellations ${s.cancellations.toLocaleString('en-US')}, returns ${s.returns.toLocaleString('en-US')} (refunded orders ${s.refunded.toLocaleString('en-US')}), ` +
        `rows without a customer ${s.rowsWithoutCustomer.toLocaleString('en-US')}, invalid rows ${s.invalidRows.toLocaleString('en-US')}`,
      ...(s.events ? [`events counted ${s.events.counted.toLocaleString('en-US')}, of a type not known (not counted) ${s.events.unknownType.toLocaleString('en-US')}`] : []),
      '',
      renderPull({ streams: result.streams, totals: result.totals, purged: result.purged }),
    ].join('\n');
    ctx.print(human, { ok: true, import: s, pull: { streams: result.streams, totals: result.totals, purged: result.purged } });
  }, { requireConnector: false, store: 'create' });
}
